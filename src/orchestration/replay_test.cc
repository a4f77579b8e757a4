#include "orchestration/replay.h"

#include <gtest/gtest.h>

#include <utility>

namespace naos::orchestration {
namespace {

// Whether `at` may be asked of an R: a reference into a temporary Replay's
// map would dangle once the statement ends (the use-after-free the
// sanitizer build found in Orchestrator::failed_compensation).
template <typename R>
concept HasAt = requires { std::declval<R>().at(0); };
static_assert(HasAt<const Replay&>);
static_assert(HasAt<Replay&>);
static_assert(!HasAt<Replay>, "Replay::at on a temporary must not compile");
static_assert(!HasAt<const Replay&&>);

TEST(Replay, AStepTheJournalNeverNamedReadsAsNothingDone) {
  const Replay replay = Replay::of({});
  const StepReplay& step = replay.at(3);
  EXPECT_FALSE(step.completed);
  EXPECT_FALSE(step.compensation_failed_final);
  EXPECT_TRUE(step.name.empty());
}

}  // namespace
}  // namespace naos::orchestration
