#include "store/group_commit.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace naos::store {

Result<std::unique_ptr<GroupCommit>> GroupCommit::open(const std::filesystem::path& database_file) {
  NAOS_ASSIGN_OR_RETURN(auto database, Database::open(database_file));
  NAOS_TRY(database->exec("PRAGMA wal_autocheckpoint=0"));  // the checkpointer's job
  NAOS_ASSIGN_OR_RETURN(auto checkpointer, Database::open(database_file));
  return std::unique_ptr<GroupCommit>(new GroupCommit(std::move(database), std::move(checkpointer)));
}

GroupCommit::GroupCommit(std::unique_ptr<Database> database, std::unique_ptr<Database> checkpointer)
    : database_(std::move(database)), checkpointer_db_(std::move(checkpointer)) {
  writer_ = std::thread([this] { write_until_stopped(); });
  checkpointer_ = std::thread([this] { checkpoint_until_stopped(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpointer_stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  checkpointer_.join();  // its last round checkpoints what the writer committed
}

void GroupCommit::checkpoint_until_stopped() {
  pthread_setname_np(pthread_self(), "naos-checkpoint");
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return checkpointer_stopping_; });
    bool stopping = checkpointer_stopping_;
    if (std::exchange(committed_, false)) {
      lock.unlock();
      // PASSIVE: copies what it can without waiting for readers or the writer.
      // A failure only leaves the WAL longer until the next round.
      checkpointer_db_->exec("PRAGMA wal_checkpoint(PASSIVE)").ignore_error();
      lock.lock();
    }
    if (stopping) return;
  }
}

std::future<Status> GroupCommit::submit(Write write, Undo undo) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto done = promise->get_future();
  enqueue(std::move(write), [promise](Status status) { promise->set_value(std::move(status)); }, undo);
  return done;
}

void GroupCommit::enqueue(Write write, Done done, Undo undo) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{std::move(write), std::move(done), undo});
  }
  wake_.notify_one();
}

void GroupCommit::add_participant(BatchParticipant* participant) {
  std::lock_guard lock(participants_mutex_);
  participants_.push_back(participant);
}

void GroupCommit::remove_participant(BatchParticipant* participant) {
  std::lock_guard lock(participants_mutex_);
  participants_.erase(std::remove(participants_.begin(), participants_.end(), participant), participants_.end());
}

void GroupCommit::write_until_stopped() {
  pthread_setname_np(pthread_self(), "naos-commit");  // for perf and top -H
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void GroupCommit::commit_batch(std::vector<Pending>& batch) {
  std::lock_guard participants_lock(participants_mutex_);
  std::vector<Status> results;
  results.reserve(batch.size());
  Status batch_status = [&]() -> Status {
    NAOS_ASSIGN_OR_RETURN(Transaction transaction, database_->begin());
    for (auto& pending : batch) {
      bool savepoint = pending.undo == Undo::kSavepoint;
      if (savepoint) NAOS_TRY(database_->run("SAVEPOINT w"));
      // A write that throws (a bug) fails alone: its savepoint is undone,
      // and an Undo::kItself write throws before its one statement runs.
      Status status = ok();
      try {
        status = pending.write(*database_);
      } catch (const std::exception& e) {
        status = Error(Code::kInternal, std::string("a group-commit write threw: ") + e.what());
      } catch (...) {
        status = Error(Code::kInternal, "a group-commit write threw an exception of unknown type");
      }
      if (savepoint) NAOS_TRY(status ? database_->run("RELEASE w") : database_->exec("ROLLBACK TO w; RELEASE w"));
      if (!status && !database_->in_transaction()) {
        // The error (a full disk, an I/O error) rolled back the whole batch.
        return Error(status.error().code(), "the batch was rolled back: " + status.error().message());
      }
      results.push_back(std::move(status));
    }
    for (BatchParticipant* participant : participants_) {
      Status ready = ok();
      try {
        ready = participant->before_commit(*database_);
      } catch (const std::exception& e) {
        ready = Error(Code::kInternal, std::string("a batch participant threw: ") + e.what());
      }
      NAOS_TRY(ready);
    }
    return transaction.commit();  // on an early return, the Transaction rolls back
  }();
  for (BatchParticipant* participant : participants_) {
    try {
      participant->after_batch(bool(batch_status));
    } catch (...) {
    }
  }
  if (batch_status) {
    std::lock_guard lock(checkpoint_mutex_);
    committed_ = true;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    // A throwing callback must not end the writer thread (and every later write with it).
    try {
      batch[i].done(batch_status ? std::move(results[i]) : Status(batch_status.error()));
    } catch (...) {
    }
  }
}

}  // namespace naos::store
