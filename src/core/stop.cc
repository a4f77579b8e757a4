// Naos::stop_agent — `naos stop NAME [--force] [--no-restart]`: ask the run
// to stop wherever it runs, wait for it, and kill its process only when told.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "base/process.h"
#include "core/naos.h"

namespace naos {
namespace {

constexpr std::chrono::milliseconds kStopPoll{20};
// After SIGKILL, how long to wait for the kernel to reap the process.
constexpr std::chrono::milliseconds kKillWait{2'000};

std::string seconds(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

std::chrono::milliseconds Naos::shutdown_time(std::string_view agent) const {
  if (!project_) return project::kDefaultShutdown;
  for (const auto& [name, supervisor] : project_->config().supervisors) {
    for (const auto& child : supervisor.children) {
      if (child.name == agent) return child.shutdown.value_or(supervisor.shutdown);
    }
  }
  return project::kDefaultShutdown;
}

Result<StopReport> Naos::stop_agent(std::string_view name, const StopOptions& options) {
  NAOS_ASSIGN_OR_RETURN(AgentView view, agent(name));
  if (!view.record) {
    // `naos create --from-config` registers every agent the config defines
    // (it takes no NAME).
    return Error(Code::kFailedPrecondition,
                 "the agent is in the config but not created (naos create --from-config)", view.name);
  }
  StopReport report;
  report.agent = view.name;
  report.from = view.record->status;
  report.pid = view.record->runner.pid;
  const std::string& actor = options.actor;

  if (view.record->status != project::AgentStatus::kRunning) {
    // Nothing runs. A created or idle agent becomes stopped (so a scheduler
    // leaves it); a finished one keeps how it ended.
    if (project::transition_allowed(report.from, project::AgentStatus::kStopped)) {
      NAOS_TRY(registry_->transition(name, project::AgentStatus::kStopped, clock_.now_ms()));
      NAOS_TRY(record({actor, view.name, governance::event::kAgentStopped,
                       {{"from", project::status_name(report.from)}, {"reason", "naos stop"}}}));
    }
    return report;
  }
  if (report.pid != 0 && !process_alive(view.record->runner)) {
    // The run died with its process (kill -9): there is nothing to ask.
    NAOS_TRY(registry_->transition(name, project::AgentStatus::kStopped, clock_.now_ms()));
    NAOS_TRY(record({actor, view.name, governance::event::kAgentStopped,
                     {{"from", "running"},
                      {"reason", "its naos process (pid " + std::to_string(report.pid) + ") ended while it ran"}}}));
    report.how = StopReport::How::kOrphaned;
    return report;
  }

  // The newest event now: the run's own agent.stopped comes after it.
  NAOS_ASSIGN_OR_RETURN(auto newest, governance::query_audit(*database_, {.last = 1}));
  const int64_t mark = newest.empty() ? 0 : newest.back().seq;
  const auto dir = project_->stops_dir();
  StopRequest request{view.name, stop_clock_ms(), this_process().pid, options.no_restart,
                      "naos stop by " + actor + " (pid " + std::to_string(this_process().pid) + ")" +
                          (options.no_restart ? ", no restart" : "")};
  NAOS_TRY(write_stop_request(dir, request));
  // Removed however this ends: a request stops only runs that started before
  // it, so one left behind would stop nothing, but it need not linger.
  struct RemoveRequest {
    const std::filesystem::path& dir;
    const std::string& agent;
    ~RemoveRequest() { remove_stop_request(dir, agent); }
  } remove_request{dir, view.name};

  const auto timeout = options.timeout.value_or(shutdown_time(name));
  const auto started = std::chrono::steady_clock::now();
  auto ended = [&]() -> Result<bool> {
    NAOS_ASSIGN_OR_RETURN(auto now, registry_->find(name));
    if (!now || now->status != project::AgentStatus::kRunning) return true;
    // An instance run (a supervised child, a workflow step) ends with its
    // agent.stopped while the registry may stay running: another instance,
    // or its supervisor's restart, took over.
    NAOS_ASSIGN_OR_RETURN(auto stops, governance::query_audit(*database_, {.agent = view.name,
                                                                          .action = governance::event::kAgentStopped,
                                                                          .after_seq = mark,
                                                                          .last = 1}));
    return !stops.empty();
  };
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool done, ended());
    report.waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (done) {
      report.how = StopReport::How::kStopped;
      return report;
    }
    if (report.waited >= timeout) break;
    std::this_thread::sleep_for(kStopPoll);
  }

  std::string by = report.pid != 0 ? " (naos process " + std::to_string(report.pid) + " runs it)" : std::string();
  if (!options.force) {
    return Error(Code::kDeadlineExceeded,
                 "the agent did not stop within " + seconds(timeout) + by + "; naos stop --force " + view.name +
                     " kills that process",
                 view.name);
  }
  if (report.pid == 0 || report.pid == this_process().pid) {
    return Error(Code::kFailedPrecondition, "the agent did not stop within " + seconds(timeout) +
                                                " and naos does not know which process runs it", view.name);
  }
  if (process_alive(view.record->runner)) {
    if (::kill(static_cast<pid_t>(report.pid), SIGKILL) != 0 && errno != ESRCH) {
      return Error(Code::kUnavailable, "cannot kill naos process " + std::to_string(report.pid), view.name);
    }
    auto deadline = std::chrono::steady_clock::now() + kKillWait;
    while (process_alive(view.record->runner) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kStopPoll);
    }
  }
  NAOS_ASSIGN_OR_RETURN(auto now, registry_->find(name));
  if (now && now->status == project::AgentStatus::kRunning) {
    NAOS_TRY(registry_->transition(name, project::AgentStatus::kStopped, clock_.now_ms()));
  }
  NAOS_TRY(record({actor, view.name, governance::event::kAgentStopped,
                   {{"from", "running"},
                    {"forced", true},
                    {"killed_pid", report.pid},
                    {"no_restart", options.no_restart},
                    {"reason", "did not stop within " + seconds(timeout) + "; naos process " +
                                   std::to_string(report.pid) + " killed by naos stop --force"}}}));
  report.how = StopReport::How::kKilled;
  return report;
}

}  // namespace naos
