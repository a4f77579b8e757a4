// Journal — the durable record of orchestration runs (store/schema.h,
// migration 4). A run of a workflow, saga or pool is a row in orch_runs; what
// happens to its steps is appended to orch_journal *before* and *after* each
// step runs. After a kill -9, replaying a run's entries says which steps
// finished (never run again), which one was interrupted (run again, under its
// retry policy), and what to compensate.
//
// Entry events (Entry::event):
//   step.started     an attempt of a forward step begins       data: {input}
//   step.completed   it succeeded                              data: {input, output}
//   step.failed      the attempt failed                        data: {error, message, final}
// Inputs, outputs and messages are bytes, written with bytes_json() (a
// string when UTF-8, else {"base64": ...}) and read with bytes_field().
//   step.skipped     condition false or onError skip           data: {reason, ...}
//   compensation.started / compensation.completed / compensation.failed
//                    the same for a saga step's compensation
//   step.resolved    an operator marked a failed compensation done (saga resolve)
//   run.resumed      an operator restarted a failed run (step -1)
//
// Durability: writes go through a GroupCommit, so a completed step's entry is
// on disk before the next step starts (Wait::kDurable), while a `started`
// entry may ride along with the next batch (Wait::kQueued): losing it in a
// crash only means the attempt is not counted.
//
// Threading: every method from any thread. Reads use their own connection
// (WAL: they see every committed write, never a half batch).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace naos::orchestration {

namespace entry {
inline constexpr const char* kStepStarted = "step.started";
inline constexpr const char* kStepCompleted = "step.completed";
inline constexpr const char* kStepFailed = "step.failed";
inline constexpr const char* kStepSkipped = "step.skipped";
inline constexpr const char* kCompensationStarted = "compensation.started";
inline constexpr const char* kCompensationCompleted = "compensation.completed";
inline constexpr const char* kCompensationFailed = "compensation.failed";
inline constexpr const char* kStepResolved = "step.resolved";
// An operator resumed the run (resume of a failed workflow, saga
// retry-compensation): failures before it no longer count.
inline constexpr const char* kRunResumed = "run.resumed";
}  // namespace entry

struct RunRecord {
  std::string id;
  std::string kind;  // "workflow", "saga", "pool"
  std::string name;
  std::string parent;  // the run a nested run belongs to; empty at the top
  std::string state;
  std::string input;
  std::string output;
  std::string error;
  std::string owner;  // pid of the process driving it while it runs
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct Entry {
  int64_t seq = 0;
  std::string run_id;
  int step = 0;  // index in the config's steps; -1 for the run itself
  std::string step_name;
  std::string event;
  int attempt = 0;  // 1-based
  nlohmann::json data = nlohmann::json::object();
  int64_t ts_ms = 0;
};

struct RunFilter {
  std::optional<std::string> kind;
  std::optional<std::string> name;
  std::vector<std::string> states;  // any of; empty: every state
  bool top_level_only = false;
  size_t limit = 0;  // the newest `limit`; 0: all
};

enum class Wait { kDurable, kQueued };

class Journal {
 public:
  // With a group commit of its own.
  static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& database_file, Clock& clock);
  // Writing through `writer` (shared with the audit log in Naos).
  static Result<std::unique_ptr<Journal>> open(std::shared_ptr<store::GroupCommit> writer,
                                               const std::filesystem::path& database_file, Clock& clock);

  // Errors: kAlreadyExists when a run with that id exists. With `exclusive`,
  // kFailedPrecondition when another top-level run of the same kind and name
  // is unfinished (running, compensating or compensation_failed); the check
  // and the insert share one transaction, so two processes cannot both pass.
  Status create_run(RunRecord run, bool exclusive = false);
  // Sets state, output and error; clears the owner when `owner` is empty.
  Status update_run(const std::string& id, const std::string& state, const std::string& output,
                    const std::string& error, const std::string& owner);
  // Takes a run for this process: succeeds when its owner is empty, is
  // `owner`, or names a process that is no longer alive.
  // Errors: kFailedPrecondition (another live process drives it).
  Status claim_run(const std::string& id, const std::string& owner);
  Status append(Entry entry, Wait wait = Wait::kDurable);

  Result<std::optional<RunRecord>> find_run(const std::string& id);
  Result<std::vector<RunRecord>> runs(const RunFilter& filter);
  Result<std::vector<Entry>> entries(const std::string& run_id);

  // The pid of this process as an owner string.
  static std::string this_process();
  // Whether the owner (a pid on this host) is a live process.
  static bool owner_alive(const std::string& owner);

  store::GroupCommit& writer() { return *writer_; }
  Clock& clock() { return clock_; }

 private:
  Journal(std::shared_ptr<store::GroupCommit> writer, std::unique_ptr<store::Database> reader, Clock& clock)
      : writer_(std::move(writer)), reader_(std::move(reader)), clock_(clock) {}

  std::shared_ptr<store::GroupCommit> writer_;
  std::mutex reader_mutex_;
  std::unique_ptr<store::Database> reader_;
  Clock& clock_;
};

// Inserts `entry` (with its ts_ms) into orch_journal on `db`: what
// Journal::append queues, for a writer that must commit an entry in one
// transaction with its own change (the pools' task queue).
Status write_entry(store::Database& db, const Entry& entry);
// The same with entry.data already serialized (off the writer thread).
Status write_entry(store::Database& db, const Entry& entry, std::string_view data_json);

// A new run id: "<kind>-<name>-<12 hex>", unique per process and time.
std::string new_run_id(std::string_view kind, std::string_view name);

}  // namespace naos::orchestration
