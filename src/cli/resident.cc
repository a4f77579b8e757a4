#include "cli/resident.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

namespace naos::cli {

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
    std::string pid = holder.substr(0, holder.find(' '));
    std::string url = holder.find(' ') == std::string::npos ? "" : holder.substr(holder.find(' ') + 1);
    return Error(Code::kFailedPrecondition,
                 "another naos daemon" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                     " is running on this project" + (url.empty() ? "" : " (serving " + url + ")") +
                     "; stop it first",
                 lock_file.string());
  }
  NAOS_TRY(lock->write_holder(std::to_string(::getpid()) + "\n"));
  return std::move(*lock);
}

Status announce_address(FileLock& lock, const std::string& url) {
  return lock.write_holder(std::to_string(::getpid()) + " " + url + "\n");
}

namespace {

// The resumer and the scheduler print from their own threads under `naos serve`.
std::mutex output_mutex;

}  // namespace

void print_line(const Globals& globals, const nlohmann::json& line, const std::string& text, bool error) {
  std::lock_guard lock(output_mutex);
  if (globals.json) {
    std::cout << dump_lossless(line) << std::endl;
  } else if (error) {
    std::cerr << text << std::endl;
  } else if (!globals.quiet) {
    std::cout << text << std::endl;
  }
}

Result<std::vector<std::string>> unfinished_runs(Naos& naos) {
  orchestration::RunFilter filter;
  filter.states = {orchestration::state::kRunning, orchestration::state::kCompensating};
  filter.top_level_only = true;
  NAOS_ASSIGN_OR_RETURN(auto runs, naos.journal()->runs(filter));
  std::vector<std::string> ids;
  for (const auto& run : runs) {
    if (run.kind != "workflow" && run.kind != "saga") continue;  // pools resume with `naos pool run`
    bool other_live_process = orchestration::Journal::owner_alive(run.owner) &&
                              run.owner != orchestration::Journal::this_process();
    if (!other_live_process) ids.push_back(run.id);
  }
  return ids;
}

Result<size_t> resume_and_report(const Globals& globals, Naos& naos, const std::vector<std::string>& runs,
                                 const std::atomic<bool>& stop) {
  std::vector<orchestration::RunResult> resumed;
  for (const auto& id : runs) {
    if (stop) break;
    NAOS_ASSIGN_OR_RETURN(auto run, naos.orchestrator()->resume(id, &stop));
    resumed.push_back(std::move(run));
  }
  std::lock_guard lock(output_mutex);
  for (const auto& run : resumed) {
    nlohmann::json line = {{"resumed", run.run_id}, {"kind", run.kind}, {"name", run.name}, {"state", run.state}};
    if (!run.error.empty()) line["error"] = run.error;
    if (globals.json) {
      std::cout << dump_lossless(line) << std::endl;
    } else if (!globals.quiet) {
      std::cout << "resumed " << run.kind << " " << run.name << " run " << run.run_id << ": " << run.state
                << (run.error.empty() ? "" : " (" + run.error + ")") << std::endl;
    }
  }
  return resumed.size();
}

Status serve_schedules_and_report(const Globals& globals, Naos& naos, const std::atomic<bool>& stop) {
  return naos.serve_schedules(stop, [&](const Naos::ScheduledRun& run) {
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
    std::lock_guard lock(output_mutex);
    if (globals.json) {
      std::cout << dump_lossless(line) << std::endl;
    } else if (!globals.quiet || !line["ok"].get<bool>()) {
      std::cout << "[" << format_time(run.due_ms) << "] " << run.agent << " "
                << (line["ok"].get<bool>() ? "ok" : "failed: " + line["error"].get<std::string>()) << std::endl;
    }
  });
}

}  // namespace naos::cli
