// Workflows and sagas through the one core API, with real agents (actor.wasm
// under many names, tests/agents/actor.c) and a real project database.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/naos.h"
#include "project/registry.h"
#include "store/database.h"
#include "test_support.h"
#include "test_env.h"

namespace naos {
namespace {

using orchestration::Entry;
using orchestration::RunResult;
namespace st = orchestration::state;
namespace en = orchestration::entry;

// Records the waits between retries instead of sleeping.
class RecordingWaiter final : public orchestration::Waiter {
 public:
  bool wait(std::chrono::milliseconds delay, const std::atomic<bool>*) override {
    delays.push_back(delay);
    return true;
  }
  std::vector<std::chrono::milliseconds> delays;
};

class OrchestratorTest : public ::testing::Test {
 protected:
  // `agents`: names of actor agents; `rest`: the workflows:/sagas: sections.
  void Open(const std::vector<std::string>& agents, const std::string& rest) {
    std::string config = "name: flows\nagents:\n";
    for (const auto& name : agents) {
      config += "  " + name + ": { source: " + testing::agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    auto naos = testing::open_project(dir_.path(), config + rest, clock_);
    ASSERT_TRUE(naos) << naos.error().to_string();
    naos_ = std::move(*naos);
  }
  orchestration::Orchestrator& flows() { return *naos_->orchestrator(); }
  std::vector<Entry> Journal(const std::string& run_id) {
    auto entries = naos_->journal()->entries(run_id);
    EXPECT_TRUE(entries) << entries.error().to_string();
    return entries ? *entries : std::vector<Entry>{};
  }
  // The events of `run_id`'s journal for step `step`, in order.
  std::vector<std::string> Events(const std::string& run_id, int step) {
    std::vector<std::string> out;
    for (const auto& e : Journal(run_id)) {
      if (e.step == step) out.push_back(e.event);
    }
    return out;
  }
  int Count(const std::string& run_id, int step, const std::string& event) {
    auto events = Events(run_id, step);
    return static_cast<int>(std::count(events.begin(), events.end(), event));
  }
  RunResult Workflow(const std::string& name, const std::string& input, const std::string& id = {}) {
    auto ran = flows().run_workflow(name, input, id);
    EXPECT_TRUE(ran) << ran.error().to_string();
    return ran ? *ran : RunResult{};
  }
  RunResult Saga(const std::string& name, const std::string& input) {
    auto ran = flows().run_saga(name, input);
    EXPECT_TRUE(ran) << ran.error().to_string();
    return ran ? *ran : RunResult{};
  }

  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<Naos> naos_;
};

// ---- workflows -------------------------------------------------------------

TEST_F(OrchestratorTest, WorkflowPassesEachStepsOutputToTheNext) {
  Open({"ok-a", "ok-b", "ok-c"}, "workflows:\n  w: { steps: [ {agent: ok-a}, {agent: ok-b}, {agent: ok-c} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, "in>ok-a>ok-b>ok-c");
  EXPECT_EQ(Events(run.run_id, 1), (std::vector<std::string>{en::kStepStarted, en::kStepCompleted}));
}

TEST_F(OrchestratorTest, WorkflowInputMappingSelectsAPartOfThePreviousOutput) {
  Open({"json-a", "ok-b"}, "workflows:\n  w: { steps: [ {agent: json-a}, {agent: ok-b, input: /input} ] }\n");
  EXPECT_EQ(Workflow("w", "payload").output, "payload>ok-b");
}

TEST_F(OrchestratorTest, WorkflowStepWithAFalseConditionIsSkippedAndItsInputPassesOn) {
  Open({"json-a", "ok-b", "ok-c"}, "workflows:\n  w:\n    steps:\n"
                                   "      - { agent: json-a }\n"
                                   "      - { agent: ok-b, condition: '/from == \"nobody\"' }\n"
                                   "      - { agent: ok-c, condition: '/from == \"json-a\"' }\n");
  auto run = Workflow("w", "x");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, R"({"from":"json-a","input":"x"}>ok-c)");
  EXPECT_EQ(Events(run.run_id, 1), std::vector<std::string>{en::kStepSkipped});
}

TEST_F(OrchestratorTest, WorkflowRetriesAFlakyStepUnderItsPolicy) {
  Open({"ok-a", "flaky2-b"},
       "workflows:\n  w: { steps: [ {agent: ok-a}, {agent: flaky2-b, onError: retry, retries: 3, retryDelay: 1ms} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, "in>ok-a>flaky2-b");
  EXPECT_EQ(Events(run.run_id, 1),
            (std::vector<std::string>{en::kStepStarted, en::kStepFailed, en::kStepStarted, en::kStepFailed,
                                      en::kStepStarted, en::kStepCompleted}));
}

TEST_F(OrchestratorTest, WorkflowRetryWaitsGrowByTheCoefficientUpToTheMaximum) {
  Open({"fail-a"}, "workflows:\n  w:\n    steps:\n      - agent: fail-a\n        retry: { maxAttempts: 4, "
                   "initialInterval: 100ms, backoffCoefficient: 2, maxInterval: 300ms }\n");
  RecordingWaiter waiter;
  orchestration::Orchestrator flows(naos_->project()->config(), *naos_->journal(), naos_->step_runner(),
                                    naos_->audit(), waiter);
  auto run = flows.run_workflow("w", "x");
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->state, st::kFailed);
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(waiter.delays, (std::vector<ms>{ms(100), ms(200), ms(300)}));
  EXPECT_EQ(Count(run->run_id, 0, en::kStepFailed), 4);
}

TEST_F(OrchestratorTest, WorkflowDoesNotRetryANonRetryableFailure) {
  Open({"fail-a"}, "workflows:\n  w:\n    steps:\n      - agent: fail-a\n        retry: { maxAttempts: 5, "
                   "initialInterval: 1ms, nonRetryable: [exit_status] }\n");
  auto run = Workflow("w", "x");
  EXPECT_EQ(run.state, st::kFailed);
  EXPECT_EQ(Events(run.run_id, 0), (std::vector<std::string>{en::kStepStarted, en::kStepFailed}));
}

TEST_F(OrchestratorTest, WorkflowStopsAtAStepThatFailsAndDoesNotRunTheRest) {
  Open({"ok-a", "fail-b", "ok-c"}, "workflows:\n  w: { steps: [ {agent: ok-a}, {agent: fail-b}, {agent: ok-c} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kFailed);
  EXPECT_NE(run.error.find("step fail-b failed: exit_status"), std::string::npos) << run.error;
  EXPECT_TRUE(Events(run.run_id, 2).empty());
}

TEST_F(OrchestratorTest, WorkflowOnErrorSkipPassesTheLastGoodOutputOn) {
  Open({"ok-a", "fail-b", "ok-c"},
       "workflows:\n  w: { steps: [ {agent: ok-a}, {agent: fail-b, onError: skip}, {agent: ok-c} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, "in>ok-a>ok-c");
}

TEST_F(OrchestratorTest, WorkflowStepTimeoutEndsASlowStep) {
  Open({"slow2000-a"}, "workflows:\n  w: { steps: [ {agent: slow2000-a, timeout: 50ms} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kFailed);
  EXPECT_NE(run.error.find("timeout"), std::string::npos) << run.error;
}

TEST_F(OrchestratorTest, WorkflowStartedTwiceWithOneIdRunsOnceAndReturnsTheFirstResult) {
  Open({"count-a"}, "workflows:\n  w: { steps: [ {agent: count-a} ] }\n");
  auto first = Workflow("w", "in", "order-42");
  auto second = Workflow("w", "other input", "order-42");
  EXPECT_EQ(first.output, "1");
  EXPECT_EQ(second.output, "1");  // count-a did not run again
  EXPECT_FALSE(first.reused);
  EXPECT_TRUE(second.reused);
  EXPECT_EQ(second.run_id, "order-42");
}

TEST_F(OrchestratorTest, ResumingAFailedWorkflowRestartsAtTheFailedStepOnly) {
  Open({"count-a", "flaky1-b"}, "workflows:\n  w: { steps: [ {agent: count-a}, {agent: flaky1-b} ] }\n");
  auto failed = Workflow("w", "in");
  ASSERT_EQ(failed.state, st::kFailed);
  auto resumed = flows().resume(failed.run_id);
  ASSERT_TRUE(resumed) << resumed.error().to_string();
  EXPECT_EQ(resumed->state, st::kCompleted);
  EXPECT_EQ(resumed->output, "1>flaky1-b");  // count-a ran once: its "1" passed on
  EXPECT_EQ(Events(failed.run_id, 0), (std::vector<std::string>{en::kStepStarted, en::kStepCompleted}));
}

TEST_F(OrchestratorTest, AFinishedRunCannotBeResumed) {
  Open({"ok-a"}, "workflows:\n  w: { steps: [ {agent: ok-a} ] }\n");
  auto run = Workflow("w", "in");
  auto resumed = flows().resume(run.run_id);
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code(), Code::kFailedPrecondition);
}

TEST_F(OrchestratorTest, StepsMayBeNestedWorkflowsAndSagasWithTheirOwnRuns) {
  Open({"ok-a", "ok-b", "ok-c"}, "workflows:\n  inner: { steps: [ {agent: ok-b} ] }\n"
                                 "  outer: { steps: [ {agent: ok-a}, {agent: inner}, {agent: s} ] }\n"
                                 "sagas:\n  s: { steps: [ {agent: ok-c} ] }\n");
  auto run = Workflow("outer", "in");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, "in>ok-a>ok-b>ok-c");  // a saga step gets the saga's input
  auto child = naos_->journal()->find_run(run.run_id + "/inner#1");
  ASSERT_TRUE(child && *child);
  EXPECT_EQ((*child)->parent, run.run_id);
  EXPECT_EQ((*child)->state, st::kCompleted);
}

TEST_F(OrchestratorTest, APoolIsAStepAndItsGatheredOutputFeedsTheNextStep) {
  Open({"ok-a", "ok-b", "json-c"},
       "pools:\n  both: { members: [ok-a, ok-b], merge: all }\n"
       "workflows:\n  w: { steps: [ {agent: both}, {agent: json-c, input: /1} ] }\n");
  auto run = Workflow("w", "in");
  EXPECT_EQ(run.state, st::kCompleted) << run.error;
  EXPECT_EQ(run.output, R"({"from":"json-c","input":"in>ok-b"})");
  auto pool_run = naos_->journal()->find_run(run.run_id + "/both#1");
  ASSERT_TRUE(pool_run && *pool_run);
  EXPECT_EQ((*pool_run)->kind, "pool");
  EXPECT_EQ((*pool_run)->parent, run.run_id);
}

TEST_F(OrchestratorTest, EveryStepSeesItsIdempotencyKey) {
  Open({"key-a"}, "workflows:\n  w: { steps: [ {name: pay, agent: key-a, onError: retry, retries: 0} ] }\n");
  auto run = Workflow("w", "in", "run-7");
  EXPECT_EQ(run.output, "run-7/pay");
}

// A registered agent that runs as a workflow step is `running` from its
// step's start; its last instance's end lingers (core/naos.h) and is then
// written; a plain run of it right after the workflow is not refused.
TEST_F(OrchestratorTest, RegisteredStepAgentsShowRunningThenTheirOutcomeOnceTheEndHasLingered) {
  Open({"ok-a", "ok-b"}, "workflows:\n  w:\n    steps:\n      - { agent: ok-a }\n      - { agent: ok-b }\n");
  ASSERT_TRUE(naos_->create_from_config("test"));
  auto status = [&](const char* name) {
    auto view = naos_->agent(name);
    EXPECT_TRUE(view && view->record);
    return view && view->record ? std::string(project::status_name(view->record->status)) : std::string();
  };
  EXPECT_EQ(Workflow("w", "x").state, st::kCompleted);
  EXPECT_EQ(status("ok-b"), "running") << "the end should linger, not be written at once";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (status("ok-b") != "completed" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status("ok-a"), "completed");
  EXPECT_EQ(status("ok-b"), "completed");

  EXPECT_EQ(Workflow("w", "y").state, st::kCompleted);
  RunOptions plain;
  plain.input = "z";
  auto ran = naos_->run("ok-b", plain);  // while ok-b's end still lingers
  ASSERT_TRUE(ran) << ran.error().to_string();
  EXPECT_TRUE(ran->outcome.ok()) << ran->outcome.message;
  EXPECT_EQ(status("ok-b"), "completed");
}

// Closing naos writes the ends that were still lingering.
TEST_F(OrchestratorTest, ClosingWritesTheEndsStillLingering) {
  Open({"ok-a"}, "workflows:\n  w:\n    steps:\n      - { agent: ok-a }\n");
  ASSERT_TRUE(naos_->create_from_config("test"));
  EXPECT_EQ(Workflow("w", "x").state, st::kCompleted);
  naos_.reset();
  auto registry_db = store::Database::open(dir_.path() / "data" / "nexus.db");
  ASSERT_TRUE(registry_db);
  project::Registry registry(**registry_db);
  auto record = registry.find("ok-a");
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->status, project::AgentStatus::kCompleted);
}

TEST_F(OrchestratorTest, UnknownWorkflowIsNotFound) {
  Open({"ok-a"}, "");
  auto run = flows().run_workflow("nope", "x");
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code(), Code::kNotFound);
}

// ---- sagas -----------------------------------------------------------------

TEST_F(OrchestratorTest, SagaCompletesWhenEveryStepDoes) {
  Open({"ok-a", "ok-b", "undo-a"},
       "sagas:\n  s: { steps: [ {agent: ok-a, compensate: undo-a}, {agent: ok-b} ] }\n");
  auto run = Saga("s", "order");
  EXPECT_EQ(run.state, st::kCompleted);
  EXPECT_EQ(run.output, "order>ok-b");
  EXPECT_TRUE(Events(run.run_id, 0) == (std::vector<std::string>{en::kStepStarted, en::kStepCompleted}));
}

TEST_F(OrchestratorTest, SagaCompensatesCompletedStepsNewestFirstAndSkipsTheFailedAndUncompensated) {
  Open({"ok-a", "ok-b", "ok-c", "fail-d", "json-ua", "json-ub", "json-ud"},
       "sagas:\n  s:\n    steps:\n"
       "      - { name: a, agent: ok-a, compensate: json-ua }\n"
       "      - { name: b, agent: ok-b, compensate: json-ub }\n"
       "      - { name: c, agent: ok-c }\n"
       "      - { name: d, agent: fail-d, compensate: json-ud }\n");
  auto run = Saga("s", "order");
  EXPECT_EQ(run.state, st::kRolledBack);
  EXPECT_NE(run.error.find("step d failed"), std::string::npos) << run.error;
  std::vector<int> compensated;
  for (const auto& e : Journal(run.run_id)) {
    if (e.event == en::kCompensationCompleted) compensated.push_back(e.step);
  }
  EXPECT_EQ(compensated, (std::vector<int>{1, 0}));
  // The compensation saw the step's input and output.
  for (const auto& e : Journal(run.run_id)) {
    if (e.event != en::kCompensationCompleted || e.step != 1) continue;
    auto seen = nlohmann::json::parse(nlohmann::json::parse(e.data["output"].get<std::string>())["input"].get<std::string>());
    EXPECT_EQ(seen["input"], "order");
    EXPECT_EQ(seen["output"], "order>ok-b");
    EXPECT_EQ(seen["step"], "b");
  }
}

TEST_F(OrchestratorTest, SagaParallelCompensationRunsTheCompensationsAtOnce) {
  Open({"ok-a", "ok-b", "ok-c", "fail-d", "slow150-ua", "slow150-ub", "slow150-uc"},
       "sagas:\n  s:\n    parallelCompensation: true\n    steps:\n"
       "      - { agent: ok-a, compensate: slow150-ua }\n"
       "      - { agent: ok-b, compensate: slow150-ub }\n"
       "      - { agent: ok-c, compensate: slow150-uc }\n"
       "      - { agent: fail-d }\n");
  auto run = Saga("s", "x");
  EXPECT_EQ(run.state, st::kRolledBack);
  // Every compensation started before the first one finished.
  auto entries = Journal(run.run_id);
  int64_t last_start = 0, first_end = INT64_MAX;
  int starts = 0;
  for (const auto& e : entries) {
    if (e.event == en::kCompensationStarted) last_start = std::max(last_start, e.seq), ++starts;
    if (e.event == en::kCompensationCompleted) first_end = std::min(first_end, e.seq);
  }
  EXPECT_EQ(starts, 3);
  EXPECT_LT(last_start, first_end);
}

TEST_F(OrchestratorTest, AFailingCompensationIsRetriedThenTheSagaWaitsInCompensationFailed) {
  Open({"ok-a", "ok-b", "fail-c", "json-ua", "fail-ub"},
       "sagas:\n  s:\n    compensationRetries: 2\n    steps:\n"
       "      - { agent: ok-a, compensate: json-ua }\n"
       "      - { agent: ok-b, compensate: fail-ub }\n"
       "      - { agent: fail-c }\n");
  auto run = Saga("s", "x");
  EXPECT_EQ(run.state, st::kCompensationFailed);
  EXPECT_NE(run.error.find("compensation failed for step ok-b"), std::string::npos) << run.error;
  EXPECT_EQ(Count(run.run_id, 1, en::kCompensationFailed), 3);
  EXPECT_TRUE(Events(run.run_id, 0) == (std::vector<std::string>{en::kStepStarted, en::kStepCompleted}))
      << "an older step is not compensated after a compensation failed";
  // One unfinished run at a time.
  auto again = flows().run_saga("s", "y");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kFailedPrecondition);
}

TEST_F(OrchestratorTest, ContinueOnCompensationErrorStillUndoesOlderSteps) {
  Open({"ok-a", "ok-b", "fail-c", "json-ua", "fail-ub"},
       "sagas:\n  s:\n    compensationRetries: 0\n    continueOnCompensationError: true\n    steps:\n"
       "      - { agent: ok-a, compensate: json-ua }\n"
       "      - { agent: ok-b, compensate: fail-ub }\n"
       "      - { agent: fail-c }\n");
  auto run = Saga("s", "x");
  EXPECT_EQ(run.state, st::kCompensationFailed);
  auto events = Events(run.run_id, 0);
  EXPECT_EQ(events.back(), en::kCompensationCompleted);
}

TEST_F(OrchestratorTest, RetryCompensationAfterAFixFinishesTheRollback) {
  Open({"ok-a", "ok-b", "fail-c", "json-ua", "flaky2-ub"},
       "sagas:\n  s:\n    compensationRetries: 1\n    steps:\n"
       "      - { agent: ok-a, compensate: json-ua }\n"
       "      - { agent: ok-b, compensate: flaky2-ub }\n"
       "      - { agent: fail-c }\n");
  auto run = Saga("s", "x");
  ASSERT_EQ(run.state, st::kCompensationFailed);
  auto wrong = flows().retry_compensation(run.run_id, 0);
  EXPECT_FALSE(wrong) << "step 0's compensation did not fail";
  auto retried = flows().retry_compensation(run.run_id, 1);
  ASSERT_TRUE(retried) << retried.error().to_string();
  EXPECT_EQ(retried->state, st::kRolledBack);
  EXPECT_NE(retried->error.find("step fail-c failed"), std::string::npos) << retried->error;
  EXPECT_EQ(Events(run.run_id, 0).back(), en::kCompensationCompleted);
}

TEST_F(OrchestratorTest, ResolveAcceptsAHandUndoneStepAndFinishesTheRollback) {
  Open({"ok-a", "ok-b", "fail-c", "json-ua", "fail-ub"},
       "sagas:\n  s:\n    compensationRetries: 0\n    steps:\n"
       "      - { agent: ok-a, compensate: json-ua }\n"
       "      - { agent: ok-b, compensate: fail-ub }\n"
       "      - { agent: fail-c }\n");
  auto run = Saga("s", "x");
  ASSERT_EQ(run.state, st::kCompensationFailed);
  auto resolved = flows().resolve(run.run_id, 1, "test");
  ASSERT_TRUE(resolved) << resolved.error().to_string();
  EXPECT_EQ(resolved->state, st::kRolledBack);
  EXPECT_EQ(Events(run.run_id, 1).back(), en::kStepResolved);
  EXPECT_EQ(Events(run.run_id, 0).back(), en::kCompensationCompleted);
}

TEST_F(OrchestratorTest, ResetAbandonsTheUnfinishedRunSoTheSagaCanRunAgain) {
  Open({"ok-a", "fail-b", "fail-ua"},
       "sagas:\n  s:\n    compensationRetries: 0\n    steps:\n"
       "      - { agent: ok-a, compensate: fail-ua }\n      - { agent: fail-b }\n");
  auto run = Saga("s", "x");
  ASSERT_EQ(run.state, st::kCompensationFailed);
  ASSERT_TRUE(flows().reset_saga("s", "test"));
  auto stored = naos_->journal()->find_run(run.run_id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, st::kAbandoned);
  auto again = flows().run_saga("s", "y");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_NE(again->run_id, run.run_id);
}

TEST_F(OrchestratorTest, SagaTimeoutFailsTheRunningStepAndRollsBack) {
  Open({"ok-a", "slow3000-b", "json-ua"},
       "sagas:\n  s:\n    timeout: 300ms\n    steps:\n"
       "      - { agent: ok-a, compensate: json-ua }\n      - { agent: slow3000-b }\n");
  auto run = Saga("s", "x");
  EXPECT_EQ(run.state, st::kRolledBack);
  EXPECT_NE(run.error.find("timeout"), std::string::npos) << run.error;
}

TEST_F(OrchestratorTest, CompensationsSeeTheirOwnIdempotencyKey) {
  Open({"ok-a", "fail-b", "key-ua"},
       "sagas:\n  s: { steps: [ {name: reserve, agent: ok-a, compensate: key-ua}, {agent: fail-b} ] }\n");
  auto run = Saga("s", "x");
  ASSERT_EQ(run.state, st::kRolledBack);
  for (const auto& e : Journal(run.run_id)) {
    if (e.event == en::kCompensationCompleted) {
      EXPECT_EQ(e.data["output"], run.run_id + "/reserve/compensate");
    }
  }
}

TEST_F(OrchestratorTest, EveryTransitionIsAuditedAndTheChainVerifies) {
  Open({"ok-a", "fail-b", "json-ua"},
       "sagas:\n  s: { steps: [ {agent: ok-a, compensate: json-ua}, {agent: fail-b} ] }\n");
  Saga("s", "x");
  auto events = governance::query_audit(*naos_->database(), {.category = "saga"});
  ASSERT_TRUE(events) << events.error().to_string();
  std::vector<std::string> types;
  for (const auto& e : *events) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"saga.started", "saga.step_completed", "saga.step_failed",
                                             "saga.compensated", "saga.rolled_back"}));
  auto verified = governance::verify_audit(*naos_->database(), naos_->evidence()->key());
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_TRUE(verified->intact) << verified->problem;
}

}  // namespace
}  // namespace naos
