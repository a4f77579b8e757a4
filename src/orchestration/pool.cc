#include "orchestration/pool.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "base/bytes_json.h"
#include "orchestration/pool_slots.h"

namespace naos::orchestration {
namespace {

using namespace std::chrono_literals;

// How often the coordinator looks at the caller's cancel flag while it waits.
constexpr auto kCancelPoll = 20ms;

// Failures that would fail the same way again (step_runner.h names them).
bool retryable(const std::string& error) {
  return error != "budget_exceeded" && error != "refused" && error != "cancelled";
}

// How an item's turn on a worker slot ended.
enum class Ending {
  kCompleted,
  kFailed,       // after its last allowed attempt
  kLost,         // cancelled because the pool's result was decided: for good
  kInterrupted,  // cancelled by Ctrl-C or `pool stop`: runs again next time
};

// Where an item's attempts are recorded: the journal alone (a run of a
// member list or a task array), or the task queue with the journal in the
// same transaction (a queued task).
class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual Status started(const PoolItem& item, int attempt) = 0;
  virtual Status retrying(const PoolItem& item, int attempt, const StepResult& result) = 0;
  // `ran`: whether an attempt started (an item cancelled in a slot's backlog never did).
  virtual Status ended(const PoolItem& item, int attempt, Ending how, bool ran, const StepResult& result) = 0;
};

nlohmann::json failure_data(const PoolItem& item, const StepResult& result, bool final) {
  return {{"worker", item.worker}, {"error", result.error}, {"message", bytes_json(result.message)}, {"final", final}};
}

class JournalRecorder final : public Recorder {
 public:
  JournalRecorder(Journal& journal, std::string run_id) : journal_(journal), run_id_(std::move(run_id)) {}

  Status started(const PoolItem& item, int attempt) override {
    // Queued: a lost `started` only means the attempt is not counted (journal.h).
    return append(item, entry::kStepStarted, attempt, {{"worker", item.worker}, {"input", bytes_json(item.input)}},
                  Wait::kQueued);
  }
  Status retrying(const PoolItem& item, int attempt, const StepResult& result) override {
    return append(item, entry::kStepFailed, attempt, failure_data(item, result, false));
  }
  Status ended(const PoolItem& item, int attempt, Ending how, bool ran, const StepResult& result) override {
    switch (how) {
      case Ending::kCompleted:
        return append(item, entry::kStepCompleted, attempt,
                      {{"worker", item.worker}, {"output", bytes_json(result.output)}});
      case Ending::kFailed:
        return append(item, entry::kStepFailed, attempt, failure_data(item, result, true));
      case Ending::kLost:
        if (!ran) return append(item, entry::kStepSkipped, attempt, {{"reason", "the pool's result was decided"}});
        return append(item, entry::kStepFailed, attempt, failure_data(item, result, true));
      case Ending::kInterrupted:
        if (!ran) return ok();
        return append(item, entry::kStepFailed, attempt, failure_data(item, result, false));
    }
    return ok();
  }

 private:
  Status append(const PoolItem& item, const char* event, int attempt, nlohmann::json data,
                Wait wait = Wait::kDurable) {
    return journal_.append({0, run_id_, item.step, item.name, event, attempt, std::move(data), 0}, wait);
  }
  Journal& journal_;
  std::string run_id_;
};

class QueueRecorder final : public Recorder {
 public:
  QueueRecorder(TaskQueue& queue, std::string pool, std::string run_id)
      : queue_(queue), pool_(std::move(pool)), run_id_(std::move(run_id)) {}

  Status started(const PoolItem& item, int attempt) override {
    return queue_.start_attempt(pool_, item.task_id,
                                entry_of(attempt, {{"worker", item.worker}, {"input", bytes_json(item.input)}}));
  }
  Status retrying(const PoolItem& item, int attempt, const StepResult& result) override {
    return queue_.attempt_failed(pool_, item.task_id, entry_of(attempt, failure_data(item, result, false)));
  }
  Status ended(const PoolItem& item, int attempt, Ending how, bool ran, const StepResult& result) override {
    switch (how) {
      case Ending::kCompleted:
        return queue_.complete(pool_, item.task_id, result.output,
                               entry_of(attempt, {{"worker", item.worker}, {"output", bytes_json(result.output)}}));
      case Ending::kFailed:
        return queue_.fail(pool_, item.task_id, result.error + ": " + result.message,
                           entry_of(attempt, failure_data(item, result, true)));
      case Ending::kLost:
      case Ending::kInterrupted:
        // A queued task is never lost to a winner: it goes back to the queue.
        return queue_.requeue(pool_, item.task_id,
                              ran ? entry_of(attempt, failure_data(item, result, false)) : TaskJournal{});
    }
    return ok();
  }

 private:
  TaskJournal entry_of(int attempt, nlohmann::json data) const { return {run_id_, attempt, std::move(data)}; }
  TaskQueue& queue_;
  std::string pool_;
  std::string run_id_;
};

// What the coordinator and the worker slots of one run share, under `mutex`.
struct Shared {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<PoolItem> items;
  int64_t next_order = 1;
  std::optional<Error> host_error;
  // StepCall::cancel of every attempt: set once the result is decided, or on
  // Ctrl-C / `pool stop`; sandbox runs stop within milliseconds.
  std::atomic<bool> stop{false};
  // Set before `stop` when the result is decided: what is cancelled then is
  // lost for good, not interrupted.
  std::atomic<bool> decided{false};
  std::mutex observer_mutex;  // one item_ended call at a time

  void notify() {
    std::lock_guard lock(mutex);
    wake.notify_all();
  }
};

PoolProgress progress_of(const std::vector<PoolItem>& items) {
  PoolProgress p;
  p.total = items.size();
  for (const auto& item : items) {
    if (item.state == ItemState::kCompleted) ++p.completed;
    if (item.state == ItemState::kFailed) ++p.failed;
    if (item.state == ItemState::kRunning) ++p.running;
  }
  return p;
}

bool same_progress(const PoolProgress& a, const PoolProgress& b) {
  return a.total == b.total && a.completed == b.completed && a.failed == b.failed && a.running == b.running;
}

std::vector<ItemOutcome> outcomes_of(const std::vector<PoolItem>& items) {
  std::vector<ItemOutcome> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back({item.state, item.output, item.order});
  return out;
}

// Applies a run's journal to its items (see pool.h "Durability").
// Errors: kFailedPrecondition when the journal names steps the pool no longer has.
Status replay(const std::vector<Entry>& entries, std::vector<PoolItem>& items) {
  for (const Entry& e : entries) {
    if (e.step < 0) continue;  // entries about the run itself
    if (static_cast<size_t>(e.step) >= items.size() || items[static_cast<size_t>(e.step)].name != e.step_name) {
      return Error(Code::kFailedPrecondition,
                   "the pool changed since this run began (its journal has step " + std::to_string(e.step) + " \"" +
                       e.step_name + "\"); start a new run",
                   e.run_id);
    }
    PoolItem& item = items[static_cast<size_t>(e.step)];
    auto text = [&e](const char* key) { return bytes_field(e.data, key); };
    if (e.data.is_object() && e.data.contains("worker") && e.data["worker"].is_number_integer()) {
      item.worker = e.data["worker"].get<int>();
    }
    if (e.event == entry::kStepStarted) {
      item.state = ItemState::kRunning;
      item.started_ms = e.ts_ms;
    } else if (e.event == entry::kStepCompleted) {
      item.state = ItemState::kCompleted;
      item.output = text("output");
      item.error.clear();
      item.message.clear();
      item.attempts += 1;
      item.ended_ms = e.ts_ms;
      item.order = e.seq;
    } else if (e.event == entry::kStepFailed) {
      bool final = e.data.is_object() && e.data.value("final", false);
      item.error = text("error");
      item.message = text("message");
      item.ended_ms = e.ts_ms;
      if (item.error == "cancelled") {
        // Interrupted (runs again) or lost to the winner (for good); not a failed attempt.
        item.state = final ? ItemState::kCancelled : ItemState::kPending;
      } else {
        item.attempts += 1;
        item.state = final ? ItemState::kFailed : ItemState::kPending;
      }
      if (final) item.order = e.seq;
    } else if (e.event == entry::kStepSkipped) {
      item.state = ItemState::kCancelled;
      item.order = e.seq;
    }
  }
  // An attempt a crash interrupted runs again.
  for (auto& item : items) {
    if (item.state == ItemState::kRunning) item.state = ItemState::kPending;
  }
  return ok();
}

// Abandoned: ended by `naos runs cancel` (orchestrator.h).
bool terminal(const std::string& state) {
  return state == pool_run::kCompleted || state == pool_run::kPartial || state == pool_run::kFailed ||
         state == pool_run::kAbandoned;
}

std::string mode_of(const project::PoolConfig& pool, bool queue) {
  if (pool.fan_out()) return "fan-out";
  return queue ? "queue" : "clone";
}

// Runs one item's attempts on a worker slot: the item's journal entries, the
// retry loop, and how it ended. Returns the item as it ended.
struct Attempted {
  PoolItem item;
  Ending how = Ending::kFailed;
  Status host = ok();  // a journal or queue write failed
};

Attempted attempt_item(StepRunner& runner, Clock& clock, Recorder& recorder, const project::PoolConfig& pool,
                       PoolItem item, const std::string& idempotency_key, Shared& shared) {
  Attempted out;
  const int allowed = static_cast<int>(pool.retries) + 1;
  auto cancelled_ending = [&shared] { return shared.decided.load() ? Ending::kLost : Ending::kInterrupted; };
  for (;;) {
    int attempt = item.attempts + 1;
    if (shared.stop.load()) {
      // Taken off a slot's backlog after the stop: never started.
      out.how = cancelled_ending();
      out.host = recorder.ended(item, attempt, out.how, false, StepResult::failure("cancelled", "not started"));
      item.error = "cancelled";
      item.message = "not started: the pool stopped first";
      break;
    }
    item.started_ms = clock.now_ms();
    item.ended_ms = 0;
    if (auto status = recorder.started(item, attempt); !status) {
      out.host = status;
      out.how = Ending::kInterrupted;
      break;
    }
    StepCall call;
    call.agent = item.agent;
    call.input = item.input;
    call.timeout = pool.timeout;
    call.idempotency_key = idempotency_key;
    call.actor = "pool:" + pool.name;
    call.cancel = &shared.stop;
    if (pool.min_tier) call.pool_gate = PoolGate{pool.name, *pool.min_tier};
    StepResult result = runner.run(call);
    item.ended_ms = clock.now_ms();
    item.error = result.error;
    item.message = result.message;
    if (result.ok) {
      item.attempts += 1;
      item.output = result.output;
      out.how = Ending::kCompleted;
      out.host = recorder.ended(item, attempt, out.how, true, result);
      break;
    }
    if (result.error == "cancelled" && shared.stop.load()) {
      out.how = cancelled_ending();
      out.host = recorder.ended(item, attempt, out.how, true, result);
      break;
    }
    item.attempts += 1;
    if (retryable(result.error) && item.attempts < allowed) {
      if (auto status = recorder.retrying(item, attempt, result); !status) {
        out.host = status;
        out.how = Ending::kInterrupted;
        break;
      }
      continue;
    }
    out.how = Ending::kFailed;
    out.host = recorder.ended(item, attempt, out.how, true, result);
    break;
  }
  switch (out.how) {
    case Ending::kCompleted: item.state = ItemState::kCompleted; break;
    case Ending::kFailed: item.state = ItemState::kFailed; break;
    case Ending::kLost: item.state = ItemState::kCancelled; break;
    case Ending::kInterrupted: item.state = ItemState::kPending; break;
  }
  out.item = std::move(item);
  return out;
}

// The job a worker slot runs for item `index`: its attempts, then the shared
// state, the audit event and the observer.
void run_job(StepRunner& runner, Clock& clock, Recorder& recorder, const project::PoolConfig& pool, Shared& shared,
             size_t index, int slot, const std::string& key, const PoolObserver& observer,
             const std::function<Status(const PoolItem&)>& audit_item) {
  PoolItem item;
  {
    std::lock_guard lock(shared.mutex);
    item = shared.items[index];
  }
  item.worker = slot;
  Attempted attempted;
  // On a worker thread an escaping exception would end naos: it becomes the
  // run's host error instead, and the run ends failed (drive()).
  try {
    attempted = attempt_item(runner, clock, recorder, pool, item, key, shared);
  } catch (const std::exception& e) {
    attempted = Attempted{item, Ending::kFailed, Error(Code::kInternal, std::string("INTERNAL: ") + e.what())};
  } catch (...) {
    attempted = Attempted{item, Ending::kFailed, Error(Code::kInternal, "INTERNAL: an exception of unknown type")};
  }
  bool ended = attempted.item.state != ItemState::kPending;
  Status audited = ok();
  if (attempted.host && ended) audited = audit_item(attempted.item);
  {
    std::lock_guard lock(shared.mutex);
    if (ended) attempted.item.order = shared.next_order++;
    shared.items[index] = attempted.item;
    if (!attempted.host && !shared.host_error) shared.host_error = attempted.host.error();
    if (!audited && !shared.host_error) shared.host_error = audited.error();
  }
  if (ended && observer.item_ended) {
    std::lock_guard lock(shared.observer_mutex);
    observer.item_ended(attempted.item);
  }
}

}  // namespace

size_t ServeResult::completed() const {
  return static_cast<size_t>(std::count_if(items.begin(), items.end(),
                                           [](const PoolItem& i) { return i.state == ItemState::kCompleted; }));
}

size_t ServeResult::failed() const {
  return static_cast<size_t>(
      std::count_if(items.begin(), items.end(), [](const PoolItem& i) { return i.state == ItemState::kFailed; }));
}

Error PoolRunner::end_on_host_error(const RunRecord& run, const Error& error) {
  // A bug (kInternal) would only happen again on resume: the run ends failed
  // with the reason. Other host errors (a full disk) leave it resumable.
  if (error.code() == Code::kInternal) {
    journal_.update_run(run.id, pool_run::kFailed, "", error.message(), "").ignore_error();
  }
  return error;
}

void PoolRunner::audit(const project::PoolConfig& pool, const std::string& agent, const std::string& type,
                       nlohmann::json payload) {
  if (!audit_) return;
  payload["pool"] = pool.name;
  // An audit write that fails does not fail the pool's members: the journal,
  // not the audit log, drives the run. The audit log reports its own errors.
  audit_->append({"pool:" + pool.name, agent, type, std::move(payload)}).ignore_error();
}

Result<std::vector<PoolItem>> PoolRunner::items_for(const project::PoolConfig& pool, const std::string& input) {
  std::vector<PoolItem> items;
  if (pool.fan_out()) {
    for (size_t i = 0; i < pool.members.size(); ++i) {
      PoolItem item;
      item.step = static_cast<int>(i);
      item.name = pool.members[i];
      item.agent = pool.members[i];
      item.input = input;
      items.push_back(std::move(item));
    }
    return items;
  }
  auto tasks = nlohmann::json::parse(input, nullptr, false);
  if (tasks.is_discarded() || !tasks.is_array()) {
    return Error(Code::kInvalidArgument,
                 "a clone pool run with an input takes a JSON array of tasks (one element per task)", pool.name);
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    PoolItem item;
    item.step = static_cast<int>(i);
    item.name = "task " + std::to_string(i + 1);
    item.agent = pool.agent;
    // A string is the task's text, {"base64": ...} its bytes, anything else its JSON.
    auto bytes = bytes_from_json(tasks[i]);
    item.input = bytes ? std::move(*bytes) : tasks[i].dump();
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::optional<RunRecord>> PoolRunner::resumable(const project::PoolConfig& pool, const std::string& input) {
  RunFilter filter;
  filter.kind = pool_run::kKind;
  filter.name = pool.name;
  filter.states = {pool_run::kRunning, pool_run::kCancelled};
  filter.top_level_only = true;
  NAOS_ASSIGN_OR_RETURN(auto runs, journal_.runs(filter));
  bool queue = !pool.fan_out() && input.empty();
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    if (run->input != input || Journal::owner_alive(run->owner)) continue;
    if (!queue) {
      // A run of other members (the config changed) cannot be resumed.
      NAOS_ASSIGN_OR_RETURN(auto items, items_for(pool, run->input));
      NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run->id));
      if (!replay(entries, items)) continue;
    }
    return std::optional<RunRecord>(*run);
  }
  return std::optional<RunRecord>();
}

Result<PoolResult> PoolRunner::run(const project::PoolConfig& pool, const std::string& run_id,
                                   const std::string& input, const std::string& parent_run_id,
                                   const std::atomic<bool>* cancel, const PoolObserver& observer) {
  if (run_id.empty()) return Error(Code::kInvalidArgument, "a pool run needs an id", pool.name);
  NAOS_ASSIGN_OR_RETURN(auto existing, journal_.find_run(run_id));
  if (existing) {
    if (existing->kind != pool_run::kKind || existing->name != pool.name) {
      return Error(Code::kInvalidArgument, "run " + run_id + " is a " + existing->kind + " run of " + existing->name,
                   pool.name);
    }
    if (!pool.fan_out() && existing->input.empty()) {
      return Error(Code::kInvalidArgument, "run " + run_id + " serves the task queue; resume it with serve()",
                   pool.name);
    }
    NAOS_ASSIGN_OR_RETURN(auto items, items_for(pool, existing->input));
    NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run_id));
    NAOS_TRY(replay(entries, items));
    if (terminal(existing->state)) {
      PoolResult done{run_id, pool.name, existing->state, existing->output, existing->error, std::move(items),
                      false, true};
      return done;
    }
    NAOS_TRY(journal_.claim_run(run_id, Journal::this_process()));
    existing->owner = Journal::this_process();
    size_t kept = static_cast<size_t>(std::count_if(items.begin(), items.end(), [](const PoolItem& i) {
      return i.state != ItemState::kPending;
    }));
    audit(pool, "", "pool.resumed", {{"run", run_id}, {"items", items.size()}, {"kept", kept}});
    return drive(pool, std::move(*existing), std::move(items), true, cancel, observer);
  }
  NAOS_ASSIGN_OR_RETURN(auto items, items_for(pool, input));
  RunRecord record;
  record.id = run_id;
  record.kind = pool_run::kKind;
  record.name = pool.name;
  record.parent = parent_run_id;
  record.state = pool_run::kRunning;
  record.input = input;
  record.owner = Journal::this_process();
  NAOS_TRY(journal_.create_run(record));
  audit(pool, "", "pool.started",
        {{"run", run_id},
         {"mode", mode_of(pool, false)},
         {"items", items.size()},
         {"merge", std::string(project::enum_name(pool.merge))}});
  return drive(pool, std::move(record), std::move(items), false, cancel, observer);
}

Result<PoolResult> PoolRunner::drive(const project::PoolConfig& pool, RunRecord run, std::vector<PoolItem> items,
                                     bool resumed, const std::atomic<bool>* cancel, const PoolObserver& observer) {
  Shared shared;
  shared.items = std::move(items);
  for (const auto& item : shared.items) shared.next_order = std::max(shared.next_order, item.order + 1);
  const size_t n = shared.items.size();
  const bool fan_out = pool.fan_out();
  // A fan-out pool has one slot per member it may run at once (each member
  // takes a free one); a clone pool has `size` clones and a strategy.
  uint32_t limit = pool.max_concurrency.value_or(UINT32_MAX);
  uint32_t slot_count = fan_out ? std::max<uint32_t>(1, std::min<uint32_t>(limit, static_cast<uint32_t>(n)))
                                : std::max<uint32_t>(1, pool.size);
  size_t window = std::min<size_t>(slot_count, limit);
  auto strategy = fan_out ? project::PoolStrategy::kLeastBusy : pool.strategy;

  std::deque<size_t> todo;
  for (size_t i = 0; i < n; ++i) {
    if (shared.items[i].state == ItemState::kPending) todo.push_back(i);
  }
  JournalRecorder recorder(journal_, run.id);
  const char* member_event_ok = fan_out ? "pool.member_completed" : "pool.task_completed";
  const char* member_event_failed = fan_out ? "pool.member_failed" : "pool.task_failed";
  std::function<Status(const PoolItem&)> audit_item = [&](const PoolItem& item) -> Status {
    if (item.state == ItemState::kCancelled) return ok();
    nlohmann::json payload = {{"run", run.id}, {"item", item.name}, {"attempts", item.attempts},
                              {"worker", item.worker}};
    if (item.state == ItemState::kFailed) payload["error"] = item.error + ": " + item.message;
    audit(pool, item.agent, item.state == ItemState::kCompleted ? member_event_ok : member_event_failed,
          std::move(payload));
    return ok();
  };

  Verdict verdict;
  bool interrupted = false;
  {
    WorkerSlots slots(strategy, slot_count, [&shared] { shared.notify(); });
    std::unique_lock lock(shared.mutex);
    PoolProgress reported{SIZE_MAX, 0, 0, 0};
    for (;;) {
      verdict = judge(pool.merge, pool.quorum, pool.tolerate, outcomes_of(shared.items));
      if (verdict.decided && !shared.decided.load()) {
        shared.decided = true;  // before stop: what is cancelled now is lost, not interrupted
        shared.stop = true;
      }
      if (!shared.stop.load() && ((cancel && cancel->load()) || shared.host_error)) {
        shared.stop = true;
        interrupted = true;
      }
      if (!shared.stop.load()) {
        while (!todo.empty() && slots.outstanding() < window) {
          size_t index = todo.front();
          todo.pop_front();
          int slot = slots.pick();
          shared.items[index].state = ItemState::kRunning;
          shared.items[index].worker = slot;
          std::string key = run.id + "/" + shared.items[index].name;
          slots.assign(slot, [&, index, key](int on) {
            run_job(runner_, clock_, recorder, pool, shared, index, on, key, observer, audit_item);
          });
        }
      }
      slots.check_invariants();
      if (observer.progress) {
        PoolProgress now = progress_of(shared.items);
        if (!same_progress(now, reported)) observer.progress(reported = now);
      }
      if (slots.outstanding() == 0 && (shared.stop.load() || todo.empty())) break;
      shared.wake.wait_for(lock, kCancelPoll);
    }
  }
  if (shared.host_error) return end_on_host_error(run, *shared.host_error);
  // The items never started once the result was decided end cancelled.
  for (size_t index : todo) {
    PoolItem& item = shared.items[index];
    if (!shared.decided.load() || item.state != ItemState::kPending) continue;
    item.state = ItemState::kCancelled;
    item.order = shared.next_order++;
    NAOS_TRY(recorder.ended(item, item.attempts + 1, Ending::kLost, false, StepResult::failure("cancelled", "")));
  }
  verdict = judge(pool.merge, pool.quorum, pool.tolerate, outcomes_of(shared.items));
  PoolResult result;
  result.run_id = run.id;
  result.pool = pool.name;
  result.resumed = resumed;
  if (interrupted && !verdict.decided) {
    result.state = pool_run::kCancelled;
    result.error = "cancelled before the pool's result was decided";
    NAOS_TRY(journal_.update_run(run.id, pool_run::kCancelled, "", result.error, ""));
    size_t done = n - static_cast<size_t>(std::count_if(shared.items.begin(), shared.items.end(), [](const PoolItem& i) {
                        return i.state == ItemState::kPending;
                      }));
    audit(pool, "", "pool.cancelled", {{"run", run.id}, {"ended", done}, {"items", n}});
  } else {
    assert(verdict.decided);
    result.state = verdict.state;
    result.output = verdict.output;
    result.error = verdict.error;
    NAOS_TRY(journal_.update_run(run.id, result.state, result.output, result.error, ""));
    PoolProgress counts = progress_of(shared.items);
    nlohmann::json payload = {{"run", run.id}, {"items", n}, {"completed", counts.completed},
                              {"failed", counts.failed}};
    if (!verdict.error.empty()) payload["error"] = verdict.error;
    if (verdict.winner) payload["winner"] = shared.items[*verdict.winner].name;
    audit(pool, "", "pool." + result.state, std::move(payload));
  }
  result.items = std::move(shared.items);
  return result;
}

Result<ServeResult> PoolRunner::serve(const project::PoolConfig& pool, TaskQueue& queue,
                                      const ServeOptions& options) {
  if (pool.fan_out()) {
    return Error(Code::kInvalidArgument, "a fan-out pool has no task queue; run it with an input", pool.name);
  }
  const std::string owner = Journal::this_process();
  ServeResult result;
  result.pool = pool.name;
  NAOS_TRY(queue.serve(pool.name, owner, pool.size, &result.recovered));
  // From here the pool is this process's: give it up on every way out.
  struct Release {
    TaskQueue& queue;
    const std::string& pool;
    const std::string& owner;
    ~Release() { queue.release(pool, owner).ignore_error(); }  // a dead owner is taken over anyway
  } release{queue, pool.name, owner};

  RunRecord run;
  bool resumed = false;
  if (!options.run_id.empty()) {
    NAOS_ASSIGN_OR_RETURN(auto existing, journal_.find_run(options.run_id));
    if (!existing) return Error(Code::kNotFound, "no such run", options.run_id);
    if (existing->kind != pool_run::kKind || existing->name != pool.name || !existing->input.empty()) {
      return Error(Code::kInvalidArgument, "run " + options.run_id + " is not a queue run of pool " + pool.name);
    }
    if (terminal(existing->state)) {
      return Error(Code::kFailedPrecondition, "run " + options.run_id + " has ended (" + existing->state + ")");
    }
    run = *existing;
    resumed = true;
  } else {
    NAOS_ASSIGN_OR_RETURN(auto unfinished, resumable(pool, ""));
    if (unfinished) {
      run = *unfinished;
      resumed = true;
    }
  }
  if (resumed) {
    NAOS_TRY(journal_.claim_run(run.id, owner));
    NAOS_TRY(journal_.update_run(run.id, pool_run::kRunning, "", "", owner));
    audit(pool, "", "pool.resumed", {{"run", run.id}, {"mode", "queue"}, {"recovered", result.recovered}});
  } else {
    run.id = new_run_id(pool_run::kKind, pool.name);
    run.kind = pool_run::kKind;
    run.name = pool.name;
    run.state = pool_run::kRunning;
    run.owner = owner;
    NAOS_TRY(journal_.create_run(run));
    audit(pool, "", "pool.started",
          {{"run", run.id},
           {"mode", "queue"},
           {"size", pool.size},
           {"strategy", std::string(project::enum_name(pool.strategy))},
           {"recovered", result.recovered}});
  }
  result.run_id = run.id;

  Shared shared;
  QueueRecorder recorder(queue, pool.name, run.id);
  std::function<Status(const PoolItem&)> audit_item = [&](const PoolItem& item) -> Status {
    nlohmann::json payload = {{"run", run.id}, {"task", item.task_id}, {"attempts", item.attempts},
                              {"worker", item.worker}};
    if (item.state == ItemState::kFailed) payload["error"] = item.error + ": " + item.message;
    audit(pool, item.agent, item.state == ItemState::kCompleted ? "pool.task_completed" : "pool.task_failed",
          std::move(payload));
    return ok();
  };
  const uint32_t limit = pool.max_concurrency.value_or(UINT32_MAX);
  uint32_t size = std::max<uint32_t>(1, pool.size);
  bool draining = false, stopping = false, interrupted = false, over_tolerance = false;
  bool empty = false;
  int64_t queued_now = 0;
  size_t taken_at_look = 0;  // tasks this run had taken when queued_now was read
  auto last_look = std::chrono::steady_clock::now() - options.poll;
  {
    WorkerSlots slots(pool.strategy, size, [&shared] { shared.notify(); });
    std::unique_lock lock(shared.mutex);
    PoolProgress reported{SIZE_MAX, 0, 0, 0};
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      bool look = now - last_look >= options.poll;
      if (look) {
        // What `pool scale / drain / stop` asked, from another process.
        last_look = now;
        taken_at_look = shared.items.size();  // only this thread takes tasks
        lock.unlock();
        auto control = queue.control(pool.name);
        auto counts = queue.counts(pool.name);
        lock.lock();
        if (!control) {
          if (!shared.host_error) shared.host_error = control.error();
        } else if (*control) {
          const PoolControl& c = **control;
          if (c.size > 0 && c.size != size) {
            size = c.size;
            slots.resize(size);
          }
          if (c.request == PoolRequest::kDrain) draining = true;
          if (c.request == PoolRequest::kStop && !stopping) {
            stopping = true;
            shared.stop = true;
          }
        }
        if (counts) {
          queued_now = counts->queued;
          if (queued_now > 0) empty = false;
        }
      }
      if (!shared.stop.load() && ((options.cancel && options.cancel->load()) || shared.host_error)) {
        shared.stop = true;
        interrupted = true;
      }
      size_t failed = 0;
      for (const auto& item : shared.items) failed += item.state == ItemState::kFailed ? 1 : 0;
      if (!over_tolerance && pool.tolerate.kind == project::Tolerance::Kind::kCount &&
          failed > pool.tolerate.value) {
        // More failed tasks than tolerated: serve no more (running tasks go back to the queue).
        over_tolerance = true;
        shared.stop = true;
      }
      size_t window = std::min<size_t>(size, limit);
      while (!shared.stop.load() && !draining && !empty && slots.outstanding() < window) {
        int slot = slots.pick();
        lock.unlock();
        auto taken = queue.take(pool.name, slot);
        lock.lock();
        if (!taken) {
          shared.host_error = taken.error();
          break;
        }
        if (!*taken) {
          empty = true;
          break;
        }
        const Task& task = **taken;
        PoolItem item;
        item.step = static_cast<int>(task.id);
        item.name = "task " + std::to_string(task.id);
        item.agent = pool.agent;
        item.input = task.input;
        item.task_id = task.id;
        item.attempts = task.attempts;
        item.worker = slot;
        item.state = ItemState::kRunning;
        shared.items.push_back(std::move(item));
        size_t index = shared.items.size() - 1;
        // The same key on every run of the task: it is the pool's task, whichever run serves it.
        std::string key = "pool/" + pool.name + "/task/" + std::to_string(task.id);
        slots.assign(slot, [&, index, key](int on) {
          run_job(runner_, clock_, recorder, pool, shared, index, on, key, options.observer, audit_item);
        });
      }
      slots.check_invariants();
      if (options.observer.progress) {
        // Total: the tasks this run took and still holds or ended, plus those
        // queued at the last look less the ones taken since.
        PoolProgress now_progress = progress_of(shared.items);
        now_progress.total -= static_cast<size_t>(std::count_if(
            shared.items.begin(), shared.items.end(), [](const PoolItem& i) { return i.state == ItemState::kPending; }));
        int64_t taken_since = static_cast<int64_t>(shared.items.size() - taken_at_look);
        now_progress.total += static_cast<size_t>(std::max<int64_t>(0, queued_now - taken_since));
        if (!same_progress(now_progress, reported)) options.observer.progress(reported = now_progress);
      }
      bool idle = slots.outstanding() == 0;
      if (idle && (shared.stop.load() || draining || (empty && !options.follow))) break;
      shared.wake.wait_for(lock, empty ? std::min<std::chrono::milliseconds>(options.poll, 100ms) : kCancelPoll);
    }
  }
  if (shared.host_error) return end_on_host_error(run, *shared.host_error);

  size_t completed = 0, failed = 0;
  for (auto& item : shared.items) {
    if (item.state == ItemState::kPending) {
      ++result.requeued;
      continue;
    }
    if (item.state == ItemState::kCompleted) ++completed;
    if (item.state == ItemState::kFailed) ++failed;
    result.items.push_back(item);
  }
  std::sort(result.items.begin(), result.items.end(),
            [](const PoolItem& a, const PoolItem& b) { return a.order < b.order; });
  nlohmann::json summary = {{"completed", completed}, {"failed", failed}, {"requeued", result.requeued}};
  if (interrupted || stopping) {
    result.state = pool_run::kCancelled;
    result.stopped = stopping;
    result.error = stopping ? "stopped by `naos pool stop`" : "cancelled";
    NAOS_TRY(journal_.update_run(run.id, pool_run::kCancelled, summary.dump(), result.error, ""));
    audit(pool, "", stopping ? "pool.stopped" : "pool.cancelled", {{"run", run.id}, {"completed", completed},
                                                                    {"failed", failed}, {"requeued", result.requeued}});
    return result;
  }
  uint32_t tolerated = tolerated_failures(pool.tolerate, completed + failed);
  if (over_tolerance || failed > tolerated) {
    result.state = pool_run::kFailed;
    result.error = std::to_string(failed) + " of " + std::to_string(completed + failed) +
                   " tasks failed, more than the " + std::to_string(tolerated) + " tolerated";
  } else {
    result.state = failed > 0 ? pool_run::kPartial : pool_run::kCompleted;
  }
  result.drained = draining;
  NAOS_TRY(journal_.update_run(run.id, result.state, summary.dump(), result.error, ""));
  nlohmann::json payload = summary;
  payload["run"] = run.id;
  if (!result.error.empty()) payload["error"] = result.error;
  audit(pool, "", "pool." + result.state, payload);
  if (draining) audit(pool, "", "pool.drained", {{"run", run.id}, {"completed", completed}, {"failed", failed}});
  return result;
}

}  // namespace naos::orchestration
