// PoolRunner — the pool engine (PRODUCT.md "Pool"; docs/pools.md). Two shapes
// of pool (project::PoolConfig):
//
//   fan-out     `members: [a, b, c]`: every member agent runs once with the
//               same input, at most `maxConcurrency` at once (default all).
//   clone pool  `agent: A, size: N`: N clones of one agent (worker slots,
//               pool_slots.h) take tasks, the slot for each chosen by
//               `strategy`. Fed either from the durable queue (serve(),
//               task_queue.h: `naos pool submit` / `naos pool run`), or, as a
//               step of a workflow or saga, from the step's input (run()).
//
// Every member or task is tried up to `retries` + 1 times, each attempt
// bounded by `timeout`; failures "budget_exceeded" and "refused" are not
// retried (they would fail the same way). The results are gathered by
// `merge` within the failure tolerance `tolerate` (pool_gather.h); as soon as
// the result is decided (the first success of `first`, the k-th agreeing
// output of `quorum`, more failures than tolerated) the items still running
// are cancelled through StepCall::cancel and end `cancelled`.
//
// The contract of run(), for the workflow and saga engines (a pool as a step):
//   - input: a fan-out pool gives `input` to every member. A clone pool takes
//     a JSON array, one task per element: a string element is given to the
//     agent as is, any other element as its JSON text. Anything else is
//     kInvalidArgument.
//   - output (PoolResult::output): merge all: a JSON array with one element
//     per member or task, in config or array order: its output as a JSON
//     string, or null when it failed or was cancelled. first, majority and
//     quorum: the winning output text, as is.
//   - state: completed (nothing failed), partial (failures within
//     `tolerate`), failed (more failures than tolerated, or no winner;
//     PoolResult::error says why), or cancelled (`cancel` became true before
//     the result was decided: the run is left resumable and run() with the
//     same id continues it).
//   - run_id: calling run() again with the same id returns a finished run's
//     result without running anything, and resumes an unfinished one (left by
//     a killed process or a cancel): completed and failed members are not run
//     again, interrupted ones are. `parent_run_id` is recorded as the run's
//     parent.
//
// Durability (orchestration/journal.h). A pool run is a Journal run of kind
// "pool" (orch_runs: input as given, "" for a queue run; state running, then
// completed | partial | failed | cancelled). Each member or task is a step:
//   step     the member's index in `members`, the task's index in the input
//            array, or a queued task's id (pool_tasks.id)
//   name     the member's name, "task N" (1-based index) or "task ID"
//   step.started    {worker, input}          before each attempt
//   step.completed  {worker, output}          on success (durable before
//                                             anything depends on it)
//   step.failed     {worker, error, message, final}
//                   final false: another attempt follows, or the attempt was
//                   interrupted (error "cancelled": Ctrl-C or `pool stop`)
//                   and the next run tries it again; final true: the member
//                   failed, or (error "cancelled") lost to the winner
//   step.skipped    {reason}   never started: the result was decided first
// Replaying these decides each item: completed, failed and cancelled-final
// ones are kept; everything else runs again. A crash-interrupted attempt does
// not count against `retries` (the host failed, not the agent).
//
// Audit events (actor "pool:NAME"): pool.started, pool.resumed,
// pool.member_completed / pool.member_failed (fan-out), pool.task_completed /
// pool.task_failed (clone pools), then pool.completed, pool.partial,
// pool.failed, pool.cancelled (Ctrl-C), pool.stopped (`pool stop`) or
// pool.drained (`pool drain`). core/ records pool.submitted and pool.scaled.
//
// Run states (orch_runs.state) and what moves them:
//
//     run()/serve() --> running --decided--------> completed | partial | failed
//                          |  ^
//          cancel / stop   v  | run()/serve() again (resume)
//                        cancelled
//
// Threading: run() and serve() may be called from several threads for
// different runs; each runs its items on threads of its own (one per worker
// slot). Everything given to the constructor must outlive the runner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "governance/audit_log.h"
#include "orchestration/journal.h"
#include "orchestration/pool_gather.h"
#include "orchestration/step_runner.h"
#include "orchestration/task_queue.h"
#include "project/config.h"

namespace naos::orchestration {

namespace pool_run {
inline constexpr const char* kKind = "pool";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kPartial = "partial";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";  // Ctrl-C or `pool stop`: resumable
inline constexpr const char* kAbandoned = "abandoned";  // `naos runs cancel`: for good
}  // namespace pool_run

// One member or task of a pool run, as it ended (or stands).
struct PoolItem {
  int step = 0;          // the journal step (see above)
  std::string name;      // member name, "task N" or "task ID"
  std::string agent;
  std::string input;
  int64_t task_id = 0;   // a queued task's id; 0 otherwise
  ItemState state = ItemState::kPending;
  std::string output;
  std::string error;     // the failure name (StepResult::error)
  std::string message;
  int attempts = 0;      // attempts that ran to an end
  int worker = -1;       // the worker slot of its last attempt
  int64_t started_ms = 0;  // its last attempt, by the runner's clock
  int64_t ended_ms = 0;
  int64_t order = 0;       // when it ended, among the run's items
};

struct PoolProgress {
  size_t total = 0;  // items known now (a queue may grow)
  size_t completed = 0;
  size_t failed = 0;
  size_t running = 0;
};

struct PoolResult {
  std::string run_id;
  std::string pool;
  std::string state;   // completed | partial | failed | cancelled
  std::string output;
  std::string error;
  std::vector<PoolItem> items;
  bool resumed = false;  // the run existed unfinished; its finished items were kept
  bool reused = false;   // the run had finished already; nothing ran
};

struct PoolObserver {
  // After every change of the counts, from the coordinating thread.
  std::function<void(const PoolProgress&)> progress;
  // Each item as it ends (completed, failed or cancelled for good).
  std::function<void(const PoolItem&)> item_ended;
};

// `naos pool run NAME` on a clone pool: serve the durable queue.
struct ServeOptions {
  // Continue this run; empty: the pool's unfinished queue run if there is
  // one (left by a killed process or a Ctrl-C), else a new run.
  std::string run_id;
  // Keep waiting for new tasks when the queue is empty, until cancelled,
  // drained or stopped.
  bool follow = false;
  // How often an empty queue and the pool_state row are looked at.
  std::chrono::milliseconds poll{100};
  const std::atomic<bool>* cancel = nullptr;
  PoolObserver observer;
};

struct ServeResult {
  std::string run_id;
  std::string pool;
  // completed | partial | failed (more failed tasks than tolerated: serving
  // stopped), or cancelled (Ctrl-C or `pool stop`: running tasks went back
  // to the queue).
  std::string state;
  std::string error;
  bool drained = false;  // ended by `pool drain`
  bool stopped = false;  // ended by `pool stop`
  int64_t recovered = 0;  // running tasks of a dead process put back in the queue at start
  int64_t requeued = 0;   // tasks given back to the queue at the end
  std::vector<PoolItem> items;  // the tasks this run ended, in the order they ended
  size_t completed() const;
  size_t failed() const;
};

class PoolRunner {
 public:
  // `audit` may be null (no events).
  PoolRunner(Journal& journal, StepRunner& runner, governance::AuditLog* audit, Clock& clock)
      : journal_(journal), runner_(runner), audit_(audit), clock_(clock) {}

  // Runs (or resumes, or returns) the pool run `run_id`; see the contract above.
  // Errors: kInvalidArgument (a clone pool's input is not a JSON array; the
  // run belongs to another pool), kFailedPrecondition (a live process drives
  // the run; the pool's members changed since the run began), host errors.
  Result<PoolResult> run(const project::PoolConfig& pool, const std::string& run_id, const std::string& input,
                         const std::string& parent_run_id, const std::atomic<bool>* cancel,
                         const PoolObserver& observer = {});

  // Serves a clone pool's queue with `size` worker slots until the queue is
  // empty (or, with `follow`, until cancelled), obeying `pool scale`,
  // `drain` and `stop` through pool_state.
  // Errors: kInvalidArgument (a fan-out pool), kFailedPrecondition (another
  // live process serves the pool), host errors.
  Result<ServeResult> serve(const project::PoolConfig& pool, TaskQueue& queue, const ServeOptions& options);

  // The newest top-level run of `pool` that run() (with `input`) or serve()
  // (input "") would resume: unfinished and driven by no live process.
  Result<std::optional<RunRecord>> resumable(const project::PoolConfig& pool, const std::string& input);

 private:
  Result<PoolResult> drive(const project::PoolConfig& pool, RunRecord run, std::vector<PoolItem> items,
                           bool resumed, const std::atomic<bool>* cancel, const PoolObserver& observer);
  Result<std::vector<PoolItem>> items_for(const project::PoolConfig& pool, const std::string& input);
  // Returns `error`; a kInternal one (a bug, caught) first ends the run failed.
  Error end_on_host_error(const RunRecord& run, const Error& error);
  void audit(const project::PoolConfig& pool, const std::string& agent, const std::string& type,
             nlohmann::json payload);

  Journal& journal_;
  StepRunner& runner_;
  governance::AuditLog* audit_;
  Clock& clock_;
};

}  // namespace naos::orchestration
