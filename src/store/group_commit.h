// GroupCommit — many small durable writes from many threads, one fsync per
// batch. Each write is a function run against the writer's own connection;
// one writer thread runs everything queued in one transaction (each write in
// its own SAVEPOINT, so a failing write undoes only itself), commits, and
// then reports every write's status. Nothing is reported done before the
// transaction holding it is on disk (synchronous=FULL).
//
// One per process for the project database (core/naos.cc): the orchestration
// journal, the registry's instance lifecycle and the audit log all write
// through it, so a workflow step's journal entries and audit events share one
// transaction and one fsync instead of two writers taking turns on SQLite's
// write lock. A sequential workflow waits for one write at a time, but a
// thousand concurrent ones share their fsyncs.
//
// A BatchParticipant sees each batch end: before_commit() runs inside the
// transaction after the writes (the audit log signs its new head there), and
// after_batch() runs once the batch committed or failed, before any write's
// status is reported (the audit log forgets the head it cached).
//
// Checkpoints (copying the WAL back into the database file) are made by a
// thread of their own on a second connection, every 100 ms after commits,
// not by the committing writer: they were a tenth of its time.
//
// Threading: submit(), enqueue() and write() from any thread; the writes run
// on the writer thread, in submission order. Destruction commits what is queued.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace naos::store {

class BatchParticipant {
 public:
  virtual ~BatchParticipant() = default;
  // Inside the batch's transaction, after its writes; an error fails the batch.
  virtual Status before_commit(Database& database) = 0;
  // After the batch committed (true) or rolled back (false).
  virtual void after_batch(bool committed) = 0;
};

class GroupCommit {
 public:
  using Write = std::function<Status(Database&)>;
  // Called on the writer thread with the write's status once its batch is
  // durable (or failed). Must not block.
  using Done = std::function<void(Status)>;
  static constexpr size_t kMaxBatch = 4096;

  static Result<std::unique_ptr<GroupCommit>> open(const std::filesystem::path& database_file);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // How a failing write is undone. kSavepoint wraps it in a SAVEPOINT (any
  // write). kItself is for a write that changes the database in at most one
  // statement, or uses its own savepoint around several: SQLite undoes a
  // failed statement by itself, and a savepoint per write was two statements
  // more for each one-INSERT journal entry or audit event.
  enum class Undo { kSavepoint, kItself };

  // Queues the write; the future is ready once its batch is durable (or it failed).
  std::future<Status> submit(Write write, Undo undo = Undo::kSavepoint);
  // Queues the write; `done` gets its status.
  void enqueue(Write write, Done done, Undo undo = Undo::kSavepoint);
  // submit() and wait.
  Status write(Write write) { return submit(std::move(write)).get(); }

  // `participant` sees every batch from the next one on, until removed.
  void add_participant(BatchParticipant* participant);
  // Returns once no batch uses `participant` any more.
  void remove_participant(BatchParticipant* participant);

 private:
  struct Pending {
    Write write;
    Done done;
    Undo undo;
  };
  GroupCommit(std::unique_ptr<Database> database, std::unique_ptr<Database> checkpointer);
  void write_until_stopped();
  void checkpoint_until_stopped();
  void commit_batch(std::vector<Pending>& batch);

  std::unique_ptr<Database> database_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  // Held by the writer thread for a whole batch, so removal waits for it.
  std::mutex participants_mutex_;
  std::vector<BatchParticipant*> participants_;
  std::thread writer_;

  std::unique_ptr<Database> checkpointer_db_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool committed_ = false;  // since the last checkpoint
  bool checkpointer_stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace naos::store
