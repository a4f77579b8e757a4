// GroupCommit — many small durable writes from many threads, one fsync per
// batch. Each write is a function run against the writer's own connection;
// one writer thread runs everything queued in one transaction (each write in
// its own SAVEPOINT, so a failing write undoes only itself), commits, and
// then fulfils every write's future. Nothing is reported done before the
// transaction holding it is on disk (synchronous=FULL).
//
// Used by the orchestration journal, where a sequential workflow waits for
// one write at a time, but a thousand concurrent ones share their fsyncs.
//
// Threading: submit() and write() from any thread; the writes run on the
// writer thread, in submission order. Destruction commits what is queued.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "store/database.h"

namespace naos::store {

class GroupCommit {
 public:
  using Write = std::function<Status(Database&)>;
  static constexpr size_t kMaxBatch = 4096;

  static Result<std::unique_ptr<GroupCommit>> open(const std::filesystem::path& database_file);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues the write; the future is ready once its batch is durable (or it failed).
  std::future<Status> submit(Write write);
  // submit() and wait.
  Status write(Write write) { return submit(std::move(write)).get(); }

 private:
  struct Pending {
    Write write;
    std::promise<Status> done;
  };
  explicit GroupCommit(std::unique_ptr<Database> database);
  void write_until_stopped();
  void commit_batch(std::vector<Pending>& batch);

  std::unique_ptr<Database> database_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace naos::store
