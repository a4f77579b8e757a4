// TaskQueue — the durable task queue of the clone pools (store/schema.h,
// migration 4: tables pool_tasks and pool_state), and the control row through
// which `naos pool scale / drain / stop` reach a pool served by another
// process.
//
// pool_tasks, field by field:
//   pool        the pool's name (pools.NAME)
//   id          1, 2, 3 ... per pool, in submission order; tasks are taken
//               oldest first
//   input       the task's text, given to the agent on stdin
//   state       queued | running | completed | failed | cancelled (below)
//   attempts    attempts that ran to an end (completed or failed); one
//               interrupted by Ctrl-C, `pool stop` or a crash does not count,
//               because the task did not fail, its host did
//   output      the agent's output (completed), '' otherwise
//   error       the failure name and message (failed), '' otherwise
//   worker      the worker slot (0-based) that took it last; -1 while queued
//   created_ms, updated_ms
//
// A task's states, and the function that performs each transition:
//
//     submit() --> queued --take()--> running --complete()--> completed
//                    ^                   |  \---fail()------> failed
//                    |                   |
//                    +----requeue()------+   (Ctrl-C, `pool stop`)
//                    +----recover()------+   (the serving process died)
//     queued --cancel_queued()--> cancelled  (`pool stop --discard`)
//
// A task is `running` from the moment a worker slot takes it (it may wait
// in that slot's backlog, at most `size` of them at once) until it ends.
//
// pool_state, field by field:
//   pool      the pool's name
//   size      the number of worker slots the serving process keeps; set by
//             `pool run` (the config's size) and by `pool scale`
//   draining  what the operator asked of the serving process: 0 serve,
//             1 drain (finish what is running, take nothing new, then end),
//             2 stop (cancel what is running, give it back to the queue, end)
//   owner     the pid of the process serving the pool, '' when none
//   updated_ms
//
// Atomicity: every write goes through the journal's GroupCommit, so a task's
// change of state and its journal entry (journal.h: step.started,
// step.completed, step.failed) commit in one transaction. A crash never
// leaves a task `running` whose completion is in the journal, nor the
// reverse. Writers in other processes are serialized by SQLite (the
// GroupCommit's transactions are BEGIN IMMEDIATE), so a take() never hands
// one task out twice.
//
// Threading: every method from any thread. Reads use the queue's own
// connection, under a mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "orchestration/journal.h"
#include "store/database.h"

namespace naos::orchestration {

namespace task_state {
inline constexpr const char* kQueued = "queued";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
}  // namespace task_state

struct Task {
  std::string pool;
  int64_t id = 0;
  std::string input;
  std::string state;
  int attempts = 0;
  std::string output;
  std::string error;
  int worker = -1;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct TaskCounts {
  int64_t queued = 0;
  int64_t running = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
  int64_t total() const { return queued + running + completed + failed + cancelled; }
};

// What the operator asked of the process serving a pool (pool_state.draining).
enum class PoolRequest { kServe = 0, kDrain = 1, kStop = 2 };

struct PoolControl {
  std::string pool;
  uint32_t size = 0;
  PoolRequest request = PoolRequest::kServe;
  std::string owner;  // '' : nobody serves it
  int64_t updated_ms = 0;
};

// The journal entry that rides in the same transaction as a task's change.
struct TaskJournal {
  std::string run_id;  // empty: no entry
  int attempt = 0;
  nlohmann::json data = nlohmann::json::object();
};

class TaskQueue {
 public:
  // Writes go through `journal`'s GroupCommit; reads through a connection of
  // the queue's own on `database_file`. `journal` must outlive the queue.
  static Result<std::unique_ptr<TaskQueue>> open(Journal& journal, const std::filesystem::path& database_file);
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Appends tasks in order, in one transaction; returns their ids.
  Result<std::vector<int64_t>> submit(const std::string& pool, const std::vector<std::string>& inputs);

  // Takes the oldest queued task for worker slot `worker`: queued -> running.
  // Returns nothing when the queue is empty.
  Result<std::optional<Task>> take(const std::string& pool, int worker);
  // running -> queued, worker -1. `journal` (optional: run_id empty) is
  // appended in the same transaction (a step.failed "cancelled", not final).
  Status requeue(const std::string& pool, int64_t id, const TaskJournal& journal = {});
  // running -> completed / failed (attempts + 1), with the step.completed /
  // step.failed entry.
  Status complete(const std::string& pool, int64_t id, const std::string& output, const TaskJournal& journal);
  Status fail(const std::string& pool, int64_t id, const std::string& error, const TaskJournal& journal);
  // The step.started entry of an attempt of a running task.
  Status start_attempt(const std::string& pool, int64_t id, const TaskJournal& journal);
  // An attempt failed and another follows: attempts + 1 and a step.failed
  // entry (not final); the task stays running.
  Status attempt_failed(const std::string& pool, int64_t id, const TaskJournal& journal);
  // Every running task of the pool -> queued. Returns how many. Only when no
  // live process serves the pool (serve() does it for its caller).
  Result<int64_t> recover(const std::string& pool);
  // Every queued task -> cancelled. Returns how many.
  Result<int64_t> cancel_queued(const std::string& pool);

  Result<TaskCounts> counts(const std::string& pool);
  // Tasks of the pool in id order; `state` empty: every state; `limit` 0: all.
  Result<std::vector<Task>> tasks(const std::string& pool, const std::string& state = {}, size_t limit = 0);
  Result<std::optional<Task>> task(const std::string& pool, int64_t id);

  // ---- pool_state ----
  // Makes this process (`owner`) the one serving the pool with `size` slots,
  // and clears any drain or stop request. When the previous owner is dead,
  // its running tasks go back to the queue (`recovered`).
  // Errors: kFailedPrecondition when another live process serves it.
  Status serve(const std::string& pool, const std::string& owner, uint32_t size, int64_t* recovered);
  // The serving process is done: owner '' and request serve again.
  Status release(const std::string& pool, const std::string& owner);
  Status set_size(const std::string& pool, uint32_t size);
  Status set_request(const std::string& pool, PoolRequest request);
  Result<std::optional<PoolControl>> control(const std::string& pool);

 private:
  TaskQueue(Journal& journal, std::unique_ptr<store::Database> reader)
      : journal_(journal), reader_(std::move(reader)) {}
  // Moves a running task to `state` (attempts + `attempts_delta`), with its journal entry.
  Status finish(const std::string& pool, int64_t id, const std::string& state, const std::string& output,
                const std::string& error, int attempts_delta, const char* event, const TaskJournal& journal);

  Journal& journal_;
  std::mutex reader_mutex_;
  std::unique_ptr<store::Database> reader_;
};

}  // namespace naos::orchestration
