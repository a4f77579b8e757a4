// `naos runs [--kind K] [--name N] [--state S] [--last N]`: runs of
// workflows, sagas and pools with their state; `naos runs cancel RUN
// [--no-compensate]` ends one for good; `naos inspect RUN` (via
// inspect_run) shows one with its step journal.
#include <iostream>

#include "cli/interrupt.h"
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

struct CancelFlags {
  std::string run;
  bool no_compensate = false;
};

int cancel(Context& context, const CancelFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto compensate = flags.no_compensate ? orchestration::Compensate::kNo : orchestration::Compensate::kYes;
  // A saga's compensation may take a while; Ctrl-C leaves it resumable.
  auto done = (*naos)->orchestrator()->cancel(flags.run, "cli", compensate, &interrupt_flag());
  if (!done) return report_error(globals, done.error());
  namespace st = orchestration::state;
  bool ended = done->state == st::kAbandoned || done->state == st::kRolledBack;
  if (globals.json) {
    nlohmann::json out = {{"ok", ended},           {"run", done->run_id},   {"kind", done->kind},
                          {"name", done->name},    {"was", done->was},      {"state", done->state},
                          {"compensated", done->compensated}, {"error", done->error}};
    std::cout << dump_lossless(out, 2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "cancelled " << done->kind << " " << done->name << " run " << done->run_id << " (was " << done->was
              << "): " << done->state << (done->compensated ? ", its completed steps compensated" : "") << "\n";
  }
  if (ended) return 0;
  if (done->state == st::kCompensationFailed) {
    std::cerr << "error: SAGA_COMPENSATION_FAILED (202): " << done->error << "\n";
  } else {
    std::cerr << "stopped while compensating; `naos runs cancel " << done->run_id << "` again to go on\n";
  }
  return 1;
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

  auto cancel_flags = std::make_shared<CancelFlags>();
  CLI::App* cancel_command = command->add_subcommand(
      "cancel",
      "End an unfinished run for good (it ends abandoned); a saga is compensated first (rolled_back) unless "
      "--no-compensate. Refused for a run that has ended or that a live process drives");
  cancel_command->add_option("run", cancel_flags->run, "The run's id (see `naos runs`)")->required();
  cancel_command->add_flag("--no-compensate", cancel_flags->no_compensate,
                           "Do not undo a saga's completed steps; just end it");
  cancel_command->add_flag("--json", context.globals.json, "Print JSON");
  cancel_command->callback([&, cancel_flags] { exit_status = cancel(context, *cancel_flags); });

  // CLI11 runs this after a subcommand's callback too: `runs cancel` lists nothing.
  command->callback([&, flags, cancel_command] {
    if (cancel_command->parsed()) return;
    exit_status = runs(context, *flags);
  });
}

}  // namespace naos::cli
