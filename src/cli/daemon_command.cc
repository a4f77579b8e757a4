// `naos daemon`: first resumes the workflow and saga runs a killed naos left
// unfinished, then runs the agents that have a `schedule:` on time, in the
// foreground, until Ctrl-C or SIGTERM.
//
// One daemon (or `naos serve`) per project (cli/resident.h): a second is
// refused, naming the first one's pid.

#include <iostream>

#include "cli/cli.h"
#include "cli/resident.h"
#include "cli/interrupt.h"

namespace naos::cli {
namespace {

int daemon(Context& context) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto daemon_lock = lock_daemon(*(*naos)->project());
  if (!daemon_lock) return report_error(globals, daemon_lock.error());
  // Ctrl-C / SIGTERM (cli/interrupt.h) end the daemon, and stop the run in progress.
  const std::atomic<bool>& stop_requested = interrupt_flag();
  auto runs = unfinished_runs(**naos);
  if (!runs) return report_error(globals, runs.error());
  auto resumed = resume_and_report(globals, **naos, *runs, stop_requested);
  if (!resumed) return report_error(globals, resumed.error());
  bool scheduled = false;
  for (const auto& [name, agent] : (*naos)->project()->config().agents) scheduled = scheduled || !agent.schedule.empty();
  if (!scheduled && *resumed > 0) return 0;  // nothing left to serve
  if (!globals.quiet && !globals.json) {
    std::cout << "naos daemon: running scheduled agents (Ctrl-C to stop)\n";
    for (const auto& [name, agent] : (*naos)->project()->config().agents) {
      if (!agent.schedule.empty()) std::cout << "  " << name << "  " << agent.schedule << "\n";
    }
    std::cout << std::flush;
  }
  auto served = serve_schedules_and_report(globals, **naos, stop_requested);
  if (!served) return report_error(globals, served.error());
  return 0;
}

}  // namespace

void add_daemon_command(CLI::App& app, Context& context, int& exit_status) {
  CLI::App* command = app.add_subcommand("daemon", "Run scheduled agents on time until Ctrl-C");
  command->add_flag("--json", context.globals.json, "One JSON object per run");
  command->callback([&context, &exit_status] { exit_status = daemon(context); });
}

}  // namespace naos::cli
