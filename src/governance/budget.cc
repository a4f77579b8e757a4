#include "governance/budget.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "base/bytes_json.h"
#include "base/money.h"
#include "base/process.h"
#include "governance/ledger_sums.h"

namespace naos::governance {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// spent * 100 >= limit * percent, in 128 bits.
bool reached_percent(int64_t spent, int64_t limit, uint32_t percent) {
  return static_cast<__int128>(spent) * 100 >= static_cast<__int128>(limit) * percent;
}

nlohmann::json budget_json(const project::BudgetConfig& budget) {
  return {{"budget", budget.target},
          {"limit", format_cents(budget.limit_cents)},
          {"period", std::string(project::enum_name(budget.period))},
          {"action", std::string(project::enum_name(budget.on_exceed))}};
}

}  // namespace

// ---- Reservation -------------------------------------------------------------

Reservation::Reservation(Reservation&& other) noexcept
    : enforcer_(other.enforcer_), agent_(std::move(other.agent_)), id_(other.id_), stored_(other.stored_),
      amount_(other.amount_) {
  other.enforcer_ = nullptr;
}

Reservation::~Reservation() {
  if (enforcer_ != nullptr && stored_) enforcer_->release(id_);
}

Status Reservation::settle(int64_t actual_microcents, std::string_view source, std::string_view detail,
                           const nlohmann::json& fields, BudgetRefusal* crossed) {
  if (enforcer_ == nullptr) return Error(Code::kFailedPrecondition, "the reservation is settled already", agent_);
  if (actual_microcents < 0) return Error(Code::kInvalidArgument, "a cost must not be negative", agent_);
  return enforcer_->settle(*this, actual_microcents, source, detail, fields, crossed);
}

// ---- BudgetEnforcer ------------------------------------------------------------

Result<std::unique_ptr<BudgetEnforcer>> BudgetEnforcer::open(const std::filesystem::path& database_file,
                                                             AuditLog* audit, Clock& clock,
                                                             project::CostConfig config) {
  NAOS_ASSIGN_OR_RETURN(auto database, store::Database::open(database_file));
  return std::unique_ptr<BudgetEnforcer>(new BudgetEnforcer(std::move(database), audit, clock, std::move(config)));
}

BudgetEnforcer::BudgetEnforcer(std::unique_ptr<store::Database> database, AuditLog* audit, Clock& clock,
                               project::CostConfig config)
    : database_(std::move(database)), ledger_(*database_), audit_(audit), clock_(clock), config_(std::move(config)) {}

void BudgetEnforcer::audit(AuditEventDraft draft) {
  if (audit_ == nullptr) return;
  // A cost is in the ledger already; a failed audit append is reported by
  // the audit log's own verification, not by failing the agent's call.
  audit_->append(std::move(draft)).ignore_error();
}

Result<std::vector<project::BudgetConfig>> BudgetEnforcer::budgets_locked() {
  std::map<std::string, project::BudgetConfig> merged;
  for (const auto& [target, budget] : config_.budgets) {
    merged[target] = budget;
    merged[target].target = target;
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_->prepare("SELECT target, limit_cents, period, on_exceed, alert_at FROM cost_budgets"));
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) break;
    project::BudgetConfig budget;
    budget.target = stmt.column_text(0);
    budget.limit_cents = stmt.column_int64(1);
    budget.period = parse_period(stmt.column_text(2)).value_or(project::BudgetPeriod::kDay);
    budget.on_exceed = parse_on_exceed(stmt.column_text(3)).value_or(project::OnExceed::kPause);
    budget.alert_at_percent = static_cast<uint32_t>(stmt.column_int64(4));
    merged[budget.target] = budget;
  }
  std::vector<project::BudgetConfig> out;
  for (auto& [target, budget] : merged) out.push_back(std::move(budget));
  return out;
}

Result<int64_t> BudgetEnforcer::reset_ms_locked(std::string_view target) {
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_->prepare("SELECT reset_ms FROM cost_budget_state WHERE target = ?1"));
  stmt.bind(1, target);
  NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
  return has_row ? stmt.column_int64(0) : kMin;
}

Result<BudgetEnforcer::Applied> BudgetEnforcer::apply_locked(const project::BudgetConfig& budget, int64_t now_ms) {
  Applied applied;
  applied.budget = budget;
  applied.limit_microcents = cents_to_microcents(budget.limit_cents);
  NAOS_ASSIGN_OR_RETURN(applied.window, period_window(budget.period, now_ms, config_.timezone));
  NAOS_ASSIGN_OR_RETURN(int64_t reset_ms, reset_ms_locked(budget.target));
  applied.counted_from_ms = std::max(applied.window.start_ms, reset_ms);
  std::string_view agent = budget.target == project::kGlobalBudget ? std::string_view() : budget.target;
  NAOS_ASSIGN_OR_RETURN(applied.spent, ledger_.spent_since(agent, applied.counted_from_ms));
  return applied;
}

Result<std::vector<BudgetEnforcer::Applied>> BudgetEnforcer::applied_locked(std::string_view agent, int64_t now_ms) {
  NAOS_ASSIGN_OR_RETURN(auto all, budgets_locked());
  std::vector<Applied> out;
  for (const auto& budget : all) {
    if (budget.target != agent && budget.target != project::kGlobalBudget) continue;
    NAOS_ASSIGN_OR_RETURN(auto applied, apply_locked(budget, now_ms));
    out.push_back(std::move(applied));
  }
  return out;
}

int64_t BudgetEnforcer::paced_limit(const Applied& applied, int64_t now_ms) {
  const int64_t limit = applied.limit_microcents;
  if (applied.budget.on_exceed != project::OnExceed::kThrottle || applied.budget.period == project::BudgetPeriod::kTotal) {
    return limit;
  }
  int64_t span = applied.window.end_ms - applied.window.start_ms;
  int64_t elapsed = std::clamp<int64_t>(now_ms - applied.window.start_ms, 0, span);
  if (span <= 0) return limit;
  int64_t burst = limit / 10;
  // 128-bit product: a large limit times a month of milliseconds overflows 64 bits.
  auto accrued = static_cast<int64_t>(static_cast<__int128>(limit - burst) * elapsed / span);
  return std::min(limit, burst + accrued);
}

bool BudgetEnforcer::refuses(const Applied& applied, int64_t reserved, int64_t request, int64_t now_ms) const {
  if (applied.budget.on_exceed == project::OnExceed::kWarn) return false;
  int64_t committed = add_saturating(applied.spent, reserved);
  int64_t limit = paced_limit(applied, now_ms);
  switch (config_.enforcement) {
    case project::Enforcement::kHard: return add_saturating(committed, request) > limit;
    case project::Enforcement::kSoft: return committed >= limit;
    case project::Enforcement::kWarn: return false;
  }
  return false;
}

Result<std::map<std::string, int64_t, std::less<>>> BudgetEnforcer::reserved_locked(bool delete_orphans) {
  // Summed without overflow, as the ledger is (governance/ledger_sums.h).
  static const std::string kSql = "SELECT owner_pid, owner_start, target, " + split_sum_sql("amount_microcents") +
                                  " FROM cost_reservations GROUP BY owner_pid, owner_start, target";
  NAOS_ASSIGN_OR_RETURN(store::Statement rows, database_->prepare(kSql));
  std::map<std::string, int64_t, std::less<>> out;
  std::vector<ProcessIdentity> orphans;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool has_row, rows.step());
    if (!has_row) break;
    ProcessIdentity owner{rows.column_int64(0), rows.column_int64(1)};
    if (!process_alive(owner)) {
      if (std::find(orphans.begin(), orphans.end(), owner) == orphans.end()) orphans.push_back(owner);
      continue;
    }
    int64_t& sum = out[rows.column_text(2)];
    sum = add_saturating(sum, joined_sum(rows.column_int64(3), rows.column_int64(4)));
  }
  if (delete_orphans) {
    for (const auto& owner : orphans) {
      NAOS_ASSIGN_OR_RETURN(store::Statement drop,
                            database_->prepare("DELETE FROM cost_reservations WHERE owner_pid = ?1 AND owner_start = ?2"));
      drop.bind(1, owner.pid).bind(2, owner.start_ticks);
      NAOS_TRY(drop.run());
    }
  }
  return out;
}

Status BudgetEnforcer::delete_reservation_locked(int64_t id) {
  NAOS_ASSIGN_OR_RETURN(store::Statement drop,
                        database_->prepare("DELETE FROM cost_reservations "
                                           "WHERE owner_pid = ?1 AND owner_start = ?2 AND reservation = ?3"));
  drop.bind(1, this_process().pid).bind(2, this_process().start_ticks).bind(3, id);
  return drop.run();
}

Status BudgetEnforcer::durable_commits_locked(bool full) {
  if (synchronous_full_ == full) return ok();
  NAOS_TRY(database_->run(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  synchronous_full_ = full;
  return ok();
}

Result<Reservation> BudgetEnforcer::reserve(std::string_view agent, int64_t max_microcents, BudgetRefusal* refusal) {
  if (max_microcents < 0) return Error(Code::kInvalidArgument, "a cost must not be negative", std::string(agent));
  if (max_microcents > kMaxCostMicrocents) {
    return Error(Code::kInvalidArgument,
                 "a cost of " + format_microcents(max_microcents) + " is above the most one cost may be (" +
                     format_microcents(kMaxCostMicrocents) + ")",
                 std::string(agent));
  }
  std::optional<BudgetRefusal> refused;
  int64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    // Without a budget there is nothing to hold: no transaction, no write.
    NAOS_ASSIGN_OR_RETURN(auto all, budgets_locked());
    bool governed = std::any_of(all.begin(), all.end(), [&](const project::BudgetConfig& b) {
      return b.target == agent || b.target == project::kGlobalBudget;
    });
    if (!governed && unreleased_.empty()) return Reservation(this, std::string(agent), 0, false, max_microcents);

    NAOS_TRY(durable_commits_locked(false));
    NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database_->begin());
    for (int64_t unreleased : unreleased_) NAOS_TRY(delete_reservation_locked(unreleased));
    int64_t now_ms = clock_.now_ms();
    NAOS_ASSIGN_OR_RETURN(auto reserved, reserved_locked(/*delete_orphans=*/true));
    NAOS_ASSIGN_OR_RETURN(auto applied, applied_locked(agent, now_ms));
    for (const auto& a : applied) {
      auto found = reserved.find(a.budget.target);
      int64_t held = found == reserved.end() ? 0 : found->second;
      if (refuses(a, held, max_microcents, now_ms)) {
        refused = BudgetRefusal{a.budget.target, a.budget.on_exceed, paced_limit(a, now_ms),
                                add_saturating(a.spent, held), max_microcents};
        break;
      }
    }
    if (!refused && !applied.empty()) {
      id = next_reservation_++;
      for (const auto& a : applied) {
        NAOS_ASSIGN_OR_RETURN(store::Statement insert,
                              database_->prepare("INSERT INTO cost_reservations(owner_pid, owner_start, reservation, "
                                                 "target, agent, amount_microcents, limit_microcents, created_ms) "
                                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
        insert.bind(1, this_process().pid).bind(2, this_process().start_ticks).bind(3, id);
        insert.bind(4, a.budget.target).bind(5, agent).bind(6, max_microcents).bind(7, a.limit_microcents);
        insert.bind(8, now_ms);
        NAOS_TRY(insert.run());
      }
    }
    // A refusal commits too: the orphans' rows are gone either way.
    NAOS_TRY(transaction.commit());
    unreleased_.clear();  // their deletes are committed now
#ifndef NDEBUG
    if (!refused) check_invariants_locked();
#endif
  }
  if (refused) {
    audit({std::string(agent), std::string(agent), event::kBudgetExceeded,
           {{"detail", "budget " + refused->target + " " + format_microcents(refused->spent_microcents) + " + " +
                           format_microcents(refused->requested_microcents) + " > " +
                           format_microcents(refused->limit_microcents)},
            {"budget", refused->target},
            {"action", std::string(project::enum_name(refused->action))},
            {"enforcement", std::string(project::enum_name(config_.enforcement))},
            {"limit_microcents", refused->limit_microcents},
            {"spent_microcents", refused->spent_microcents},
            {"requested_microcents", refused->requested_microcents}}});
    if (refusal != nullptr) *refusal = *refused;
    return Error(Code::kResourceExhausted,
                 "budget " + refused->target + " would be exceeded: " + format_microcents(refused->spent_microcents) +
                     " spent or reserved + " + format_microcents(refused->requested_microcents) + " > " +
                     format_microcents(refused->limit_microcents),
                 std::string(agent));
  }
  return Reservation(this, std::string(agent), id, id != 0, max_microcents);
}

void BudgetEnforcer::release(int64_t id) {
  std::lock_guard lock(mutex_);
  Status deleted = durable_commits_locked(false);
  if (deleted) deleted = delete_reservation_locked(id);
  // The row still counts against its budget, which errs on the safe side,
  // until the next reserve deletes it (or this process exits).
  if (!deleted) unreleased_.push_back(id);
#ifndef NDEBUG
  check_invariants_locked();
#endif
}

Status BudgetEnforcer::settle(Reservation& reservation, int64_t actual, std::string_view source,
                              std::string_view detail, const nlohmann::json& fields, BudgetRefusal* crossed) {
  std::vector<AuditEventDraft> events;
  const std::string& agent = reservation.agent_;
  const int64_t beyond = std::max<int64_t>(0, actual - reservation.amount_);
  std::optional<BudgetRefusal> crossing;
  {
    std::lock_guard lock(mutex_);
    NAOS_TRY(durable_commits_locked(true));
    NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database_->begin());
    int64_t now = clock_.now_ms();
    // Before, to see which thresholds this cost crosses.
    NAOS_ASSIGN_OR_RETURN(auto before, applied_locked(agent, now));
    NAOS_ASSIGN_OR_RETURN(int64_t id, ledger_.insert({0, now, agent, actual, std::string(source),
                                                      std::string(detail).substr(0, kMaxCostDetailBytes), beyond}));
    // Should this transaction fail from here on, no kept sum may count the row.
    struct ForgetSumsUnlessCommitted {
      CostLedger& ledger;
      bool committed = false;
      ~ForgetSumsUnlessCommitted() {
        if (!committed) ledger.forget_sums();
      }
    } guard{ledger_};
    if (reservation.stored_) NAOS_TRY(delete_reservation_locked(reservation.id_));
    nlohmann::json recorded = {{"detail", format_microcents(actual)},
                               {"amount_microcents", actual},
                               {"source", std::string(source)},
                               // The agent's own words, as bytes: {"base64": ...} unless UTF-8.
                               {"note", bytes_json(detail.substr(0, kMaxCostDetailBytes))},
                               {"ledger_id", id}};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        if (!recorded.contains(key)) recorded[key] = value;
      }
    }
    if (beyond > 0) recorded["beyond_reservation_microcents"] = beyond;
    events.push_back({agent, agent, event::kCostRecorded, std::move(recorded)});
    for (const auto& b : before) {
      int64_t after = add_saturating(b.spent, actual);
      uint32_t percent = b.budget.alert_at_percent;
      if (percent > 0 && reached_percent(after, b.limit_microcents, percent)) {
        NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                              database_->prepare("SELECT alerted_window_ms FROM cost_budget_state WHERE target = ?1"));
        stmt.bind(1, b.budget.target);
        NAOS_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        bool alerted = has_row && !stmt.column_is_null(0) && stmt.column_int64(0) == b.counted_from_ms;
        if (!alerted) {
          NAOS_ASSIGN_OR_RETURN(store::Statement mark,
                                database_->prepare("INSERT INTO cost_budget_state(target, alerted_window_ms) "
                                                   "VALUES (?1, ?2) ON CONFLICT(target) DO UPDATE SET "
                                                   "alerted_window_ms = excluded.alerted_window_ms"));
          mark.bind(1, b.budget.target).bind(2, b.counted_from_ms);
          NAOS_TRY(mark.run());
          auto payload = budget_json(b.budget);
          payload["detail"] = "budget " + b.budget.target + " at " + std::to_string(percent) + "%: " +
                              format_microcents(after) + " of " + format_microcents(b.limit_microcents);
          payload["spent_microcents"] = after;
          payload["alert_at"] = percent;
          events.push_back({agent, b.budget.target == project::kGlobalBudget ? "" : agent, event::kCostAlert,
                            std::move(payload)});
        }
      }
      // A budget is crossed by a call it lets through (warn, soft enforcement)
      // or by spending beyond a reservation; recorded once, when crossed.
      if (b.spent <= b.limit_microcents && after > b.limit_microcents) {
        // Under hard enforcement only spending beyond a reservation crosses;
        // the caller treats it as a refusal (pause, stop) of the next call.
        bool refusing = b.budget.on_exceed != project::OnExceed::kWarn &&
                        config_.enforcement == project::Enforcement::kHard;
        if (refusing && !crossing) {
          crossing = BudgetRefusal{b.budget.target, b.budget.on_exceed, b.limit_microcents, b.spent, actual};
        }
        auto payload = budget_json(b.budget);
        payload["detail"] = "budget " + b.budget.target + " exceeded: " + format_microcents(after) + " of " +
                            format_microcents(b.limit_microcents);
        payload["spent_microcents"] = after;
        events.push_back({agent, agent, event::kBudgetExceeded, std::move(payload)});
      }
    }
    NAOS_TRY(transaction.commit());
    guard.committed = true;
    reservation.enforcer_ = nullptr;
#ifndef NDEBUG
    check_invariants_locked();
#endif
  }
  for (auto& e : events) audit(std::move(e));
  if (crossing && crossed != nullptr) *crossed = *crossing;
  return ok();
}

Status BudgetEnforcer::record(std::string_view agent, int64_t microcents, std::string_view source,
                              std::string_view detail, BudgetRefusal* refusal, const nlohmann::json& fields) {
  NAOS_ASSIGN_OR_RETURN(Reservation reservation, reserve(agent, microcents, refusal));
  return reservation.settle(microcents, source, detail, fields);
}

Result<std::vector<project::BudgetConfig>> BudgetEnforcer::budgets() {
  std::lock_guard lock(mutex_);
  return budgets_locked();
}

Result<std::optional<project::BudgetConfig>> BudgetEnforcer::budget(std::string_view target) {
  NAOS_ASSIGN_OR_RETURN(auto all, budgets());
  for (auto& b : all) {
    if (b.target == target) return std::optional<project::BudgetConfig>(std::move(b));
  }
  return std::optional<project::BudgetConfig>();
}

Status BudgetEnforcer::set_budget(const project::BudgetConfig& budget, const std::string& actor) {
  if (budget.target.empty()) return Error(Code::kInvalidArgument, "a budget needs an agent name or global");
  if (budget.limit_cents < 0 || budget.limit_cents > project::kMaxCents) {
    return Error(Code::kInvalidArgument, "the limit is out of range", budget.target);
  }
  if (budget.alert_at_percent > 100) {
    return Error(Code::kInvalidArgument, "--alert-at is a percentage, 0 to 100", budget.target);
  }
  {
    std::lock_guard lock(mutex_);
    NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                          database_->prepare("INSERT INTO cost_budgets(target, limit_cents, period, on_exceed, "
                                             "alert_at, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                                             "ON CONFLICT(target) DO UPDATE SET limit_cents = excluded.limit_cents, "
                                             "period = excluded.period, on_exceed = excluded.on_exceed, "
                                             "alert_at = excluded.alert_at, updated_ms = excluded.updated_ms"));
    stmt.bind(1, budget.target).bind(2, budget.limit_cents).bind(3, project::enum_name(budget.period));
    stmt.bind(4, project::enum_name(budget.on_exceed)).bind(5, static_cast<int64_t>(budget.alert_at_percent));
    stmt.bind(6, clock_.now_ms());
    NAOS_TRY(stmt.run());
  }
  auto payload = budget_json(budget);
  payload["detail"] = format_cents(budget.limit_cents) + "/" + std::string(project::enum_name(budget.period));
  payload["alert_at"] = budget.alert_at_percent;
  audit({actor, budget.target == project::kGlobalBudget ? "" : budget.target, event::kCostBudgetSet, payload});
  return ok();
}

Status BudgetEnforcer::reset(std::string_view target, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(auto found, budget(target));
  if (!found) return Error(Code::kNotFound, "no budget for this agent", std::string(target));
  int64_t now = clock_.now_ms();
  {
    std::lock_guard lock(mutex_);
    NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                          database_->prepare("INSERT INTO cost_budget_state(target, reset_ms) VALUES (?1, ?2) "
                                             "ON CONFLICT(target) DO UPDATE SET reset_ms = excluded.reset_ms"));
    // Spending in this very millisecond counts as before the reset.
    stmt.bind(1, target).bind(2, now + 1);
    NAOS_TRY(stmt.run());
  }
  std::string agent = target == project::kGlobalBudget ? "" : std::string(target);
  audit({actor, agent, event::kCostReset, {{"detail", "budget " + std::string(target) + " reset"},
                                           {"budget", std::string(target)}, {"reason", "reset"}}});
  return ok();
}

Result<bool> BudgetEnforcer::exhausted(std::string_view agent) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(auto applied, applied_locked(agent, clock_.now_ms()));
  for (const auto& a : applied) {
    if (a.budget.on_exceed != project::OnExceed::kWarn && config_.enforcement != project::Enforcement::kWarn &&
        a.spent >= a.limit_microcents) {
      return true;
    }
  }
  return false;
}

Result<std::vector<BudgetStatus>> BudgetEnforcer::status() {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.now_ms();
  NAOS_ASSIGN_OR_RETURN(auto all, budgets_locked());
  NAOS_ASSIGN_OR_RETURN(auto spenders, ledger_.agents());
  NAOS_ASSIGN_OR_RETURN(auto reserved, reserved_locked(/*delete_orphans=*/false));
  std::set<std::string> seen;
  std::vector<BudgetStatus> out;
  for (const auto& budget : all) {
    NAOS_ASSIGN_OR_RETURN(auto applied, apply_locked(budget, now));
    BudgetStatus status;
    status.target = budget.target;
    status.budget = budget;
    status.window = applied.window;
    status.spent_microcents = applied.spent;
    auto found = reserved.find(budget.target);
    status.reserved_microcents = found == reserved.end() ? 0 : found->second;
    std::string_view agent = budget.target == project::kGlobalBudget ? std::string_view() : budget.target;
    NAOS_ASSIGN_OR_RETURN(status.total_microcents, ledger_.spent_since(agent, kMin));
    seen.insert(budget.target);
    out.push_back(std::move(status));
  }
  for (const auto& agent : spenders) {
    if (seen.count(agent)) continue;
    BudgetStatus status;
    status.target = agent;
    status.window = period_window(project::BudgetPeriod::kTotal, now);
    NAOS_ASSIGN_OR_RETURN(status.total_microcents, ledger_.spent_since(agent, kMin));
    status.spent_microcents = status.total_microcents;
    out.push_back(std::move(status));
  }
  return out;
}

void BudgetEnforcer::check_invariants() {
  std::lock_guard lock(mutex_);
  check_invariants_locked();
}

Result<std::map<std::string, int64_t, std::less<>>> BudgetEnforcer::reserved() {
  std::lock_guard lock(mutex_);
  return reserved_locked(/*delete_orphans=*/false);
}

void BudgetEnforcer::check_invariants_locked() {
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "BudgetEnforcer invariant broken: %s\n", what.c_str());
    std::abort();
  };
  // One read transaction, so the ledger and the reservations are one snapshot
  // even while other processes write.
  if (!database_->run("BEGIN DEFERRED")) return;
  struct EndRead {
    store::Database& database;
    ~EndRead() { database.run("COMMIT").ignore_error(); }
  } end_read{*database_};
  auto all = budgets_locked();
  if (!all) return;  // the database is unreadable; nothing to check against
  std::set<std::string, std::less<>> targets;
  for (const auto& budget : *all) targets.insert(budget.target);
  auto rows = database_->prepare("SELECT owner_pid, owner_start, target, amount_microcents, limit_microcents "
                                 "FROM cost_reservations");
  if (!rows) return;
  std::map<std::string, int64_t, std::less<>> reserved, admitted_limit;
  while (true) {
    auto has_row = rows->step();
    if (!has_row || !*has_row) break;
    ProcessIdentity owner{rows->column_int64(0), rows->column_int64(1)};
    std::string target = rows->column_text(2);
    int64_t amount = rows->column_int64(3);
    // I1: every reservation row holds an amount >= 0.
    if (amount < 0) fail("I1 negative reservation on " + target);
    // I3: this process holds no reservation row for a target without a budget.
    if (owner == this_process() && !targets.count(target)) {
      fail("I3 reservation on " + target + ", which has no budget");
    }
    if (!process_alive(owner)) continue;
    reserved[target] = add_saturating(reserved[target], amount);
    admitted_limit[target] = std::max(admitted_limit[target], rows->column_int64(4));
  }
  if (config_.enforcement != project::Enforcement::kHard) return;
  int64_t now = clock_.now_ms();
  for (const auto& budget : *all) {
    if (budget.on_exceed == project::OnExceed::kWarn) continue;
    auto found = reserved.find(budget.target);
    if (found == reserved.end() || found->second == 0) continue;
    auto applied = apply_locked(budget, now);
    if (!applied) return;
    std::string_view agent = budget.target == project::kGlobalBudget ? std::string_view() : budget.target;
    auto beyond = ledger_.beyond_reservations_since(agent, applied->counted_from_ms);
    if (!beyond) return;
    int64_t limit = std::max(applied->limit_microcents, admitted_limit[budget.target]);
    // I2: admitted spending plus what is reserved stays within the limit.
    int64_t admitted = add_saturating(applied->spent - *beyond, found->second);
    if (admitted > limit) {
      fail("I2 budget " + budget.target + ": spent " + format_microcents(applied->spent) + " (beyond reservations " +
           format_microcents(*beyond) + ") + reserved " + format_microcents(found->second) + " > limit " +
           format_microcents(limit));
    }
  }
}

}  // namespace naos::governance
