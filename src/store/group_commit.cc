#include "store/group_commit.h"

namespace naos::store {

Result<std::unique_ptr<GroupCommit>> GroupCommit::open(const std::filesystem::path& database_file) {
  NAOS_ASSIGN_OR_RETURN(auto database, Database::open(database_file));
  return std::unique_ptr<GroupCommit>(new GroupCommit(std::move(database)));
}

GroupCommit::GroupCommit(std::unique_ptr<Database> database) : database_(std::move(database)) {
  writer_ = std::thread([this] { write_until_stopped(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

std::future<Status> GroupCommit::submit(Write write) {
  Pending pending{std::move(write), {}};
  auto done = pending.done.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return done;
}

void GroupCommit::write_until_stopped() {
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
  std::vector<Status> results;
  results.reserve(batch.size());
  auto fail_all = [&batch](const Error& error) {
    for (auto& pending : batch) pending.done.set_value(error);
  };
  auto transaction = database_->begin();
  if (!transaction) return fail_all(transaction.error());
  for (auto& pending : batch) {
    if (auto saved = database_->run("SAVEPOINT w"); !saved) return fail_all(saved.error());
    Status status = ok();
    try {
      status = pending.write(*database_);
    } catch (const std::exception& e) {
      status = Error(Code::kInternal, std::string("a journal write threw: ") + e.what());
    }
    auto closed = status ? database_->run("RELEASE w") : database_->exec("ROLLBACK TO w; RELEASE w");
    if (!closed) return fail_all(closed.error());
    results.push_back(std::move(status));
  }
  if (auto committed = transaction->commit(); !committed) return fail_all(committed.error());
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done.set_value(std::move(results[i]));
}

}  // namespace naos::store
