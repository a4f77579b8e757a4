// BudgetEnforcer — cost budgets (PRODUCT.md "cost") enforced with
// reservations, so that concurrent priced calls never overspend (STYLE rule 12).
//
// Budgets: `cost.budgets.<agent>` and `cost.budgets.global` of the config,
// each overridden by a row of cost_budgets (`naos cost set`, store/schema.h).
// A priced call of agent A is checked against A's budget and the global one.
//
// A reservation is a small state machine:
//
//        reserve(max)                 settle(actual)
//   (none) ─────────► reserved ───────────────────────────► settled
//                        │                                  (ledger row, cost.recorded)
//                        │ ~Reservation without settle, or its process dies
//                        ▼
//                     released (nothing recorded)
//
//   reserve      BudgetEnforcer::reserve: in one write transaction, reads what
//                every budget that applies has spent (the ledger) and has
//                reserved (cost_reservations, every process's), and either
//                inserts a row per budget or refuses (kResourceExhausted,
//                budget.exceeded event). SQLite's write lock makes the check
//                and the insert one step for every process on the database.
//   settle       Reservation::settle: inserts the ledger row and deletes the
//                reservation's rows in one transaction, then audits. A cost
//                above the reservation (a vendor counted more tokens than the
//                estimate) is spent already, so it is recorded all the same,
//                its excess marked in the ledger (beyond_reservation).
//   release      Reservation::~Reservation deletes the rows. The rows of a
//                process that died (kill -9) are deleted by the next reserve
//                in any process: an owner is a pid and its start time
//                (base/process.h), so a reused pid does not hold them.
//
// A reservation dies with its process, so its writes need no fsync: they
// commit at synchronous=NORMAL, which in WAL mode still orders them before
// every later commit. Settle writes money and commits at FULL.
// A call of an agent without any budget reserves nothing and writes nothing.
//
// Invariants (checked by check_invariants(), debug builds, at each transition
// and in tests):
//   I1  every reservation row holds an amount >= 0.
//   I2  under hard enforcement, for every budget b whose action is not warn
//       and which has reservations:
//         spent(b) - beyond(b) + reserved(b) <= max(limit(b), the highest
//         limit a reservation on b was admitted under),
//       over the current period, where beyond(b) is the spending above
//       reservations: no admitted amount overspends, even if the limit was
//       lowered while calls were in flight.
//   I3  this process holds no reservation row for a target without a budget.

// Enforcement (cost.enforcement), for a budget with onExceed != warn:
//   hard  refuse when spent + reserved + max > limit (the crossing call);
//   soft  refuse when spent + reserved >= limit (the crossing call runs, the next does not);
//   warn  never refuse; crossing the limit is a budget.exceeded event.
// onExceed (what the caller does with a refusal; Naos applies it):
//   pause     the agent's status becomes budget_exceeded until the next period
//             or `naos cost reset`;
//   stop      the agent's status becomes stopped;
//   throttle  the agent's priced calls are paced so the budget lasts its
//             period: a tenth of the limit is available at once, the rest
//             accrues evenly over the period (paced_limit()); a call beyond
//             the pace is refused (cost.throttle) but the agent keeps running
//             and may call again later. `total` budgets have no pace.
//   warn      never refused; only recorded.
// Alerts: once per period, when spent reaches alertAt% of the limit, a
// cost.alert event (marker in cost_budget_state.alerted_window_ms).
// Reset: `naos cost reset` writes cost_budget_state.reset_ms; spending before
// it does not count in the current period.
//
// Periods are calendar periods in `cost.timezone` (default UTC), from the
// tz database through Debian's date/tz.h (cost_ledger.h).
//
// Scope of the guarantee: every process that opens the database file. A
// process sees another's reservations as soon as they commit.

// Threading: every public function may be called from any thread; one mutex
// serializes this process's use of its connection, and SQLite's write lock
// serializes processes. Audit events are appended outside the mutex.
// Ownership: owns its own Database connection; borrows the AuditLog (nullable)
// and the Clock, which must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "governance/audit_log.h"
#include "governance/cost_ledger.h"
#include "project/config.h"
#include "store/database.h"

namespace naos::governance {

namespace event {
inline constexpr const char* kCostRecorded = "cost.recorded";
inline constexpr const char* kCostAlert = "cost.alert";
inline constexpr const char* kCostPause = "cost.pause";
inline constexpr const char* kCostThrottle = "cost.throttle";
inline constexpr const char* kCostReset = "cost.reset";
inline constexpr const char* kCostBudgetSet = "cost.budget_set";
inline constexpr const char* kBudgetExceeded = "budget.exceeded";
}  // namespace event

// Why a reserve was refused: the budget and what its onExceed asks for.
struct BudgetRefusal {
  std::string target;  // the agent's name or "global"
  project::OnExceed action = project::OnExceed::kPause;
  int64_t limit_microcents = 0;
  int64_t spent_microcents = 0;
  int64_t requested_microcents = 0;
};

// One budget as `naos cost status` shows it.
struct BudgetStatus {
  std::string target;
  std::optional<project::BudgetConfig> budget;  // null: spending without a budget
  PeriodWindow window;                          // of the budget's period (total if none)
  int64_t spent_microcents = 0;                 // in the window, since the last reset
  int64_t reserved_microcents = 0;
  int64_t total_microcents = 0;                 // all time
};

class BudgetEnforcer;

// A reserved amount; released on destruction unless settled. Move-only.
class [[nodiscard]] Reservation {
 public:
  Reservation(Reservation&& other) noexcept;
  Reservation& operator=(Reservation&&) = delete;
  Reservation(const Reservation&) = delete;
  ~Reservation();

  // Records `actual` in the ledger and the audit log. `fields` (an object,
  // may be empty) are added to the cost.recorded event: an llm call adds its
  // provider, model and tokens. An `actual` above the reservation was spent
  // all the same and is recorded in full; when that takes a budget that
  // refuses calls past its limit, *crossed (when non-null) says which, so
  // the caller applies its onExceed as for a refusal.
  // Errors: kInvalidArgument when actual is negative; kFailedPrecondition
  // when settled already.
  Status settle(int64_t actual_microcents, std::string_view source, std::string_view detail,
                const nlohmann::json& fields = nlohmann::json::object(), BudgetRefusal* crossed = nullptr);
  int64_t amount() const { return amount_; }

 private:
  friend class BudgetEnforcer;
  Reservation(BudgetEnforcer* enforcer, std::string agent, int64_t id, bool stored, int64_t amount)
      : enforcer_(enforcer), agent_(std::move(agent)), id_(id), stored_(stored), amount_(amount) {}
  BudgetEnforcer* enforcer_;  // null once settled, released or moved from
  std::string agent_;
  int64_t id_;   // cost_reservations.reservation, unique in this process
  bool stored_;  // whether rows were inserted (false: no budget applies)
  int64_t amount_;
};

class BudgetEnforcer {
 public:
  // Opens its own connection to `database_file` (migrated already or now).
  static Result<std::unique_ptr<BudgetEnforcer>> open(const std::filesystem::path& database_file, AuditLog* audit,
                                                      Clock& clock, project::CostConfig config);
  BudgetEnforcer(const BudgetEnforcer&) = delete;
  BudgetEnforcer& operator=(const BudgetEnforcer&) = delete;

  // Reserves `max_microcents` for a priced call of `agent`.
  // Errors: kResourceExhausted (BUDGET_EXCEEDED) when a budget refuses it,
  // with *refusal filled in when non-null; kInvalidArgument for a negative amount.
  Result<Reservation> reserve(std::string_view agent, int64_t max_microcents, BudgetRefusal* refusal = nullptr);
  // reserve + settle of a known amount (nexus.cost_record).
  Status record(std::string_view agent, int64_t microcents, std::string_view source, std::string_view detail,
                BudgetRefusal* refusal = nullptr, const nlohmann::json& fields = nlohmann::json::object());

  // Budgets in effect: the config's, overridden by cost_budgets rows.
  Result<std::vector<project::BudgetConfig>> budgets();
  Result<std::optional<project::BudgetConfig>> budget(std::string_view target);
  // `naos cost set`: stores (or replaces) a budget row; audited cost.budget_set.
  Status set_budget(const project::BudgetConfig& budget, const std::string& actor);
  // `naos cost reset`: spending so far no longer counts against the current
  // period; audited cost.reset. Errors: kNotFound (BUDGET_NOT_FOUND) when
  // `target` has no budget.
  Status reset(std::string_view target, const std::string& actor);
  // True when a budget of `agent` (or the global one) that refuses calls is
  // spent in its current period.
  Result<bool> exhausted(std::string_view agent);

  // Every budget and every agent with spending, by target.
  Result<std::vector<BudgetStatus>> status();
  CostLedger& ledger() { return ledger_; }
  project::Enforcement enforcement() const { return config_.enforcement; }

  // Debug-only: I1..I3 above; aborts on a violation. Also runs in tests.
  void check_invariants();
  // What every live process holds reserved, by budget target.
  Result<std::map<std::string, int64_t, std::less<>>> reserved();

 private:
  friend class Reservation;
  struct Applied {  // a budget with its state in the current period
    project::BudgetConfig budget;
    int64_t limit_microcents = 0;
    int64_t counted_from_ms = 0;  // max(period start, reset time)
    PeriodWindow window;
    int64_t spent = 0;
  };
  BudgetEnforcer(std::unique_ptr<store::Database> database, AuditLog* audit, Clock& clock,
                 project::CostConfig config);
  // Under mutex_.
  Result<std::vector<project::BudgetConfig>> budgets_locked();
  Result<std::vector<Applied>> applied_locked(std::string_view agent, int64_t now_ms);
  Result<Applied> apply_locked(const project::BudgetConfig& budget, int64_t now_ms);
  Result<int64_t> reset_ms_locked(std::string_view target);
  bool refuses(const Applied& applied, int64_t reserved, int64_t request, int64_t now_ms) const;
  // Sums cost_reservations by target over live owners; with `delete_orphans`
  // (inside a write transaction) deletes the rows of owners that died.
  Result<std::map<std::string, int64_t, std::less<>>> reserved_locked(bool delete_orphans);
  // Deletes this process's rows of reservation `id`.
  Status delete_reservation_locked(int64_t id);
  // PRAGMA synchronous: FULL for money, NORMAL for reservations (see above).
  Status durable_commits_locked(bool full);
  // The part of the limit usable at `now_ms`: the limit, or under throttle
  // the pace (a tenth at once, the rest evenly over the period).
  static int64_t paced_limit(const Applied& applied, int64_t now_ms);
  void check_invariants_locked();
  void release(int64_t id);
  Status settle(Reservation& reservation, int64_t actual, std::string_view source, std::string_view detail,
                const nlohmann::json& fields, BudgetRefusal* crossed);
  void audit(AuditEventDraft draft);

  std::unique_ptr<store::Database> database_;
  CostLedger ledger_;
  AuditLog* audit_;
  Clock& clock_;
  project::CostConfig config_;
  std::mutex mutex_;
  int64_t next_reservation_ = 1;
  bool synchronous_full_ = true;  // the connection's PRAGMA synchronous
  // Reservations whose release failed (a busy or failing database): deleted
  // by the next reserve, and counted against their budgets until then.
  std::vector<int64_t> unreleased_;
};

}  // namespace naos::governance
