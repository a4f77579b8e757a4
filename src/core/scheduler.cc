// Naos::serve_schedules: `naos daemon` runs scheduled agents on time.

#include <thread>

#include "core/naos.h"
#include "project/schedule.h"

namespace naos {

Status Naos::serve_schedules(const std::atomic<bool>& stop,
                             const std::function<void(const ScheduledRun&)>& on_run) {
  NAOS_TRY(require_project());
  struct Entry {
    std::string agent;
    project::Schedule schedule;
    int64_t due_ms;
  };
  int64_t anchor = clock_.now_ms();
  std::vector<Entry> entries;
  for (const auto& [name, config] : project_->config().agents) {
    if (config.schedule.empty()) continue;
    NAOS_ASSIGN_OR_RETURN(auto schedule, project::Schedule::parse(config.schedule));
    int64_t due = schedule.next_after(anchor, anchor);
    entries.push_back({name, std::move(schedule), due});
  }
  if (entries.empty()) {
    return Error(Code::kFailedPrecondition, "no agent has a schedule: (see docs/config.md, agents.NAME.schedule)");
  }
  NAOS_TRY(record({"scheduler", "", "daemon.started", {{"scheduled_agents", entries.size()}}}));
  while (!stop.load()) {
    auto next = std::min_element(entries.begin(), entries.end(),
                                 [](const Entry& a, const Entry& b) { return a.due_ms < b.due_ms; });
    int64_t wait = next->due_ms - clock_.now_ms();
    if (wait > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait, 200)));
      continue;
    }
    ScheduledRun run{next->agent, next->due_ms, Error(Code::kInternal, "not run")};
    NAOS_ASSIGN_OR_RETURN(auto record, registry_->find(next->agent));
    if (record && record->status == project::AgentStatus::kStopped) {
      run.result = Error(Code::kFailedPrecondition, "stopped; not run (naos run it to start it again)", next->agent);
    } else {
      RunOptions options;
      options.actor = "scheduler";
      run.result = this->run(next->agent, options);
    }
    on_run(run);
    next->due_ms = next->schedule.next_after(std::max(clock_.now_ms(), next->due_ms), anchor);
  }
  return record({"scheduler", "", "daemon.stopped", nlohmann::json::object()});
}

}  // namespace naos
