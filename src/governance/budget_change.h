// A change to a budget as people write it — `naos cost set AGENT --budget
// "$10/day" --alert-at 80 --action pause`, or the same fields in a
// POST /api/v1/cost/AGENT/budget — applied to the budget in force.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "project/config.h"

namespace naos::governance {

struct BudgetChange {
  // "$10/day", "$10", or cents ("1000"); a "/period" suffix sets the period.
  std::string amount;
  // hour, day, week, month or total; empty: the suffix's, else unchanged.
  std::string period;
  std::optional<uint32_t> alert_at;  // percent of the limit
  std::string action;                // pause, stop, throttle or warn; empty: unchanged
};

// `budget` with `change` applied. Errors: kInvalidArgument whose subject is
// the field at fault: "budget" (the amount, INVALID_AMOUNT), "period" or "action".
Result<project::BudgetConfig> apply_budget_change(project::BudgetConfig budget, const BudgetChange& change);

}  // namespace naos::governance
