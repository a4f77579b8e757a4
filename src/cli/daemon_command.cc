// `naos daemon`: first resumes the workflow and saga runs a killed naos left
// unfinished, then runs the agents that have a `schedule:` on time, in the
// foreground, until Ctrl-C or SIGTERM.

#include <csignal>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace naos::cli {
namespace {

std::atomic<bool> stop_requested{false};

int daemon(Context& context) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
  auto resumed = (*naos)->orchestrator()->resume_unfinished(&stop_requested);
  if (!resumed) return report_error(globals, resumed.error());
  for (const auto& run : *resumed) {
    nlohmann::json line = {{"resumed", run.run_id}, {"kind", run.kind}, {"name", run.name}, {"state", run.state}};
    if (!run.error.empty()) line["error"] = run.error;
    if (globals.json) {
      std::cout << line.dump() << std::endl;
    } else if (!globals.quiet) {
      std::cout << "resumed " << run.kind << " " << run.name << " run " << run.run_id << ": " << run.state
                << (run.error.empty() ? "" : " (" + run.error + ")") << std::endl;
    }
  }
  bool scheduled = false;
  for (const auto& [name, agent] : (*naos)->project()->config().agents) scheduled = scheduled || !agent.schedule.empty();
  if (!scheduled && !resumed->empty()) return 0;  // nothing left to serve
  if (!globals.quiet && !globals.json) {
    std::cout << "naos daemon: running scheduled agents (Ctrl-C to stop)\n";
    for (const auto& [name, agent] : (*naos)->project()->config().agents) {
      if (!agent.schedule.empty()) std::cout << "  " << name << "  " << agent.schedule << "\n";
    }
    std::cout << std::flush;
  }
  auto served = (*naos)->serve_schedules(stop_requested, [&](const Naos::ScheduledRun& run) {
    nlohmann::json line = {{"agent", run.agent}, {"due", format_utc_ms(run.due_ms)}};
    if (!run.result) {
      line["ok"] = false;
      line["error"] = run.result.error().to_string();
    } else {
      const auto& outcome = run.result->outcome;
      line["ok"] = outcome.ok();
      line["elapsed_us"] = outcome.elapsed.count();
      if (!outcome.ok()) line["error"] = std::string(sandbox::failure_name(outcome.failure)) + ": " + outcome.message;
    }
    if (globals.json) {
      std::cout << line.dump() << std::endl;
    } else if (!globals.quiet || !line["ok"].get<bool>()) {
      std::cout << "[" << format_time(run.due_ms) << "] " << run.agent << " "
                << (line["ok"].get<bool>() ? "ok" : "failed: " + line["error"].get<std::string>()) << std::endl;
    }
  });
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
