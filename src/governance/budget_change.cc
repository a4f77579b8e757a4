#include "governance/budget_change.h"

#include "governance/cost_ledger.h"

namespace naos::governance {

Result<project::BudgetConfig> apply_budget_change(project::BudgetConfig budget, const BudgetChange& change) {
  // "$10/day": the amount, then the period after the slash.
  std::string amount = change.amount;
  std::string period = change.period;
  if (auto slash = amount.find('/'); slash != std::string::npos) {
    std::string from_text = amount.substr(slash + 1);
    amount.resize(slash);
    if (!period.empty() && period != from_text) {
      return Error(Code::kInvalidArgument,
                   "\"" + change.amount + "\" says /" + from_text + " but the period given is " + period, "budget");
    }
    period = from_text;
  }
  auto cents = project::parse_money_cents(amount);
  if (!cents) return Error(Code::kInvalidArgument, "\"" + change.amount + "\": " + cents.error().message(), "budget");
  budget.limit_cents = *cents;
  if (!period.empty()) {
    auto parsed = parse_period(period);
    if (!parsed) {
      return Error(Code::kInvalidArgument, "\"" + period + "\" is not one of hour, day, week, month, total", "period");
    }
    budget.period = *parsed;
  }
  if (!change.action.empty()) {
    auto parsed = parse_on_exceed(change.action);
    if (!parsed) {
      return Error(Code::kInvalidArgument, "\"" + change.action + "\" is not one of pause, stop, throttle, warn",
                   "action");
    }
    budget.on_exceed = *parsed;
  }
  if (change.alert_at) budget.alert_at_percent = *change.alert_at;
  return budget;
}

}  // namespace naos::governance
