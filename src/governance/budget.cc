#include "governance/budget.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

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
    : enforcer_(other.enforcer_), agent_(std::move(other.agent_)), targets_(std::move(other.targets_)),
      amount_(other.amount_) {
  other.enforcer_ = nullptr;
}

Reservation::~Reservation() {
  if (enforcer_ != nullptr) enforcer_->release(targets_, amount_);
}

Status Reservation::settle(int64_t actual_microcents, std::string_view source, std::string_view detail,
                           const nlohmann::json& fields) {
  if (enforcer_ == nullptr) return Error(Code::kFailedPrecondition, "the reservation is settled already", agent_);
  if (actual_microcents < 0 || actual_microcents > amount_) {
    return Error(Code::kInvalidArgument,
                 "actual cost " + format_microcents(actual_microcents) + " is outside the reservation of " +
                     format_microcents(amount_),
                 agent_);
  }
  return enforcer_->settle(*this, actual_microcents, source, detail, fields);
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

Result<Reservation> BudgetEnforcer::reserve(std::string_view agent, int64_t max_microcents, BudgetRefusal* refusal) {
  if (max_microcents < 0) return Error(Code::kInvalidArgument, "a cost must not be negative", std::string(agent));
  std::optional<BudgetRefusal> refused;
  std::vector<std::string> targets;
  {
    std::lock_guard lock(mutex_);
    int64_t now_ms = clock_.now_ms();
    NAOS_ASSIGN_OR_RETURN(auto applied, applied_locked(agent, now_ms));
    for (const auto& a : applied) {
      auto found = reserved_.find(a.budget.target);
      int64_t reserved = found == reserved_.end() ? 0 : found->second;
      if (refuses(a, reserved, max_microcents, now_ms)) {
        refused = BudgetRefusal{a.budget.target, a.budget.on_exceed, paced_limit(a, now_ms),
                                add_saturating(a.spent, reserved), max_microcents};
        break;
      }
    }
    if (!refused) {
      for (const auto& a : applied) {
        reserved_[a.budget.target] += max_microcents;
        targets.push_back(a.budget.target);
      }
#ifndef NDEBUG
      check_invariants_locked();
#endif
    }
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
  return Reservation(this, std::string(agent), std::move(targets), max_microcents);
}

void BudgetEnforcer::release(const std::vector<std::string>& targets, int64_t amount) {
  std::lock_guard lock(mutex_);
  for (const auto& target : targets) {
    auto found = reserved_.find(target);
    if (found == reserved_.end()) continue;
    found->second -= amount;
    if (found->second == 0) reserved_.erase(found);
  }
#ifndef NDEBUG
  check_invariants_locked();
#endif
}

Status BudgetEnforcer::settle(Reservation& reservation, int64_t actual, std::string_view source,
                              std::string_view detail, const nlohmann::json& fields) {
  std::vector<AuditEventDraft> events;
  const std::string& agent = reservation.agent_;
  {
    std::lock_guard lock(mutex_);
    int64_t now = clock_.now_ms();
    // Before, to see which thresholds this cost crosses.
    NAOS_ASSIGN_OR_RETURN(auto before, applied_locked(agent, now));
    NAOS_ASSIGN_OR_RETURN(int64_t id, ledger_.insert({0, now, agent, actual, std::string(source),
                                                      std::string(detail).substr(0, kMaxCostDetailBytes)}));
    for (const auto& target : reservation.targets_) {
      auto found = reserved_.find(target);
      if (found == reserved_.end()) continue;
      found->second -= reservation.amount_;
      if (found->second == 0) reserved_.erase(found);
    }
    reservation.enforcer_ = nullptr;
    nlohmann::json recorded = {{"detail", format_microcents(actual)},
                               {"amount_microcents", actual},
                               {"source", std::string(source)},
                               {"note", std::string(detail).substr(0, kMaxCostDetailBytes)},
                               {"ledger_id", id}};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        if (!recorded.contains(key)) recorded[key] = value;
      }
    }
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
      // Only a budget that lets the crossing call through can be crossed:
      // warn (or soft enforcement); record it once, when it is crossed.
      if (b.spent <= b.limit_microcents && after > b.limit_microcents) {
        auto payload = budget_json(b.budget);
        payload["detail"] = "budget " + b.budget.target + " exceeded: " + format_microcents(after) + " of " +
                            format_microcents(b.limit_microcents);
        payload["spent_microcents"] = after;
        events.push_back({agent, agent, event::kBudgetExceeded, std::move(payload)});
      }
    }
#ifndef NDEBUG
    check_invariants_locked();
#endif
  }
  for (auto& e : events) audit(std::move(e));
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
  std::set<std::string> seen;
  std::vector<BudgetStatus> out;
  for (const auto& budget : all) {
    NAOS_ASSIGN_OR_RETURN(auto applied, apply_locked(budget, now));
    BudgetStatus status;
    status.target = budget.target;
    status.budget = budget;
    status.window = applied.window;
    status.spent_microcents = applied.spent;
    auto found = reserved_.find(budget.target);
    status.reserved_microcents = found == reserved_.end() ? 0 : found->second;
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

void BudgetEnforcer::check_invariants_locked() {
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "BudgetEnforcer invariant broken: %s\n", what.c_str());
    std::abort();
  };
  auto all = budgets_locked();
  if (!all) return;  // the database is unreadable; nothing to check against
  std::set<std::string> targets;
  for (const auto& budget : *all) targets.insert(budget.target);
  for (const auto& [target, reserved] : reserved_) {
    // I1: reserved_[b] >= 0 for every budget b.
    if (reserved < 0) fail("I1 negative reservation on " + target);
    // I3: reserved_ has no entry for a target without a budget.
    if (!targets.count(target)) fail("I3 reservation on " + target + ", which has no budget");
  }
  if (config_.enforcement != project::Enforcement::kHard) return;
  int64_t now = clock_.now_ms();
  for (const auto& budget : *all) {
    if (budget.on_exceed == project::OnExceed::kWarn) continue;
    auto applied = apply_locked(budget, now);
    if (!applied) return;
    auto found = reserved_.find(budget.target);
    int64_t reserved = found == reserved_.end() ? 0 : found->second;
    // I2: under hard enforcement, spent + reserved <= limit. Checked while
    // this process holds reservations on b: spending without one (another
    // process, a limit lowered by `naos cost set`) is outside what reserve
    // can promise (budget.h "Scope of the guarantee").
    if (reserved > 0 && add_saturating(applied->spent, reserved) > applied->limit_microcents) {
      fail("I2 budget " + budget.target + ": spent " + format_microcents(applied->spent) + " + reserved " +
           format_microcents(reserved) + " > limit " + format_microcents(applied->limit_microcents));
    }
  }
}

}  // namespace naos::governance
