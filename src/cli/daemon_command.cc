// `naos daemon`: first resumes the workflow and saga runs a killed naos left
// unfinished, then runs the agents that have a `schedule:` on time, in the
// foreground, until Ctrl-C or SIGTERM.
//
// One daemon per project: a second would run every scheduled agent twice and
// race the first to resume the same runs. The daemon holds an flock on
// data/daemon.lock (its pid written inside) for as long as it runs; a second
// `naos daemon` on the project is refused, naming the first one's pid. The
// kernel drops the lock when the holder dies, even by SIGKILL.

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/file_lock.h"
#include "cli/cli.h"
#include "cli/interrupt.h"

namespace naos::cli {
namespace {

// This project's daemon lock, or kFailedPrecondition naming the pid of the
// daemon that holds it.
Result<FileLock> lock_daemon(const project::Project& project) {
  auto lock_file = project.data_dir() / "daemon.lock";
  NAOS_ASSIGN_OR_RETURN(auto lock, FileLock::try_acquire(lock_file));
  if (!lock) {
    // The holder writes its pid right after locking; a refusal in between
    // finds the file empty for a moment.
    std::string holder;
    for (int i = 0; i < 100 && holder.empty(); ++i) {
      holder = FileLock::read_holder(lock_file);
      if (holder.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return Error(Code::kFailedPrecondition,
                 "another naos daemon" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
                     " is running on this project; stop it first",
                 lock_file.string());
  }
  NAOS_TRY(lock->write_holder(std::to_string(::getpid()) + "\n"));
  return std::move(*lock);
}

int daemon(Context& context) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto daemon_lock = lock_daemon(*(*naos)->project());
  if (!daemon_lock) return report_error(globals, daemon_lock.error());
  // Ctrl-C / SIGTERM (cli/interrupt.h) end the daemon, and stop the run in progress.
  const std::atomic<bool>& stop_requested = interrupt_flag();
  auto resumed = (*naos)->orchestrator()->resume_unfinished(&stop_requested);
  if (!resumed) return report_error(globals, resumed.error());
  for (const auto& run : *resumed) {
    nlohmann::json line = {{"resumed", run.run_id}, {"kind", run.kind}, {"name", run.name}, {"state", run.state}};
    if (!run.error.empty()) line["error"] = run.error;
    if (globals.json) {
      std::cout << dump_lossless(line) << std::endl;
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
      std::cout << dump_lossless(line) << std::endl;
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
