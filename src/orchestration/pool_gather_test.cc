// The merge modes and the failure tolerance, as pool_gather.h states them.
#include "orchestration/pool_gather.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace naos::orchestration {
namespace {

using project::MergeMode;
using project::Tolerance;

ItemOutcome done(std::string output, int64_t order) { return {ItemState::kCompleted, std::move(output), order}; }
ItemOutcome failed(int64_t order) { return {ItemState::kFailed, "", order}; }
ItemOutcome running() { return {ItemState::kRunning, "", 0}; }
ItemOutcome cancelled(int64_t order) { return {ItemState::kCancelled, "", order}; }

Tolerance count(uint32_t n) { return {Tolerance::Kind::kCount, n}; }
Tolerance percent(uint32_t p) { return {Tolerance::Kind::kPercent, p}; }

TEST(PoolGather, ToleranceIsACountOrAPercentOfTheItemsRoundedDown) {
  EXPECT_EQ(tolerated_failures(count(2), 10), 2u);
  EXPECT_EQ(tolerated_failures(percent(25), 10), 2u);
  EXPECT_EQ(tolerated_failures(percent(100), 3), 3u);
  EXPECT_EQ(tolerated_failures(percent(0), 3), 0u);
  EXPECT_EQ(agreement_needed(MergeMode::kMajority, 0, 4), 3u);
  EXPECT_EQ(agreement_needed(MergeMode::kMajority, 0, 5), 3u);
  EXPECT_EQ(agreement_needed(MergeMode::kQuorum, 2, 5), 2u);
}

TEST(PoolGather, AllWaitsForEveryItemAndListsOutputsInOrderWithNullForFailures) {
  auto open = judge(MergeMode::kAll, 0, percent(100), {done("a", 2), running(), failed(1)});
  EXPECT_FALSE(open.decided);
  auto v = judge(MergeMode::kAll, 0, percent(100), {done("a", 3), done("b", 1), failed(2)});
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.state, "partial");
  EXPECT_EQ(nlohmann::json::parse(v.output), nlohmann::json::parse(R"(["a", "b", null])"));
  auto clean = judge(MergeMode::kAll, 0, percent(100), {done("x", 1), done("{\"k\":1}", 2)});
  EXPECT_EQ(clean.state, "completed");
  EXPECT_EQ(nlohmann::json::parse(clean.output)[1], "{\"k\":1}");  // outputs stay strings
}

TEST(PoolGather, MoreFailuresThanToleratedDecideFailedAtOnce) {
  auto v = judge(MergeMode::kAll, 0, count(1), {failed(1), failed(2), running(), running()});
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.state, "failed");
  EXPECT_NE(v.error.find("2 of 4 failed"), std::string::npos) << v.error;
  auto within = judge(MergeMode::kAll, 0, count(1), {failed(1), running()});
  EXPECT_FALSE(within.decided);
  auto pct = judge(MergeMode::kAll, 0, percent(50), {failed(1), failed(2), done("a", 3), running()});
  EXPECT_FALSE(pct.decided);  // 2 of 4 is within 50%
  auto over = judge(MergeMode::kAll, 0, percent(25), {failed(1), failed(2), done("a", 3), running()});
  EXPECT_EQ(over.state, "failed");
}

TEST(PoolGather, FirstTakesTheEarliestCompletionAndIgnoresLaterOnes) {
  auto v = judge(MergeMode::kFirst, 0, percent(100), {done("slow", 5), done("fast", 2), running()});
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.state, "completed");
  EXPECT_EQ(v.output, "fast");
  EXPECT_EQ(v.winner, 1u);
  auto after_failure = judge(MergeMode::kFirst, 0, percent(100), {failed(1), done("b", 2), cancelled(3)});
  EXPECT_EQ(after_failure.state, "partial");
  EXPECT_FALSE(judge(MergeMode::kFirst, 0, percent(100), {failed(1), running()}).decided);
  auto none = judge(MergeMode::kFirst, 0, percent(100), {failed(1), failed(2)});
  EXPECT_EQ(none.state, "failed");
}

TEST(PoolGather, MajorityNeedsMoreThanHalfOfAllItemsToAgree) {
  // 2 of 4 agree: not a majority yet, and still reachable.
  auto open = judge(MergeMode::kMajority, 0, percent(100), {done("x", 1), done("x", 2), done("y", 3), running()});
  EXPECT_FALSE(open.decided);
  auto v = judge(MergeMode::kMajority, 0, percent(100), {done("x", 1), done("x", 2), done("y", 3), done("x", 4)});
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.output, "x");
  EXPECT_EQ(v.winner, 3u);
  // Decided before the last item ends.
  auto early = judge(MergeMode::kMajority, 0, percent(100), {done("x", 1), done("x", 2), running()});
  EXPECT_TRUE(early.decided);
  auto split = judge(MergeMode::kMajority, 0, percent(100), {done("x", 1), done("y", 2), done("z", 3), running()});
  ASSERT_TRUE(split.decided);  // at most 2 of 4 can agree now
  EXPECT_EQ(split.state, "failed");
  EXPECT_NE(split.error.find("no majority"), std::string::npos);
}

TEST(PoolGather, QuorumTakesTheOutputThatReachedKFirst) {
  auto v = judge(MergeMode::kQuorum, 2, percent(100), {done("y", 1), done("x", 2), done("x", 3), done("y", 4)});
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.output, "x");  // x reached 2 at order 3, y only at 4
  EXPECT_FALSE(judge(MergeMode::kQuorum, 3, percent(100), {done("x", 1), done("x", 2), running()}).decided);
  auto unreachable = judge(MergeMode::kQuorum, 3, percent(100), {done("x", 1), failed(2), done("y", 3), running()});
  EXPECT_EQ(unreachable.state, "failed");
}

}  // namespace
}  // namespace naos::orchestration
