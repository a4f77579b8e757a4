// Pools — the pools of a project (`pools:` in nexus.config.yaml) as the CLI
// and the workflow and saga engines use them: the pool engine
// (orchestration/pool.h) wired to Naos's journal, step runner (every member
// or task is a Naos::run instance run: lifecycle, budgets, trust, audit) and
// audit log, plus the clone pools' task queue and control row
// (orchestration/task_queue.h).
//
// Ownership: borrows the Naos, which must outlive it; owns the TaskQueue
// (one SQLite connection of its own for reads) and the PoolRunner.
// Threading: every method from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "orchestration/journal.h"
#include "orchestration/pool.h"
#include "orchestration/task_queue.h"
#include "project/config.h"

namespace naos {

class Naos;

// What `naos pool status NAME` shows.
struct PoolStatus {
  std::string name;
  std::string kind;   // "fan-out" | "clone"
  // idle: no process runs it; running: a live process runs or serves it;
  // draining / stopping: a drain or stop was asked of the serving process.
  std::string state;
  std::string owner;  // pid of the serving process (clone pools), '' when idle
  uint32_t size = 0;  // workers now: the live size when served, else the config's
  uint32_t config_size = 0;
  std::vector<std::string> members;  // fan-out
  std::string agent;                 // clone
  orchestration::TaskCounts tasks;   // clone
  // Running tasks per worker slot (clone pools, while served).
  std::vector<int64_t> busy_workers;
  std::optional<orchestration::RunRecord> last_run;
};

class Pools {
 public:
  // Errors: kFailedPrecondition outside a project.
  static Result<std::unique_ptr<Pools>> open(Naos& naos);
  Pools(const Pools&) = delete;
  Pools& operator=(const Pools&) = delete;

  // Errors: kNotFound when the config has no pool of that name.
  Result<const project::PoolConfig*> find(std::string_view name) const;

  // `naos pool run NAME [--input TEXT] [--id RUN_ID]` for a fan-out pool (or
  // a clone pool given a JSON array of tasks). With `run_id` empty it resumes
  // the pool's unfinished run with the same input (left by a killed process
  // or Ctrl-C) if there is one, else starts a new run.
  Result<orchestration::PoolResult> run(std::string_view name, const std::string& input, const std::string& run_id,
                                        const std::atomic<bool>* cancel,
                                        const orchestration::PoolObserver& observer = {});
  // The pool as a nested step of a workflow or saga (orchestration/pool.h has the contract).
  Result<orchestration::PoolResult> run_step(const project::PoolConfig& pool, const std::string& run_id,
                                             const std::string& input, const std::string& parent_run_id,
                                             const std::atomic<bool>* cancel);
  // `naos pool run NAME` for a clone pool: serves its queue.
  Result<orchestration::ServeResult> serve(std::string_view name, const orchestration::ServeOptions& options);

  // `naos pool submit`: appends tasks to a clone pool's queue; audited as pool.submitted.
  // Errors: kNotFound, kInvalidArgument (a fan-out pool; no tasks).
  Result<std::vector<int64_t>> submit(std::string_view name, const std::vector<std::string>& tasks,
                                      const std::string& actor);
  Result<PoolStatus> status(std::string_view name);
  // `naos pool scale NAME --size N`: the serving process takes it within a
  // poll (ServeOptions::poll); audited as pool.scaled.
  // Errors: kNotFound, kInvalidArgument (a fan-out pool; size 0),
  // kFailedPrecondition (no process serves the pool: its size is the
  // config's `size`).
  Status scale(std::string_view name, uint32_t size, const std::string& actor);
  // `naos pool drain NAME`: the serving process finishes its running tasks,
  // takes no new ones and ends (it audits pool.drained). Returns whether a
  // process was serving the pool.
  Result<bool> drain(std::string_view name, const std::string& actor);
  // `naos pool stop NAME`: the serving process cancels its running tasks
  // (they go back to the queue) and ends; with no live process, tasks a dead
  // one left running go back to the queue here. `discard`: queued tasks are
  // cancelled too. Returns whether a process was serving the pool.
  Result<bool> stop(std::string_view name, bool discard, const std::string& actor);

  // ---- editing nexus.config.yaml (project/config_edit.h) ----
  // `naos pool create NAME AGENT...`: a fan-out pool of those members.
  // `naos pool create NAME --agent A --size N [--strategy S]`: a clone pool.
  // Audited as pool.created and config.changed. The Naos keeps the config it
  // opened with: open a new one to run the new pool.
  // Errors: kAlreadyExists (the pool exists), kNotFound (no such agent),
  // kInvalidArgument (neither members nor agent + size; a name the config
  // refuses), and set_config_entry's errors.
  struct NewPool {
    std::vector<std::string> members;
    std::string agent;
    uint32_t size = 0;
    std::optional<project::PoolStrategy> strategy;
    std::optional<project::MergeMode> merge;
    std::optional<uint32_t> quorum;  // with merge quorum
  };
  Status create(std::string_view name, const NewPool& pool, const std::string& actor);
  // `naos pool add POOL AGENT...`: more members for a fan-out pool; audited
  // as pool.member_added (one per agent) and config.changed.
  // Errors: kNotFound (pool or agent), kInvalidArgument (a clone pool),
  // kAlreadyExists (already a member).
  Status add_members(std::string_view name, const std::vector<std::string>& agents, const std::string& actor);

  orchestration::PoolRunner& runner() { return *runner_; }
  orchestration::TaskQueue& queue() { return *queue_; }

 private:
  Pools(Naos& naos, std::unique_ptr<orchestration::TaskQueue> queue);
  Result<const project::PoolConfig*> clone_pool(std::string_view name) const;
  // The live owner serving the pool, or ''.
  Result<std::string> serving(const std::string& pool);

  Naos& naos_;
  std::unique_ptr<orchestration::TaskQueue> queue_;
  std::unique_ptr<orchestration::PoolRunner> runner_;
};

}  // namespace naos
