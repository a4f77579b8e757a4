// `naos cost set AGENT --budget "$10/day"` (or `--budget 1000 --period day`)
// `[--alert-at 80] [--action pause]`, `naos cost status [AGENT]`,
// `naos cost history [--days N] [--agent A]`, `naos cost reset AGENT|--all`.
// Budgets set here are rows of cost_budgets and override the config.

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "governance/budget.h"
#include "governance/budget_change.h"
#include "governance/cost_ledger.h"
#include "views/cost.h"

namespace naos::cli {
namespace {

constexpr ProductCode kBudgetExceeded{300, "BUDGET_EXCEEDED"};
constexpr ProductCode kBudgetNotFound{301, "BUDGET_NOT_FOUND"};
constexpr ProductCode kInvalidAmount{302, "INVALID_AMOUNT"};
constexpr int64_t kDayMs = 86'400'000;

struct SetOptions {
  std::string agent;
  std::string budget;
  std::string period;
  std::optional<uint32_t> alert_at;
  std::string action;
};

// "5h 12m", "3d 4h", "42s".
std::string format_duration_ms(int64_t ms) {
  int64_t s = std::max<int64_t>(ms, 0) / 1000;
  int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m";
  return std::to_string(s) + "s";
}

int set(Context& context, const SetOptions& options) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (options.agent != project::kGlobalBudget) {
    auto agent = (*naos)->agent(options.agent);
    if (!agent) return report_agent_error(globals, agent.error());
  }
  auto* enforcer = (*naos)->budget();
  auto existing = enforcer->budget(options.agent);
  if (!existing) return report_error(globals, existing.error());
  project::BudgetConfig base = existing->value_or(project::BudgetConfig{});
  base.target = options.agent;
  auto budget = governance::apply_budget_change(
      base, {.amount = options.budget, .period = options.period, .alert_at = options.alert_at, .action = options.action});
  if (!budget) {
    return report_error(globals, budget.error(),
                        budget.error().context() == "budget" ? std::optional(kInvalidAmount) : std::nullopt);
  }
  auto status = enforcer->set_budget(*budget, "cli");
  if (!status) return report_error(globals, status.error(), kInvalidAmount);
  if (globals.json) {
    nlohmann::json out = {{"ok", true}};
    out.update(views::budget_json(*budget));
    std::cout << out.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "budget " << budget->target << ": " << governance::format_cents(budget->limit_cents) << "/"
              << project::enum_name(budget->period) << ", alert at " << budget->alert_at_percent << "%, on exceed "
              << project::enum_name(budget->on_exceed) << "\n";
  }
  return 0;
}

int status(Context& context, const std::string& only) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto all = (*naos)->budget()->status();
  if (!all) return report_error(globals, all.error());
  int64_t now = context.clock.now_ms();
  std::vector<governance::BudgetStatus> rows;
  for (auto& s : *all) {
    if (only.empty() || s.target == only) rows.push_back(std::move(s));
  }
  if (!only.empty() && rows.empty()) {
    return report_error(globals, Error(Code::kNotFound, "no budget and no spending for this agent", only),
                        kBudgetNotFound);
  }
  if (globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : rows) out.push_back(views::budget_status_json(s, now));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table = {{"AGENT", "BUDGET", "SPENT", "REMAINING", "PERIOD", "TOTAL"}};
  for (const auto& s : rows) {
    std::string budget = "-", remaining = "-", period = "-";
    if (s.budget) {
      int64_t limit = governance::cents_to_microcents(s.budget->limit_cents);
      budget = governance::format_cents(s.budget->limit_cents) + "/" + std::string(project::enum_name(s.budget->period));
      remaining = governance::format_microcents(std::max<int64_t>(limit - s.spent_microcents, 0));
      period = std::string(project::enum_name(s.budget->period));
      if (s.budget->period != project::BudgetPeriod::kTotal) {
        period += " (resets in " + format_duration_ms(s.window.end_ms - now) + ")";
      }
    }
    table.push_back({s.target, budget, governance::format_microcents(s.spent_microcents), remaining, period,
                     governance::format_microcents(s.total_microcents)});
  }
  std::cout << format_table(table);
  return 0;
}

int history(Context& context, int64_t days, const std::string& agent) {
  auto& globals = context.globals;
  // Bounded so that days * kDayMs cannot overflow (and a century is plenty).
  if (days <= 0 || days > 36'500) {
    return report_error(globals, Error(Code::kInvalidArgument, "--days must be from 1 to 36500"));
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  int64_t since = context.clock.now_ms() - days * kDayMs;
  auto rows = (*naos)->budget()->ledger().rows_since(agent, since);
  if (!rows) return report_error(globals, rows.error());
  if (globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) out.push_back(views::ledger_row_json(r));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table = {{"TIME", "AGENT", "AMOUNT", "SOURCE", "DETAIL"}};
  int64_t sum = 0;
  for (const auto& r : *rows) {
    table.push_back({format_time(r.ts_ms), r.agent, governance::format_microcents(r.amount_microcents), r.source,
                     r.detail});
    sum = governance::add_saturating(sum, r.amount_microcents);
  }
  std::cout << format_table(table);
  if (!globals.quiet) std::cout << "total " << governance::format_microcents(sum) << " in " << rows->size() << " costs\n";
  return 0;
}

int reset(Context& context, const std::string& target, bool all) {
  auto& globals = context.globals;
  if (all == !target.empty()) {
    return report_error(globals, Error(Code::kInvalidArgument, "give an agent name or --all, not both"));
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  std::vector<std::string> targets;
  if (all) {
    auto budgets = (*naos)->budget()->budgets();
    if (!budgets) return report_error(globals, budgets.error());
    for (const auto& b : *budgets) targets.push_back(b.target);
  } else {
    targets.push_back(target);
  }
  for (const auto& t : targets) {
    auto status = (*naos)->reset_cost(t, "cli");
    if (!status) {
      return report_error(globals, status.error(),
                          status.error().code() == Code::kNotFound ? std::optional(kBudgetNotFound) : std::nullopt);
    }
  }
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"reset", targets}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    for (const auto& t : targets) std::cout << "reset budget " << t << "\n";
  }
  return 0;
}

}  // namespace

void add_cost_command(CLI::App& app, Context& context, int& exit_status) {
  (void)kBudgetExceeded;  // BUDGET_EXCEEDED is reported by `naos run` (run_command.cc)
  CLI::App* cost = app.add_subcommand("cost", "Cost budgets and the spending ledger");
  cost->require_subcommand(1);

  auto set_options = std::make_shared<SetOptions>();
  CLI::App* set_command = cost->add_subcommand("set", "Set an agent's (or the global) budget");
  set_command->add_option("agent", set_options->agent, "Agent name, or global")->required();
  set_command->add_option("--budget", set_options->budget, "\"$10/day\", \"$10\" or cents (1000)")->required();
  set_command->add_option("--period", set_options->period, "hour, day, week, month or total");
  set_command->add_option("--alert-at", set_options->alert_at, "Alert at this percent of the limit (default 80)");
  set_command->add_option("--action", set_options->action, "On exceed: pause, stop, throttle or warn");
  set_command->add_flag("--json", context.globals.json, "Print JSON");
  set_command->callback([&, set_options] { exit_status = set(context, *set_options); });

  auto agent = std::make_shared<std::string>();
  CLI::App* status_command = cost->add_subcommand("status", "Budgets, spending and time to reset");
  status_command->add_option("agent", *agent, "Only this agent (or global)");
  status_command->add_flag("--json", context.globals.json, "Print JSON");
  status_command->callback([&, agent] { exit_status = status(context, *agent); });

  auto days = std::make_shared<int64_t>(7);
  auto history_agent = std::make_shared<std::string>();
  CLI::App* history_command = cost->add_subcommand("history", "Recorded costs, oldest first");
  history_command->add_option("--days", *days, "The last N days (default 7)");
  history_command->add_option("--agent", *history_agent, "Only this agent");
  history_command->add_flag("--json", context.globals.json, "Print JSON");
  history_command->callback([&, days, history_agent] { exit_status = history(context, *days, *history_agent); });

  auto reset_target = std::make_shared<std::string>();
  auto reset_all = std::make_shared<bool>(false);
  CLI::App* reset_command = cost->add_subcommand("reset", "Start a budget's period afresh; a paused agent may run");
  reset_command->add_option("agent", *reset_target, "Agent name, or global");
  reset_command->add_flag("--all", *reset_all, "Every budget");
  reset_command->add_flag("--json", context.globals.json, "Print JSON");
  reset_command->callback([&, reset_target, reset_all] { exit_status = reset(context, *reset_target, *reset_all); });
}

}  // namespace naos::cli
