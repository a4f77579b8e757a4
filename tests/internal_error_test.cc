// A bug that throws while a workflow or saga runs (here: a StepRunner that
// throws) must not leave the run `running` forever: it ends failed with
// "INTERNAL: ...", a saga after compensating what it completed, and the
// saga can run again (docs/architecture.md "When naos itself fails").
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/naos.h"
#include "test_env.h"
#include "test_support.h"

namespace naos {
namespace {

namespace st = orchestration::state;

// "boom" throws; anything else succeeds with its input plus ">" + its name.
class ThrowingRunner final : public orchestration::StepRunner {
 public:
  orchestration::StepResult run(const orchestration::StepCall& call) override {
    calls.push_back(call.agent);
    if (call.agent == "boom") throw std::runtime_error("type_error.316 (simulated)");
    return orchestration::StepResult::success(call.input + ">" + call.agent);
  }
  std::vector<std::string> calls;
};

class NoWait final : public orchestration::Waiter {
 public:
  bool wait(std::chrono::milliseconds, const std::atomic<bool>*) override { return true; }
};

class InternalErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string config = "name: internal\nagents:\n";
    for (const char* name : {"ok", "undo", "boom"}) {
      config += std::string("  ") + name + ": { source: " + testing::agent_path("trivial").string() + " }\n";
    }
    config += "workflows:\n  w: { steps: [ {agent: ok}, {agent: boom} ] }\n"
              "sagas:\n  s:\n    steps:\n      - { name: one, agent: ok, compensate: undo }\n"
              "      - { name: two, agent: boom }\n";
    auto naos = testing::open_project(dir_.path(), config, clock_);
    ASSERT_TRUE(naos) << naos.error().to_string();
    naos_ = std::move(*naos);
    flows_ = std::make_unique<orchestration::Orchestrator>(naos_->project()->config(), *naos_->journal(), runner_,
                                                           naos_->audit(), waiter_);
  }
  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<Naos> naos_;
  ThrowingRunner runner_;
  NoWait waiter_;
  std::unique_ptr<orchestration::Orchestrator> flows_;
};

TEST_F(InternalErrorTest, AWorkflowThatHitsABugEndsFailedWithTheReason) {
  auto run = flows_->run_workflow("w", "in");
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->state, st::kFailed);
  EXPECT_NE(run->error.find("INTERNAL: type_error.316"), std::string::npos) << run->error;
  auto stored = naos_->journal()->find_run(run->run_id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, st::kFailed);
  EXPECT_TRUE((*stored)->owner.empty());
}

TEST_F(InternalErrorTest, ASagaThatHitsABugCompensatesThenCanRunAgain) {
  auto run = flows_->run_saga("s", "in");
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->state, st::kRolledBack);
  EXPECT_NE(run->error.find("INTERNAL"), std::string::npos) << run->error;
  EXPECT_EQ(runner_.calls, (std::vector<std::string>{"ok", "boom", "undo"}));
  auto again = flows_->run_saga("s", "in");  // not SAGA_ALREADY_RUNNING
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->state, st::kRolledBack);
}

}  // namespace
}  // namespace naos
