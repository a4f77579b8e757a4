#include "governance/cost_ledger.h"

#include <date/tz.h>

#include <chrono>
#include <limits>

#include "base/money.h"
#include "governance/ledger_sums.h"

namespace naos::governance {

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
}  // namespace

int64_t cents_to_microcents(int64_t cents) {
  if (cents >= kMax / project::kMicroCentsPerCent) return kMax;
  if (cents <= kMin / project::kMicroCentsPerCent) return kMin;
  return cents * project::kMicroCentsPerCent;
}

int64_t add_saturating(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return (b > 0) ? kMax : kMin;
  return out;
}

std::string split_sum_sql(std::string_view expression) {
  std::string e(expression);
  return "COALESCE(SUM((" + e + ") >> 32), 0), COALESCE(SUM((" + e + ") & 4294967295), 0)";
}

int64_t joined_sum(int64_t high, int64_t low) {
  __int128 sum = (static_cast<__int128>(high) << 32) + low;
  return sum > kMax ? kMax : static_cast<int64_t>(sum);
}

std::string format_microcents(int64_t microcents) {
  std::string sign;
  // Work in unsigned so INT64_MIN has a magnitude.
  uint64_t magnitude = static_cast<uint64_t>(microcents);
  if (microcents < 0) {
    sign = "-";
    magnitude = 0 - magnitude;
  }
  // 1 dollar = 100 cents = 1e8 micro-cents: 8 decimals.
  constexpr uint64_t kPerDollar = 100ULL * project::kMicroCentsPerCent;
  uint64_t dollars = magnitude / kPerDollar;
  std::string fraction = std::to_string(magnitude % kPerDollar);
  fraction.insert(0, 8 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return sign + "$" + std::to_string(dollars) + "." + fraction;
}

std::string format_cents(int64_t cents) {
  std::string sign;
  uint64_t magnitude = static_cast<uint64_t>(cents);
  if (cents < 0) {
    sign = "-";
    magnitude = 0 - magnitude;
  }
  std::string fraction = std::to_string(magnitude % 100);
  if (fraction.size() < 2) fraction.insert(0, "0");
  return sign + "$" + std::to_string(magnitude / 100) + "." + fraction;
}

Result<int64_t> price_tokens(const project::ModelPrice& price, const TokenUsage& usage) {
  if (usage.input < 0 || usage.output < 0 || usage.cached_input < 0 || usage.cache_write < 0) {
    return Error(Code::kInvalidArgument, "token counts must not be negative");
  }
  using i128 = __int128;
  i128 cached_price = price.cached_input_per_1k.value_or(price.input_per_1k);
  i128 cache_write_price = price.cache_write_per_1k.value_or(price.input_per_1k);
  i128 total = i128(usage.input) * price.input_per_1k + i128(usage.output) * price.output_per_1k +
               i128(usage.cached_input) * cached_price + i128(usage.cache_write) * cache_write_price;
  i128 rounded_up = (total + 999) / 1000;
  if (rounded_up > kMaxCostMicrocents) {
    return Error(Code::kResourceExhausted, "the cost is above the most one cost may be (" +
                                               format_microcents(kMaxCostMicrocents) + ")");
  }
  return static_cast<int64_t>(rounded_up);
}

PeriodWindow period_window(project::BudgetPeriod period, int64_t now_ms) {
  using namespace std::chrono;
  using project::BudgetPeriod;
  auto to_ms = [](sys_days day) { return duration_cast<milliseconds>(day.time_since_epoch()).count(); };
  sys_time<milliseconds> now{milliseconds(now_ms)};
  sys_days today = floor<days>(now);
  switch (period) {
    case BudgetPeriod::kHour: {
      int64_t start = floor<hours>(now).time_since_epoch().count() * 3'600'000;
      return {start, start + 3'600'000};
    }
    case BudgetPeriod::kDay:
      return {to_ms(today), to_ms(today + days(1))};
    case BudgetPeriod::kWeek: {
      // ISO 8601: weeks start on Monday (iso_encoding 1 .. Sunday 7).
      sys_days monday = today - days(weekday(today).iso_encoding() - 1);
      return {to_ms(monday), to_ms(monday + days(7))};
    }
    case BudgetPeriod::kMonth: {
      year_month_day ymd(today);
      year_month first = ymd.year() / ymd.month();
      year_month next = first + months(1);
      return {to_ms(sys_days(first / 1)), to_ms(sys_days(next / 1))};
    }
    case BudgetPeriod::kTotal:
      return {kMin, kMax};
  }
  return {kMin, kMax};
}

bool known_timezone(const std::string& timezone) {
  if (timezone == "UTC") return true;
  try {
    date::locate_zone(timezone);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

Result<PeriodWindow> period_window(project::BudgetPeriod period, int64_t now_ms, const std::string& timezone) {
  if (timezone == "UTC" || period == project::BudgetPeriod::kTotal) return period_window(period, now_ms);
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(timezone);
  } catch (const std::exception&) {
    return Error(Code::kInvalidArgument, "unknown time zone", timezone);
  }
  using namespace std::chrono;
  using project::BudgetPeriod;
  auto local_now = zone->to_local(sys_time<milliseconds>(milliseconds(now_ms)));
  auto today = date::floor<days>(local_now);
  date::local_time<minutes> start, end;
  switch (period) {
    case BudgetPeriod::kHour: {
      auto hour = date::floor<hours>(local_now);
      start = hour, end = hour + hours(1);
      break;
    }
    case BudgetPeriod::kDay:
      start = today, end = today + days(1);
      break;
    case BudgetPeriod::kWeek: {
      date::local_days monday = today - days(date::weekday(today).iso_encoding() - 1);
      start = monday, end = monday + days(7);
      break;
    }
    case BudgetPeriod::kMonth: {
      date::year_month_day ymd(today);
      date::year_month first = ymd.year() / ymd.month();
      date::year_month next = first + date::months(1);
      start = date::local_days(first / 1), end = date::local_days(next / 1);
      break;
    }
    case BudgetPeriod::kTotal:
      break;
  }
  // A local midnight can fall in a DST gap or twice in a fold: take the
  // earliest real instant (a gap's local time maps to the instant it ends).
  auto to_ms = [zone](date::local_time<minutes> local) {
    auto info = zone->get_info(local);
    if (info.result == date::local_info::nonexistent) {
      return duration_cast<milliseconds>(info.second.begin.time_since_epoch()).count();
    }
    return duration_cast<milliseconds>(zone->to_sys(local, date::choose::earliest).time_since_epoch()).count();
  };
  return PeriodWindow{to_ms(start), to_ms(end)};
}

std::optional<project::BudgetPeriod> parse_period(std::string_view text) {
  using project::BudgetPeriod;
  for (auto value : {BudgetPeriod::kHour, BudgetPeriod::kDay, BudgetPeriod::kWeek, BudgetPeriod::kMonth,
                     BudgetPeriod::kTotal}) {
    if (project::enum_name(value) == text) return value;
  }
  // Common spellings users type: "hourly", "daily" ...
  if (text == "hourly") return BudgetPeriod::kHour;
  if (text == "daily") return BudgetPeriod::kDay;
  if (text == "weekly") return BudgetPeriod::kWeek;
  if (text == "monthly") return BudgetPeriod::kMonth;
  return std::nullopt;
}

std::optional<project::OnExceed> parse_on_exceed(std::string_view text) {
  using project::OnExceed;
  for (auto value : {OnExceed::kPause, OnExceed::kStop, OnExceed::kThrottle, OnExceed::kWarn}) {
    if (project::enum_name(value) == text) return value;
  }
  return std::nullopt;
}

// amount_microcents is 0 .. kMaxCostMicrocents (base/money.h), so that no
// sum of rows is beyond what governance/ledger_sums.h adds exactly.
Result<int64_t> CostLedger::insert(const LedgerRow& row) {
  if (row.amount_microcents < 0) return Error(Code::kInvalidArgument, "a cost must not be negative", row.agent);
  if (row.amount_microcents > kMaxCostMicrocents) {
    return Error(Code::kInvalidArgument,
                 "a cost of " + format_microcents(row.amount_microcents) + " is above the most one cost may be (" +
                     format_microcents(kMaxCostMicrocents) + ")",
                 row.agent);
  }
  if (row.beyond_reservation_microcents < 0 || row.beyond_reservation_microcents > row.amount_microcents) {
    return Error(Code::kInvalidArgument, "the part beyond the reservation is outside the cost", row.agent);
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare("INSERT INTO cost_ledger(ts_ms, agent, amount_microcents, source, detail, "
                                          "beyond_reservation_microcents) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"));
  stmt.bind(1, row.ts_ms).bind(2, row.agent).bind(3, row.amount_microcents).bind(4, row.source).bind(5, row.detail);
  stmt.bind(6, row.beyond_reservation_microcents);
  NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
  if (!has_row) return Error(Code::kInternal, "INSERT ... RETURNING gave no row");
  int64_t id = stmt.column_int64(0);
  NAOS_ASSIGN_OR_RETURN(bool more, stmt.step());
  (void)more;
  return id;
}

namespace {

// The sum of `column` over an agent's rows (every agent's when `agent` is
// empty) since `since_ms`, exact and saturating (governance/ledger_sums.h).
// `column` is one of two fixed names.
Result<int64_t> sum_since(store::Database& database, std::string_view column, std::string_view agent,
                          int64_t since_ms) {
  std::string sql = "SELECT " + split_sum_sql(column) + " FROM cost_ledger WHERE ts_ms >= ?1";
  if (!agent.empty()) sql += " AND agent = ?2";
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database.prepare(sql));
  stmt.bind(1, since_ms);
  if (!agent.empty()) stmt.bind(2, agent);
  NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
  return has_row ? joined_sum(stmt.column_int64(0), stmt.column_int64(1)) : 0;
}

}  // namespace

Result<int64_t> CostLedger::spent_since(std::string_view agent, int64_t since_ms) {
  auto key = std::make_pair(std::string(agent), since_ms);
  auto found = tallies_.find(key);
  // ?1 agent, ?2 since_ms, ?3 the id counted through, ?4 1 for every agent.
  // The first sum uses the (agent, ts_ms) index; later ones read only the
  // rows appended since, by rowid.
  // Built once: the SQL text is the statement cache's key.
  static const std::string kAfter =
      "SELECT COALESCE(MAX(id), ?3), " +
      split_sum_sql("CASE WHEN (?4 OR agent = ?1) AND ts_ms >= ?2 THEN amount_microcents ELSE 0 END") +
      " FROM cost_ledger WHERE id > ?3";
  static const std::string kEvery = "SELECT COALESCE((SELECT MAX(id) FROM cost_ledger), 0), s.* FROM (SELECT " +
                                    split_sum_sql("amount_microcents") +
                                    " FROM cost_ledger WHERE ts_ms >= ?2) AS s";
  static const std::string kOne = "SELECT COALESCE((SELECT MAX(id) FROM cost_ledger), 0), s.* FROM (SELECT " +
                                  split_sum_sql("amount_microcents") +
                                  " FROM cost_ledger WHERE agent = ?1 AND ts_ms >= ?2) AS s";
  const std::string& sql = found != tallies_.end() ? kAfter : agent.empty() ? kEvery : kOne;
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database_.prepare(sql));
  stmt.bind(1, agent).bind(2, since_ms).bind(4, int64_t{agent.empty()});
  if (found != tallies_.end()) stmt.bind(3, found->second.through_id);
  NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
  if (!has_row) return Error(Code::kInternal, "an aggregate gave no row");
  int64_t through = stmt.column_int64(0), added = joined_sum(stmt.column_int64(1), stmt.column_int64(2));
  if (found == tallies_.end()) {
    if (tallies_.size() >= kMaxTallies) tallies_.clear();  // old periods' sums
    found = tallies_.emplace(std::move(key), Tally{}).first;
  }
  found->second.through_id = through;
  found->second.spent = add_saturating(found->second.spent, added);
  return found->second.spent;
}

Result<int64_t> CostLedger::beyond_reservations_since(std::string_view agent, int64_t since_ms) {
  return sum_since(database_, "beyond_reservation_microcents", agent, since_ms);
}

Result<std::vector<LedgerRow>> CostLedger::rows_since(std::string_view agent, int64_t since_ms) {
  std::string sql =
      "SELECT id, ts_ms, agent, amount_microcents, source, detail, beyond_reservation_microcents "
      "FROM cost_ledger WHERE ts_ms >= ?1";
  sql += agent.empty() ? " ORDER BY ts_ms, id" : " AND agent = ?2 ORDER BY ts_ms, id";
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database_.prepare(sql));
  stmt.bind(1, since_ms);
  if (!agent.empty()) stmt.bind(2, agent);
  std::vector<LedgerRow> rows;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) break;
    rows.push_back({stmt.column_int64(0), stmt.column_int64(1), stmt.column_text(2), stmt.column_int64(3),
                    stmt.column_text(4), stmt.column_text(5), stmt.column_int64(6)});
  }
  return rows;
}

Result<std::vector<std::string>> CostLedger::agents() {
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare("SELECT DISTINCT agent FROM cost_ledger ORDER BY agent"));
  std::vector<std::string> out;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) break;
    out.push_back(stmt.column_text(0));
  }
  return out;
}

}  // namespace naos::governance
