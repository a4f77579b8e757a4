// `naos runs [--kind K] [--name N] [--state S] [--last N]`: runs of
// workflows, sagas and pools with their state; `naos inspect RUN` (via
// inspect_run) shows one with its step journal.
#include <iostream>

#include "cli/run_views.h"

namespace naos::cli {
namespace {

struct RunsFlags {
  std::string kind;
  std::string name;
  std::vector<std::string> states;
  size_t last = 50;
  bool nested = false;
};

int runs(Context& context, const RunsFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  orchestration::RunFilter filter;
  if (!flags.kind.empty()) filter.kind = flags.kind;
  if (!flags.name.empty()) filter.name = flags.name;
  filter.states = flags.states;
  filter.top_level_only = !flags.nested;
  filter.limit = flags.last;
  auto found = (*naos)->journal()->runs(filter);
  if (!found) return report_error(globals, found.error());
  print_runs(globals, *found);
  return 0;
}

}  // namespace

Result<int> inspect_run(Context& context, const std::string& run_id) {
  NAOS_ASSIGN_OR_RETURN(auto naos, open_naos(context, true));
  NAOS_ASSIGN_OR_RETURN(auto run, naos->journal()->find_run(run_id));
  if (!run) return Error(Code::kNotFound, "no run has this id", run_id);
  return print_history(context.globals, *naos->journal(), *run);
}

void add_runs_command(CLI::App& app, Context& context, int& exit_status) {
  auto flags = std::make_shared<RunsFlags>();
  CLI::App* command = app.add_subcommand("runs", "List runs of workflows, sagas and pools, newest last");
  command->add_option("--kind", flags->kind, "workflow, saga or pool")
      ->check(CLI::IsMember({"workflow", "saga", "pool"}));
  command->add_option("--name", flags->name, "Only runs of this workflow, saga or pool");
  command->add_option("--state", flags->states, "Only runs in this state (repeatable)");
  command->add_option("--last", flags->last, "The newest N runs (0: all)")->capture_default_str();
  command->add_flag("--nested", flags->nested, "Include runs nested in other runs");
  command->add_flag("--json", context.globals.json, "Print JSON");
  command->callback([&, flags] { exit_status = runs(context, *flags); });
}

}  // namespace naos::cli
