// TaskQueue: the clone pools' durable queue and control row (task_queue.h).
#include "orchestration/task_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "test_support.h"

namespace naos::orchestration {
namespace {

// A pid no process has: an owner that died.
constexpr const char* kDeadOwner = "999999999";

class TaskQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto journal = Journal::open(file(), clock_);
    ASSERT_TRUE(journal) << journal.error().to_string();
    journal_ = std::move(*journal);
    auto queue = TaskQueue::open(*journal_, file());
    ASSERT_TRUE(queue) << queue.error().to_string();
    queue_ = std::move(*queue);
  }
  std::filesystem::path file() const { return dir_.path() / "nexus.db"; }
  Task take(int worker) {
    auto taken = queue_->take("p", worker);
    EXPECT_TRUE(taken) << taken.error().to_string();
    EXPECT_TRUE(taken && *taken);
    return taken && *taken ? **taken : Task{};
  }
  TaskCounts counts() { return *queue_->counts("p"); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<TaskQueue> queue_;
};

TEST_F(TaskQueueTest, TasksAreTakenOldestFirstAndEachOnlyOnce) {
  auto ids = queue_->submit("p", {"a", "b", "c"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<int64_t>{1, 2, 3}));
  auto more = queue_->submit("other", {"x"});
  EXPECT_EQ(*more, std::vector<int64_t>{1});  // ids count per pool
  Task first = take(4);
  EXPECT_EQ(first.id, 1);
  EXPECT_EQ(first.input, "a");
  EXPECT_EQ(first.state, task_state::kRunning);
  EXPECT_EQ(first.worker, 4);
  EXPECT_EQ(take(0).id, 2);
  EXPECT_EQ(take(0).id, 3);
  auto none = queue_->take("p", 0);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto c = counts();
  EXPECT_EQ(c.running, 3);
  EXPECT_EQ(c.queued, 0);
}

TEST_F(TaskQueueTest, ConcurrentTakersNeverShareATask) {
  std::vector<std::string> inputs;
  for (int i = 0; i < 60; ++i) inputs.push_back("t" + std::to_string(i));
  ASSERT_TRUE(queue_->submit("p", inputs));
  std::mutex mutex;
  std::multiset<int64_t> taken;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        auto task = queue_->take("p", w);
        if (!task || !*task) return;
        std::lock_guard lock(mutex);
        taken.insert((*task)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(taken.size(), 60u);
  EXPECT_EQ(std::set<int64_t>(taken.begin(), taken.end()).size(), 60u);
}

TEST_F(TaskQueueTest, EndingATaskWritesItsJournalEntryInTheSameTransaction) {
  ASSERT_TRUE(queue_->submit("p", {"a", "b"}));
  RunRecord run{"run-1", "pool", "p", "", "running", "", "", "", "", 0, 0};
  ASSERT_TRUE(journal_->create_run(run));
  Task a = take(0), b = take(1);
  ASSERT_TRUE(queue_->start_attempt("p", a.id, {"run-1", 1, {{"worker", 0}}}));
  ASSERT_TRUE(queue_->attempt_failed("p", a.id, {"run-1", 1, {{"final", false}}}));
  ASSERT_TRUE(queue_->complete("p", a.id, "out-a", {"run-1", 2, {{"output", "out-a"}}}));
  ASSERT_TRUE(queue_->fail("p", b.id, "exit_status: boom", {"run-1", 1, {{"final", true}}}));
  auto done = *queue_->task("p", a.id);
  EXPECT_EQ(done->state, task_state::kCompleted);
  EXPECT_EQ(done->output, "out-a");
  EXPECT_EQ(done->attempts, 2);
  auto bad = *queue_->task("p", b.id);
  EXPECT_EQ(bad->state, task_state::kFailed);
  EXPECT_EQ(bad->error, "exit_status: boom");
  auto entries = *journal_->entries("run-1");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].event, entry::kStepStarted);
  EXPECT_EQ(entries[0].step, a.id);
  EXPECT_EQ(entries[0].step_name, "task 1");
  EXPECT_EQ(entries[2].event, entry::kStepCompleted);
  EXPECT_EQ(entries[3].event, entry::kStepFailed);
  EXPECT_EQ(entries[3].step_name, "task 2");
  // A task that is no longer running cannot be ended again, and its entry is not written.
  auto again = queue_->complete("p", a.id, "twice", {"run-1", 3, {}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(journal_->entries("run-1")->size(), 4u);
}

TEST_F(TaskQueueTest, RequeueGivesARunningTaskBackWithoutCountingTheAttempt) {
  ASSERT_TRUE(queue_->submit("p", {"a"}));
  Task a = take(2);
  ASSERT_TRUE(queue_->requeue("p", a.id));
  auto back = *queue_->task("p", a.id);
  EXPECT_EQ(back->state, task_state::kQueued);
  EXPECT_EQ(back->worker, -1);
  EXPECT_EQ(back->attempts, 0);
  EXPECT_EQ(take(1).id, a.id);
}

TEST_F(TaskQueueTest, ServingTakesTheTasksOfADeadOwnerBackButRefusesALiveOne) {
  ASSERT_TRUE(queue_->submit("p", {"a", "b", "c"}));
  int64_t recovered = -1;
  ASSERT_TRUE(queue_->serve("p", kDeadOwner, 3, &recovered));
  EXPECT_EQ(recovered, 0);
  take(0);
  take(1);
  EXPECT_EQ(counts().running, 2);
  // The owner died with two tasks running: the next server gets them back.
  ASSERT_TRUE(queue_->serve("p", Journal::this_process(), 2, &recovered));
  EXPECT_EQ(recovered, 2);
  EXPECT_EQ(counts().queued, 3);
  auto control = *queue_->control("p");
  ASSERT_TRUE(control);
  EXPECT_EQ(control->owner, Journal::this_process());
  EXPECT_EQ(control->size, 2u);
  // While this (live) process serves the pool, another one is refused.
  auto refused = queue_->serve("p", "1", 2, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
}

TEST_F(TaskQueueTest, ScaleDrainAndStopRequestsReachTheControlRowAndReleaseClearsThem) {
  ASSERT_TRUE(queue_->serve("p", Journal::this_process(), 2, nullptr));
  ASSERT_TRUE(queue_->set_size("p", 5));
  ASSERT_TRUE(queue_->set_request("p", PoolRequest::kDrain));
  auto control = *queue_->control("p");
  EXPECT_EQ(control->size, 5u);
  EXPECT_EQ(control->request, PoolRequest::kDrain);
  ASSERT_TRUE(queue_->set_request("p", PoolRequest::kStop));
  EXPECT_EQ((*queue_->control("p"))->request, PoolRequest::kStop);
  ASSERT_TRUE(queue_->release("p", Journal::this_process()));
  control = *queue_->control("p");
  EXPECT_EQ(control->owner, "");
  EXPECT_EQ(control->request, PoolRequest::kServe);
}

TEST_F(TaskQueueTest, RecoverAndCancelQueuedMoveWholeStates) {
  ASSERT_TRUE(queue_->submit("p", {"a", "b", "c"}));
  take(0);
  EXPECT_EQ(*queue_->recover("p"), 1);
  EXPECT_EQ(*queue_->cancel_queued("p"), 3);
  auto c = counts();
  EXPECT_EQ(c.cancelled, 3);
  EXPECT_EQ(c.total(), 3);
  auto cancelled = *queue_->tasks("p", task_state::kCancelled, 2);
  ASSERT_EQ(cancelled.size(), 2u);
  EXPECT_EQ(cancelled[0].id, 1);
}

}  // namespace
}  // namespace naos::orchestration
