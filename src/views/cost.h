// Budgets and the spending ledger as `naos cost ... --json` prints them and
// /api/v1/cost answers them. Money is integer micro-cents beside its text
// ("$0.10").
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "governance/budget.h"
#include "governance/cost_ledger.h"

namespace naos::views {

// agent, limit_cents, limit, period, action, alert_at.
nlohmann::json budget_json(const project::BudgetConfig& budget);

// One row of `naos cost status --json`: agent, spent, reserved and total
// (micro-cents and text), the budget (null when there is spending but no
// budget), what remains, whether it is exceeded, and its period's start and
// reset (`now_ms` for resets_in_ms).
nlohmann::json budget_status_json(const governance::BudgetStatus& status, int64_t now_ms);

// One row of `naos cost history --json`: id, timestamp, agent, amount, source, detail (bytes).
nlohmann::json ledger_row_json(const governance::LedgerRow& row);

}  // namespace naos::views
