#include "views/cost.h"

#include <algorithm>
#include <string>

#include "base/bytes_json.h"
#include "base/clock.h"

namespace naos::views {

nlohmann::json budget_json(const project::BudgetConfig& budget) {
  return {{"agent", budget.target},
          {"limit_cents", budget.limit_cents},
          {"limit", governance::format_cents(budget.limit_cents)},
          {"period", std::string(project::enum_name(budget.period))},
          {"action", std::string(project::enum_name(budget.on_exceed))},
          {"alert_at", budget.alert_at_percent}};
}

nlohmann::json budget_status_json(const governance::BudgetStatus& s, int64_t now_ms) {
  nlohmann::json row = {{"agent", s.target},
                        {"spent_microcents", s.spent_microcents},
                        {"spent", governance::format_microcents(s.spent_microcents)},
                        {"reserved_microcents", s.reserved_microcents},
                        {"total_microcents", s.total_microcents},
                        {"total", governance::format_microcents(s.total_microcents)},
                        {"budget", nullptr}};
  if (!s.budget) return row;
  int64_t limit = governance::cents_to_microcents(s.budget->limit_cents);
  row["budget"] = {{"limit_cents", s.budget->limit_cents},
                   {"limit", governance::format_cents(s.budget->limit_cents)},
                   {"period", std::string(project::enum_name(s.budget->period))},
                   {"action", std::string(project::enum_name(s.budget->on_exceed))},
                   {"alert_at", s.budget->alert_at_percent}};
  int64_t remaining = std::max<int64_t>(limit - s.spent_microcents, 0);
  row["remaining_microcents"] = remaining;
  row["remaining"] = governance::format_microcents(remaining);
  row["exceeded"] = s.spent_microcents >= limit;
  if (s.budget->period != project::BudgetPeriod::kTotal) {
    row["period_start"] = format_utc_ms(s.window.start_ms);
    row["resets_at"] = format_utc_ms(s.window.end_ms);
    row["resets_in_ms"] = s.window.end_ms - now_ms;
  }
  return row;
}

nlohmann::json ledger_row_json(const governance::LedgerRow& r) {
  return {{"id", r.id},
          {"timestamp", format_utc_ms(r.ts_ms)},
          {"agent", r.agent},
          {"amount_microcents", r.amount_microcents},
          {"amount", governance::format_microcents(r.amount_microcents)},
          {"source", r.source},
          {"detail", bytes_json(r.detail)}};  // an agent's note: any bytes
}

}  // namespace naos::views
