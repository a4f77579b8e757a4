// CostLedger — what agents spent, one row per recorded cost, and the pure
// arithmetic behind it: money formatting, price tables, budget periods.
//
// Units: every amount here is integer micro-cents (1 micro-cent = 1e-6 cent =
// $0.00000001; project/config.h "money"). Budgets are configured in whole
// cents and converted with cents_to_microcents (saturating). No floating
// point anywhere, so sums of sub-cent amounts are exact.
//
// On-disk format (table cost_ledger, store/schema.h, migration 3), field by field:
//   id                 INTEGER PRIMARY KEY; insertion order
//   ts_ms              when the cost was recorded (Clock, ms since the epoch, UTC)
//   agent              the agent's name, taken from the run, never from the guest
//   amount_microcents  >= 0
//   source             "agent" (nexus.cost_record), "llm", "http"
//   detail             free text from the recorder (at most kMaxCostDetailBytes)
//   beyond_reservation_microcents  (migration 5) the part of amount above what
//                      the call reserved; 0 for almost every row
// Rows are only ever inserted. `naos cost reset` does not delete rows; it
// records a reset time in cost_budget_state (governance/budget.h).
//
// Periods are calendar periods in UTC (PRODUCT.md: days reset at midnight UTC,
// months on the 1st, weeks on Monday 00:00 UTC as ISO 8601 weeks). The
// config's `cost.timezone` decides where calendar periods start.
//
// Sums: spent_since() is asked on every priced call, and a SUM over the
// period's rows grew with the ledger (a day of 100,000 calls summed 100,000
// rows per call). Rows are only ever appended and their ids only grow, so a
// sum is kept per (agent, since_ms) with the id it is complete through, and
// the next call adds the rows after that id: a range of the rowid B-tree,
// whichever process wrote them. Each sum is one statement, one snapshot.
//
// Threading: CostLedger borrows a Database, which is used by one thread at a
// time (store/database.h); the caller (BudgetEnforcer) serializes calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "project/config.h"
#include "store/database.h"

namespace naos::governance {

inline constexpr size_t kMaxCostDetailBytes = 256;

// cents * 1,000,000, saturating at INT64_MAX (kMaxCents * 1e6 overflows int64).
int64_t cents_to_microcents(int64_t cents);
// Saturating, for sums of amounts that are each >= 0.
int64_t add_saturating(int64_t a, int64_t b);

// "$0.05", "$10.00", "$0.00000125": at least two decimals, more only when the
// amount has sub-cent digits (trailing zeros trimmed). Negative amounts get "-$".
std::string format_microcents(int64_t microcents);
std::string format_cents(int64_t cents);

// Tokens used by one LLM call.
struct TokenUsage {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cached_input = 0;
  int64_t cache_write = 0;  // input written to the vendor's prompt cache
};

// The cost of `usage` at `price` (micro-cents per 1K tokens). The exact sum
// tokens * price / 1000 is computed in 128 bits and rounded UP to a whole
// micro-cent once, at the end, so naos never under-charges and never loses a
// fraction per token class. Errors: kInvalidArgument for negative counts,
// kResourceExhausted when the result does not fit in int64.
Result<int64_t> price_tokens(const project::ModelPrice& price, const TokenUsage& usage);

// [start_ms, end_ms) of the calendar period containing now_ms, in UTC.
// kTotal is [INT64_MIN, INT64_MAX).
struct PeriodWindow {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};
PeriodWindow period_window(project::BudgetPeriod period, int64_t now_ms);
// The same in a tz database zone (`cost.timezone`, e.g. "Europe/Berlin"):
// days, weeks and months start at local midnight, so a day across a DST
// change lasts 23 or 25 hours; a local midnight that does not exist starts
// the period at the first instant after it. Errors: kInvalidArgument for an
// unknown zone.
Result<PeriodWindow> period_window(project::BudgetPeriod period, int64_t now_ms, const std::string& timezone);
// Whether the tz database knows the zone ("UTC" always).
bool known_timezone(const std::string& timezone);

std::optional<project::BudgetPeriod> parse_period(std::string_view text);
std::optional<project::OnExceed> parse_on_exceed(std::string_view text);

struct LedgerRow {
  int64_t id = 0;
  int64_t ts_ms = 0;
  std::string agent;
  int64_t amount_microcents = 0;
  std::string source;
  std::string detail;
  int64_t beyond_reservation_microcents = 0;
};

class CostLedger {
 public:
  // `database` must outlive the ledger.
  explicit CostLedger(store::Database& database) : database_(database) {}

  // Inserts one row; returns its id. Errors: kInvalidArgument (negative amount).
  Result<int64_t> insert(const LedgerRow& row);
  // Sum of amounts with ts_ms >= since_ms; `agent` empty = every agent.
  // Exact, and incremental after the first call for the same arguments.
  Result<int64_t> spent_since(std::string_view agent, int64_t since_ms);
  // The same for beyond_reservation_microcents: spending no reservation admitted.
  Result<int64_t> beyond_reservations_since(std::string_view agent, int64_t since_ms);
  // Drops the kept sums. A sum taken after an append inside a transaction
  // that then rolls back would count a row that never was: the writer calls
  // this when such a transaction fails.
  void forget_sums() { tallies_.clear(); }
  // Rows with ts_ms >= since_ms, oldest first; `agent` empty = every agent.
  Result<std::vector<LedgerRow>> rows_since(std::string_view agent, int64_t since_ms);
  // Every agent that has a ledger row.
  Result<std::vector<std::string>> agents();

 private:
  struct Tally {
    int64_t through_id = 0;  // every row with id <= this is counted
    int64_t spent = 0;
  };
  static constexpr size_t kMaxTallies = 256;

  store::Database& database_;
  std::map<std::pair<std::string, int64_t>, Tally> tallies_;  // by (agent, since_ms)
};

}  // namespace naos::governance
