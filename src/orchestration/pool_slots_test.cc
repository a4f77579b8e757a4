// WorkerSlots: the strategies pick slots as pool_slots.h says, and jobs on a
// slot run one at a time in the order assigned.
#include "orchestration/pool_slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>

namespace naos::orchestration {
namespace {

using project::PoolStrategy;

TEST(PoolSlots, RoundRobinCyclesThroughTheSlotsWhetherBusyOrNot) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  WorkerSlots slots(PoolStrategy::kRoundRobin, 3, nullptr);
  std::vector<int> picked;
  for (int i = 0; i < 7; ++i) {
    int slot = slots.pick();
    picked.push_back(slot);
    slots.assign(slot, [gate](int) { gate.wait(); });
  }
  EXPECT_EQ(picked, (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(slots.outstanding_by_slot(), (std::vector<size_t>{3, 2, 2}));
  slots.check_invariants();
  release.set_value();
}

TEST(PoolSlots, LeastBusyPicksTheSlotWithFewestUnfinishedJobsThenFewestTaken) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  WorkerSlots slots(PoolStrategy::kLeastBusy, 3, nullptr);
  slots.assign(0, [gate](int) { gate.wait(); });
  slots.assign(0, [gate](int) { gate.wait(); });
  slots.assign(1, [gate](int) { gate.wait(); });
  EXPECT_EQ(slots.pick(), 2);
  slots.assign(2, [gate](int) { gate.wait(); });
  EXPECT_EQ(slots.pick(), 1);  // 1 and 2: one unfinished, one taken each; the lowest index
  release.set_value();
}

TEST(PoolSlots, LeastBusyAfterJobsEndSpreadsByJobsTaken) {
  WorkerSlots slots(PoolStrategy::kLeastBusy, 2, nullptr);
  slots.assign(0, [](int) {});
  while (slots.outstanding() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(slots.pick(), 1);  // both idle; slot 1 took fewer jobs
}

TEST(PoolSlots, RandomStaysWithinTheSlotsAndResizeChangesThem) {
  WorkerSlots slots(PoolStrategy::kRandom, 4, nullptr, /*seed=*/7);
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) seen.insert(slots.pick());
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3}));
  slots.resize(2);
  for (int i = 0; i < 100; ++i) EXPECT_LT(slots.pick(), 2);
  slots.resize(6);
  EXPECT_EQ(slots.size(), 6u);
  std::atomic<int> ran{-1};
  slots.assign(5, [&](int slot) { ran = slot; });
  while (slots.outstanding() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(ran.load(), 5);
}

TEST(PoolSlots, ASlotRunsItsJobsOneAtATimeInOrderAndWakesTheCaller) {
  std::atomic<int> frees{0};
  std::vector<int> order;
  std::mutex order_mutex;
  std::atomic<int> inside{0}, most_inside{0};
  {
    WorkerSlots slots(PoolStrategy::kRoundRobin, 1, [&] { frees += 1; });
    for (int i = 0; i < 5; ++i) {
      slots.assign(0, [&, i](int) {
        int now = ++inside;
        most_inside = std::max(most_inside.load(), now);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        {
          std::lock_guard lock(order_mutex);
          order.push_back(i);
        }
        --inside;
      });
    }
  }  // the destructor waits for every job
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(most_inside.load(), 1);
  EXPECT_EQ(frees.load(), 5);
}

}  // namespace
}  // namespace naos::orchestration
