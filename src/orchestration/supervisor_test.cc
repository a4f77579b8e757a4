// orchestration/supervisor.h with a scripted StepRunner: the rules as pure
// functions, then whole trees (strategies, restart types, intensity,
// escalation, order, shutdown, backoff, budget pauses) with the clock
// injected where timing is asserted. Groups follow docs/supervisors.md.
#include "orchestration/supervisor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace naos::orchestration {
namespace {

using namespace std::chrono_literals;
using project::RestartType;
using project::SupervisorStrategy;

// Every wait in these tests is bounded: a broken supervisor fails the test
// instead of hanging the suite.
constexpr auto kWatchdog = 5s;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWatchdog) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

// A StepRunner whose agents behave by the first word of their name:
//   ok     succeed at once            fail    fail at once (exit_status)
//   block  run until cancelled        gate    run until cancelled or released, then fail
//   stubborn  ignore cancel until released, then end
//   budget fail with budget_exceeded  slowfail  advance the manual clock by `run_ms`, then fail
class ScriptedRunner final : public StepRunner {
 public:
  explicit ScriptedRunner(ManualSupervisorClock* clock = nullptr) : clock_(clock) {}

  StepResult run(const StepCall& call) override {
    {
      std::lock_guard lock(mutex_);
      started_.push_back(call.agent);
      ++runs_[call.agent];
      if (clock_) start_times_[call.agent].push_back(clock_->now_ms());
      actor_ = call.actor;
    }
    changed_.notify_all();
    StepResult result = behave(call);
    {
      std::lock_guard lock(mutex_);
      ended_.push_back(call.agent);
    }
    changed_.notify_all();
    return result;
  }

  int runs(const std::string& agent) {
    std::lock_guard lock(mutex_);
    return runs_[agent];
  }
  bool wait_runs(const std::string& agent, int n) {
    return eventually([&] { return runs(agent) >= n; });
  }
  // Every one of `agents` has started a run (their threads race to get here).
  bool wait_all(std::initializer_list<std::string> agents) {
    return std::all_of(agents.begin(), agents.end(), [&](const std::string& a) { return wait_runs(a, 1); });
  }
  void release(const std::string& agent) {
    std::lock_guard lock(mutex_);
    ++releases_[agent];
  }
  std::vector<std::string> ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  std::vector<int64_t> start_times(const std::string& agent) {
    std::lock_guard lock(mutex_);
    return start_times_[agent];
  }
  std::string actor() {
    std::lock_guard lock(mutex_);
    return actor_;
  }
  // How long (on the manual clock) a slowfail run takes; set between runs.
  std::atomic<int64_t> run_ms{0};

 private:
  bool take_release(const std::string& agent) {
    std::lock_guard lock(mutex_);
    if (releases_[agent] == 0) return false;
    --releases_[agent];
    return true;
  }
  static bool cancelled(const StepCall& call) { return call.cancel && call.cancel->load(); }

  StepResult behave(const StepCall& call) {
    std::string word = call.agent.substr(0, call.agent.find('-'));
    if (word == "ok") return StepResult::success("done");
    if (word == "fail") return StepResult::failure("exit_status", "exit status 1");
    if (word == "budget") return StepResult::failure("budget_exceeded", "the budget is spent");
    if (word == "slowfail") {
      clock_->advance(std::chrono::milliseconds(run_ms.load()));
      return StepResult::failure("exit_status", "exit status 1");
    }
    if (word == "block" || word == "gate") {
      for (;;) {
        if (cancelled(call)) return StepResult::failure("cancelled", "the run was cancelled");
        if (word == "gate" && take_release(call.agent)) return StepResult::failure("trap", "unreachable");
        std::this_thread::sleep_for(1ms);
      }
    }
    if (word == "stubborn") {
      while (!take_release(call.agent)) std::this_thread::sleep_for(1ms);
      return StepResult::failure("cancelled", "late");
    }
    return StepResult::failure("refused", "no behaviour for " + call.agent);
  }

  ManualSupervisorClock* clock_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> started_, ended_;
  std::map<std::string, int> runs_, releases_;
  std::map<std::string, std::vector<int64_t>> start_times_;
  std::string actor_;
};

class RecordingListener final : public SupervisorListener {
 public:
  void on_event(const SupervisorEvent& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<SupervisorEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // Events of `type`, optionally only those about `child` (or, for a
  // supervisor's own events, in `supervisor`).
  std::vector<SupervisorEvent> of(const std::string& type, const std::string& child = "") {
    std::vector<SupervisorEvent> out;
    for (auto& e : events()) {
      if (e.type == type && (child.empty() || e.child == child)) out.push_back(e);
    }
    return out;
  }
  size_t count(const std::string& type, const std::string& child = "") { return of(type, child).size(); }

 private:
  std::mutex mutex_;
  std::vector<SupervisorEvent> events_;
};

ChildSpec child(std::string name, RestartType restart = RestartType::kTransient,
                std::optional<std::chrono::milliseconds> shutdown = 5s) {
  ChildSpec out;
  out.name = std::move(name);
  out.restart = restart;
  out.shutdown = shutdown;
  return out;
}

ChildSpec sub(SupervisorSpec spec, RestartType restart = RestartType::kTransient) {
  ChildSpec out;
  out.name = spec.name;
  out.kind = ChildKind::kSupervisor;
  out.restart = restart;
  out.supervisor = std::make_shared<const SupervisorSpec>(std::move(spec));
  return out;
}

SupervisorSpec spec(std::string name, SupervisorStrategy strategy, std::vector<ChildSpec> children,
                    uint32_t max_restarts = 100) {
  SupervisorSpec out;
  out.name = std::move(name);
  out.strategy = strategy;
  out.max_restarts = max_restarts;
  out.children = std::move(children);
  return out;
}

// A supervisor run on its own thread; stopped and joined at the end of the test.
class Tree {
 public:
  Tree(SupervisorSpec spec, SupervisorContext& context) : supervisor_(std::move(spec), context) {
    thread_ = std::thread([this] {
      auto outcome = supervisor_.run();
      std::lock_guard lock(mutex_);
      outcome_ = std::move(outcome);
    });
  }
  ~Tree() {
    supervisor_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  Supervisor& supervisor() { return supervisor_; }
  // The outcome once run() returned by itself (nullopt if it did not in time).
  std::optional<SupervisorOutcome> wait_outcome() {
    eventually([&] {
      std::lock_guard lock(mutex_);
      return outcome_.has_value();
    });
    std::lock_guard lock(mutex_);
    return outcome_;
  }
  SupervisorOutcome stop() {
    supervisor_.request_stop();
    auto outcome = wait_outcome();
    EXPECT_TRUE(outcome) << "the supervisor did not stop";
    return outcome.value_or(SupervisorOutcome{});
  }
  ChildStatus child(const std::string& name) {
    for (auto& c : supervisor_.status().children) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no child " << name;
    return {};
  }
  bool wait_state(const std::string& name, const std::string& state) {
    return eventually([&] { return child(name).state == state; });
  }

 private:
  Supervisor supervisor_;
  std::mutex mutex_;
  std::optional<SupervisorOutcome> outcome_;
  std::thread thread_;
};

// ---- rules ---------------------------------------------------------------------------

TEST(SupervisorRules, RestartDecisionFollowsTheTableOfRestartTypeAndExit) {
  EXPECT_EQ(decide_restart(RestartType::kPermanent, ExitKind::kNormal), RestartDecision::kRestart);
  EXPECT_EQ(decide_restart(RestartType::kPermanent, ExitKind::kAbnormal), RestartDecision::kRestart);
  EXPECT_EQ(decide_restart(RestartType::kPermanent, ExitKind::kPaused), RestartDecision::kPause);
  EXPECT_EQ(decide_restart(RestartType::kTransient, ExitKind::kNormal), RestartDecision::kLeave);
  EXPECT_EQ(decide_restart(RestartType::kTransient, ExitKind::kAbnormal), RestartDecision::kRestart);
  EXPECT_EQ(decide_restart(RestartType::kTransient, ExitKind::kPaused), RestartDecision::kPause);
  EXPECT_EQ(decide_restart(RestartType::kTemporary, ExitKind::kNormal), RestartDecision::kLeave);
  EXPECT_EQ(decide_restart(RestartType::kTemporary, ExitKind::kAbnormal), RestartDecision::kLeave);
  EXPECT_EQ(decide_restart(RestartType::kTemporary, ExitKind::kPaused), RestartDecision::kLeave);
}

TEST(SupervisorRules, ExitsAreNormalPausedByABudgetOrAbnormal) {
  EXPECT_EQ(classify_exit(StepResult::success("x")), ExitKind::kNormal);
  EXPECT_EQ(classify_exit(StepResult::failure("budget_exceeded", "")), ExitKind::kPaused);
  for (const char* error : {"trap", "exit_status", "timeout", "fuel_exhausted", "refused", "escalated"}) {
    EXPECT_EQ(classify_exit(StepResult::failure(error, "")), ExitKind::kAbnormal) << error;
  }
}

TEST(SupervisorRules, StrategiesPickTheFailedChildAllChildrenOrTheRestInStartOrder) {
  EXPECT_EQ(restart_group(SupervisorStrategy::kOneForOne, 1, 4), (std::vector<size_t>{1}));
  EXPECT_EQ(restart_group(SupervisorStrategy::kOneForAll, 1, 4), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(restart_group(SupervisorStrategy::kRestForOne, 1, 4), (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(restart_group(SupervisorStrategy::kRestForOne, 3, 4), (std::vector<size_t>{3}));
}

TEST(SupervisorRules, BackoffDoublesFromMinIsCappedAtMaxAndJittersBothWays) {
  project::BackoffConfig backoff{100ms, 1000ms, 0.2};
  EXPECT_EQ(backoff_delay(backoff, 1, 0.5), 100ms);
  EXPECT_EQ(backoff_delay(backoff, 2, 0.5), 200ms);
  EXPECT_EQ(backoff_delay(backoff, 3, 0.5), 400ms);
  EXPECT_EQ(backoff_delay(backoff, 4, 0.5), 800ms);
  EXPECT_EQ(backoff_delay(backoff, 5, 0.5), 1000ms);
  EXPECT_EQ(backoff_delay(backoff, 1000, 0.5), 1000ms);  // no overflow far out
  EXPECT_EQ(backoff_delay(backoff, 1, 0.0), 80ms);       // -20%
  EXPECT_EQ(backoff_delay(backoff, 5, 1.0), 1200ms);     // +20% of the capped delay
  EXPECT_EQ(backoff_delay({100ms, 100ms, 1.0}, 1, 0.0), 0ms);
}

TEST(SupervisorRules, IntensityCountsRestartsInASlidingWindow) {
  RestartIntensity intensity(2, 1000ms);
  EXPECT_TRUE(intensity.add_restart(0));
  EXPECT_TRUE(intensity.add_restart(600));
  // 0 has left the window (1000ms later) by 1000: 600 and 1000 remain.
  EXPECT_TRUE(intensity.add_restart(1000));
  EXPECT_EQ(intensity.in_window(1000), 2u);
  EXPECT_FALSE(intensity.add_restart(1100));  // 600, 1000, 1100: three within 1s
  EXPECT_EQ(intensity.in_window(1100), 3u);

  RestartIntensity none(0, 60'000ms);
  EXPECT_FALSE(none.add_restart(5));  // maxRestarts 0: the first restart is too many
}

TEST(SupervisorSpecFromConfig, ChildKindsShutdownsAndNestingComeFromTheConfig) {
  auto config = project::parse_config(R"(
agents:
  a: { source: a.wasm }
  b: { source: b.wasm }
supervisors:
  root: { strategy: rest-for-one, maxRestarts: 7, restartWindow: 10s, shutdown: 2s,
          backoff: { min: 50ms, max: 1s, jitter: 0 },
          children: [a, { name: inner, restart: permanent }] }
  inner: { strategy: one-for-all, children: [{ name: b, restart: temporary, shutdown: 300ms }] }
)",
                                      "nexus.config.yaml");
  ASSERT_TRUE(config) << config.error().to_string();
  auto root = supervisor_spec(*config, "root");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(root->strategy, SupervisorStrategy::kRestForOne);
  EXPECT_EQ(root->max_restarts, 7u);
  EXPECT_EQ(root->restart_window, 10s);
  ASSERT_TRUE(root->backoff);
  EXPECT_EQ(root->backoff->min, 50ms);
  ASSERT_EQ(root->children.size(), 2u);
  EXPECT_EQ(root->children[0].kind, ChildKind::kAgent);
  EXPECT_EQ(root->children[0].shutdown, 2s);  // the supervisor's
  EXPECT_EQ(root->children[1].kind, ChildKind::kSupervisor);
  EXPECT_EQ(root->children[1].restart, RestartType::kPermanent);
  EXPECT_FALSE(root->children[1].shutdown);  // a subtree takes as long as it needs
  ASSERT_TRUE(root->children[1].supervisor);
  const auto& inner = *root->children[1].supervisor;
  EXPECT_EQ(inner.strategy, SupervisorStrategy::kOneForAll);
  EXPECT_EQ(inner.max_restarts, project::kDefaultMaxRestarts);
  EXPECT_FALSE(inner.backoff);
  EXPECT_EQ(inner.children[0].restart, RestartType::kTemporary);
  EXPECT_EQ(inner.children[0].shutdown, 300ms);

  auto missing = supervisor_spec(*config, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

// ---- strategies ------------------------------------------------------------------------

struct Fixture {
  SteadySupervisorClock clock;
  ScriptedRunner runner;
  RecordingListener listener;
  SupervisorContext context{runner, clock, &listener, {}, {}, kDefaultPausePoll, {}};
};

TEST(SupervisorStrategy, OneForOneRestartsOnlyTheFailedChild) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {child("block-a"), child("gate-b"), child("block-c")}),
            f.context);
  ASSERT_TRUE(f.runner.wait_all({"block-a", "gate-b", "block-c"}));
  f.runner.release("gate-b");
  ASSERT_TRUE(f.runner.wait_runs("gate-b", 2));
  ASSERT_TRUE(tree.wait_state("gate-b", "running"));
  EXPECT_EQ(f.runner.runs("block-a"), 1);
  EXPECT_EQ(f.runner.runs("block-c"), 1);
  EXPECT_EQ(tree.child("gate-b").restarts, 1u);
  EXPECT_EQ(tree.child("gate-b").last_error, "trap: unreachable");
  EXPECT_EQ(tree.child("block-a").restarts, 0u);
  EXPECT_EQ(f.runner.actor(), "supervisor:root");
  EXPECT_EQ(tree.stop().end, SupervisorEnd::kStopped);
  EXPECT_EQ(f.listener.count(supervisor_event::kChildFailed, "gate-b"), 1u);
  EXPECT_EQ(f.listener.count(supervisor_event::kChildRestart, "gate-b"), 1u);
  EXPECT_EQ(f.listener.count(supervisor_event::kAgentRestarted, "gate-b"), 1u);
  EXPECT_EQ(f.listener.count(supervisor_event::kChildRestart), 1u);
  EXPECT_TRUE(tree.supervisor().check_invariants());
}

TEST(SupervisorStrategy, OneForAllRestartsEveryChildInStartOrder) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForAll, {child("block-a"), child("gate-b"), child("block-c")}),
            f.context);
  ASSERT_TRUE(f.runner.wait_all({"block-a", "gate-b", "block-c"}));
  f.runner.release("gate-b");
  ASSERT_TRUE(f.runner.wait_runs("block-a", 2));
  ASSERT_TRUE(f.runner.wait_runs("gate-b", 2));
  ASSERT_TRUE(f.runner.wait_runs("block-c", 2));
  tree.stop();
  // The siblings were stopped in reverse start order before the restart.
  auto stopped = f.listener.of(supervisor_event::kChildStopped);
  ASSERT_GE(stopped.size(), 2u);
  EXPECT_EQ(stopped[0].child, "block-c");
  EXPECT_EQ(stopped[0].detail["reason"], "restart");
  EXPECT_EQ(stopped[1].child, "block-a");
  auto restarts = f.listener.of(supervisor_event::kChildRestart);
  ASSERT_EQ(restarts.size(), 3u);
  EXPECT_EQ(restarts[0].child, "block-a");
  EXPECT_EQ(restarts[1].child, "gate-b");
  EXPECT_EQ(restarts[2].child, "block-c");
  EXPECT_EQ(restarts[0].detail["reason"], "sibling gate-b failed");
  EXPECT_EQ(tree.child("block-a").restarts, 1u);
}

TEST(SupervisorStrategy, RestForOneRestartsTheFailedChildAndThoseStartedAfterIt) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kRestForOne, {child("block-a"), child("gate-b"), child("block-c")}),
            f.context);
  ASSERT_TRUE(f.runner.wait_all({"block-a", "gate-b", "block-c"}));
  f.runner.release("gate-b");
  ASSERT_TRUE(f.runner.wait_runs("gate-b", 2));
  ASSERT_TRUE(f.runner.wait_runs("block-c", 2));
  ASSERT_TRUE(tree.wait_state("block-c", "running"));
  EXPECT_EQ(f.runner.runs("block-a"), 1);
  EXPECT_EQ(tree.child("block-a").restarts, 0u);
  EXPECT_EQ(tree.child("block-c").restarts, 1u);
  tree.stop();
}

// ---- restart types -----------------------------------------------------------------------

TEST(SupervisorRestartType, PermanentChildIsRestartedEvenAfterItCompletes) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {child("ok-p", RestartType::kPermanent)}, 3), f.context);
  // Completing over and over is a restart each time, until the intensity
  // limit stops the supervisor.
  auto outcome = tree.wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
  EXPECT_EQ(f.runner.runs("ok-p"), 4);
  EXPECT_EQ(f.listener.count(supervisor_event::kChildFailed), 0u);
  EXPECT_EQ(f.listener.of(supervisor_event::kChildRestart)[0].detail["reason"], "completed");
}

TEST(SupervisorRestartType, TransientChildIsRestartedAfterAFailureOnly) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForOne,
                 {child("ok-t", RestartType::kTransient), child("gate-t", RestartType::kTransient)}),
            f.context);
  ASSERT_TRUE(tree.wait_state("ok-t", "completed"));
  ASSERT_TRUE(f.runner.wait_runs("gate-t", 1));
  f.runner.release("gate-t");
  ASSERT_TRUE(f.runner.wait_runs("gate-t", 2));
  tree.stop();
  EXPECT_EQ(f.runner.runs("ok-t"), 1);
  EXPECT_EQ(tree.child("ok-t").restarts, 0u);
  EXPECT_EQ(tree.child("gate-t").restarts, 1u);
}

TEST(SupervisorRestartType, TemporaryChildIsNeverRestarted) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForOne,
                 {child("fail-x", RestartType::kTemporary), child("block-y", RestartType::kTemporary)}),
            f.context);
  ASSERT_TRUE(tree.wait_state("fail-x", "failed"));
  ASSERT_TRUE(f.runner.wait_runs("block-y", 1));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(f.runner.runs("fail-x"), 1);
  EXPECT_EQ(tree.child("fail-x").last_error, "exit_status: exit status 1");
  EXPECT_EQ(f.listener.of(supervisor_event::kChildFailed, "fail-x")[0].detail["restart"], "none");
  tree.stop();
}

TEST(SupervisorRestartType, TemporarySiblingIsStoppedNotRestartedByOneForAll) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForAll,
                 {child("block-tmp", RestartType::kTemporary), child("gate-b")}),
            f.context);
  ASSERT_TRUE(f.runner.wait_runs("gate-b", 1));
  ASSERT_TRUE(f.runner.wait_runs("block-tmp", 1));
  f.runner.release("gate-b");
  ASSERT_TRUE(f.runner.wait_runs("gate-b", 2));
  EXPECT_TRUE(tree.wait_state("block-tmp", "stopped"));
  EXPECT_EQ(f.runner.runs("block-tmp"), 1);
  tree.stop();
}

// ---- intensity and escalation -----------------------------------------------------------

TEST(SupervisorIntensity, MoreThanMaxRestartsWithinTheWindowEscalatesWithAReport) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  runner.run_ms = 400;
  RecordingListener listener;
  SupervisorContext context{runner, clock, &listener, {}, {}, kDefaultPausePoll, {}};
  SupervisorSpec s = spec("root", SupervisorStrategy::kOneForOne, {child("slowfail-a")}, 2);
  s.restart_window = 1000ms;
  Tree tree(std::move(s), context);
  // Failures at +400, +800, +1200: the third restart is the third within 1s.
  auto outcome = tree.wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
  EXPECT_EQ(runner.runs("slowfail-a"), 3);
  EXPECT_EQ(outcome->child, "slowfail-a");
  EXPECT_EQ(outcome->restarts, 3u);
  EXPECT_EQ(outcome->window, 1000ms);
  EXPECT_EQ(outcome->report,
            "supervisor root gave up: 3 restarts within 1s (maxRestarts 2); the last: agent slowfail-a failed: "
            "exit_status: exit status 1");
  auto escalated = listener.of(supervisor_event::kEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].detail["restarts"], 3);
  EXPECT_EQ(escalated[0].detail["restart_window_ms"], 1000);
  EXPECT_EQ(tree.supervisor().status().state, "escalated");
  EXPECT_EQ(tree.child("slowfail-a").state, "failed");
}

TEST(SupervisorIntensity, RestartsSpreadWiderThanTheWindowNeverEscalate) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  runner.run_ms = 600;  // at most two restarts in any 1s
  SupervisorContext context{runner, clock, nullptr, {}, {}, kDefaultPausePoll, {}};
  SupervisorSpec s = spec("root", SupervisorStrategy::kOneForOne, {child("slowfail-a")}, 2);
  s.restart_window = 1000ms;
  Tree tree(std::move(s), context);
  ASSERT_TRUE(runner.wait_runs("slowfail-a", 8));
  EXPECT_EQ(tree.stop().end, SupervisorEnd::kStopped);
}

TEST(SupervisorEscalation, AFailedSubSupervisorIsRestartedWithAllItsChildren) {
  Fixture f;
  SupervisorSpec inner =
      spec("inner", SupervisorStrategy::kOneForOne, {child("block-steady"), child("gate-crasher")}, 0);
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {sub(std::move(inner)), child("block-other")}), f.context);
  ASSERT_TRUE(f.runner.wait_runs("block-other", 1));
  ASSERT_TRUE(f.runner.wait_runs("gate-crasher", 1));
  ASSERT_TRUE(f.runner.wait_runs("block-steady", 1));
  f.runner.release("gate-crasher");
  // inner allows no restart: it gives up, stopping block-steady; root
  // restarts inner, which starts both its children again.
  ASSERT_TRUE(f.runner.wait_runs("block-steady", 2));
  ASSERT_TRUE(f.runner.wait_runs("gate-crasher", 2));
  ASSERT_TRUE(tree.wait_state("inner", "running"));
  EXPECT_EQ(f.runner.runs("block-other"), 1);
  auto inner_status = tree.child("inner");
  EXPECT_EQ(inner_status.restarts, 1u);
  EXPECT_NE(inner_status.last_error.find("escalated: supervisor inner gave up"), std::string::npos)
      << inner_status.last_error;
  ASSERT_TRUE(inner_status.tree);
  EXPECT_EQ(inner_status.tree->state, "running");
  // The restarted instance remembers its children's history for status.
  EXPECT_EQ(inner_status.tree->children[1].last_error, "trap: unreachable");
  auto escalated = f.listener.of(supervisor_event::kEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].supervisor, "inner");
  EXPECT_EQ(escalated[0].child, "gate-crasher");
  auto stopped = f.listener.of(supervisor_event::kChildStopped, "block-steady");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].supervisor, "inner");
  EXPECT_EQ(tree.stop().end, SupervisorEnd::kStopped);
}

TEST(SupervisorEscalation, GivingUpAtEveryLevelStopsTheWholeTreeWithAReport) {
  Fixture f;
  SupervisorSpec mid = spec("mid", SupervisorStrategy::kOneForOne, {child("fail-x")}, 1);
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {sub(std::move(mid)), child("block-y")}, 1), f.context);
  auto outcome = tree.wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
  EXPECT_EQ(outcome->child, "mid");
  EXPECT_EQ(outcome->restarts, 2u);
  // mid gave up twice (two fail-x runs each), then root gave up.
  EXPECT_EQ(f.runner.runs("fail-x"), 4);
  EXPECT_NE(outcome->report.find("supervisor root gave up: 2 restarts within 60s (maxRestarts 1); the last: "
                                 "supervisor mid failed: escalated: supervisor mid gave up: 2 restarts within 60s "
                                 "(maxRestarts 1); the last: agent fail-x failed: exit_status: exit status 1"),
            std::string::npos)
      << outcome->report;
  EXPECT_EQ(f.listener.count(supervisor_event::kEscalated), 3u);
  EXPECT_EQ(f.listener.of(supervisor_event::kEscalated).back().supervisor, "root");
  // The tree stopped: block-y was stopped, and every supervisor reported it.
  EXPECT_EQ(tree.child("block-y").state, "stopped");
  auto stopped = f.listener.of(supervisor_event::kStopped);
  ASSERT_FALSE(stopped.empty());
  EXPECT_EQ(stopped.back().supervisor, "root");
  EXPECT_EQ(stopped.back().detail["reason"], "escalated");
}

// ---- order and shutdown ---------------------------------------------------------------------

TEST(SupervisorOrder, ChildrenStartInDeclaredOrderAndStopInReverse) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {child("block-a"), child("block-b"), child("block-c")}),
            f.context);
  ASSERT_TRUE(f.runner.wait_all({"block-a", "block-b", "block-c"}));
  ASSERT_TRUE(eventually([&] { return f.listener.count(supervisor_event::kChildStarted) == 3; }));
  auto started = f.listener.of(supervisor_event::kChildStarted);
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[0].child, "block-a");
  EXPECT_EQ(started[1].child, "block-b");
  EXPECT_EQ(started[2].child, "block-c");
  tree.stop();
  // Each child ended before the next was asked to stop.
  EXPECT_EQ(f.runner.ended(), (std::vector<std::string>{"block-c", "block-b", "block-a"}));
  for (const auto& name : {"block-a", "block-b", "block-c"}) EXPECT_EQ(tree.child(name).state, "stopped");
}

TEST(SupervisorShutdown, AChildThatIgnoresStopIsReportedKilledAfterItsShutdown) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  RecordingListener listener;
  SupervisorContext context{runner, clock, &listener, {}, {}, kDefaultPausePoll, {}};
  auto tree = std::make_unique<Tree>(
      spec("root", SupervisorStrategy::kOneForOne, {child("block-a"), child("stubborn-s", RestartType::kTransient, 200ms)}),
      context);
  ASSERT_TRUE(runner.wait_runs("stubborn-s", 1));
  ASSERT_TRUE(runner.wait_runs("block-a", 1));
  tree->supervisor().request_stop();
  ASSERT_TRUE(eventually([&] { return tree->supervisor().status().state == "stopping"; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runner.runs("block-a"), 1);
  EXPECT_TRUE(runner.ended().empty()) << "stopped before stubborn-s's shutdown was up";
  clock.advance(199ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(tree->supervisor().status().state, "stopping");
  clock.advance(1ms);
  auto outcome = tree->wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->killed, (std::vector<std::string>{"stubborn-s"}));
  EXPECT_EQ(tree->child("stubborn-s").state, "killed");
  EXPECT_EQ(tree->child("block-a").state, "stopped");  // stopped after, in reverse order
  auto stopped = listener.of(supervisor_event::kChildStopped, "stubborn-s");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].detail["killed"], true);
  runner.release("stubborn-s");  // lets the abandoned thread end, so the tree can be destroyed
  tree.reset();
}

// ---- backoff ------------------------------------------------------------------------------------

TEST(SupervisorBackoff, RestartsWaitMinTimesTwoToTheNCappedAndResetAfterAQuietWindow) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  SupervisorContext context{runner, clock, nullptr, {}, {}, kDefaultPausePoll, [] { return 0.5; }};
  SupervisorSpec s = spec("root", SupervisorStrategy::kOneForOne, {child("fail-a")}, 100);
  s.backoff = project::BackoffConfig{100ms, 500ms, 0.2};
  s.restart_window = 60s;
  Tree tree(std::move(s), context);
  const int64_t t0 = clock.now_ms();
  // Each expected restart: not one millisecond early, then at once.
  int64_t at = t0;
  int runs = 1;
  for (auto delay : {100ms, 200ms, 400ms, 500ms, 500ms}) {
    ASSERT_TRUE(runner.wait_runs("fail-a", runs));
    ASSERT_TRUE(tree.wait_state("fail-a", "restarting"));
    clock.advance(delay - 1ms);
    std::this_thread::sleep_for(15ms);
    ASSERT_EQ(runner.runs("fail-a"), runs) << "restarted before its " << delay.count() << "ms backoff";
    clock.advance(1ms);
    ASSERT_TRUE(runner.wait_runs("fail-a", ++runs));
    at += delay.count();
  }
  auto times = runner.start_times("fail-a");
  ASSERT_EQ(times.size(), 6u);
  EXPECT_EQ(times.back(), at);
  EXPECT_EQ(times[1] - times[0], 100);
  EXPECT_EQ(times[2] - times[1], 200);
  EXPECT_EQ(times[3] - times[2], 400);
  EXPECT_EQ(times[4] - times[3], 500);
  EXPECT_EQ(times[5] - times[4], 500);
  EXPECT_TRUE(tree.supervisor().check_invariants());
}

TEST(SupervisorBackoff, AChildThatStayedUpForAWholeWindowStartsAgainFromTheFirstDelay) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  runner.run_ms = 0;
  SupervisorContext context{runner, clock, nullptr, {}, {}, kDefaultPausePoll, [] { return 0.5; }};
  SupervisorSpec s = spec("root", SupervisorStrategy::kOneForOne, {child("slowfail-a")}, 100);
  s.backoff = project::BackoffConfig{100ms, 10s, 0};
  s.restart_window = 1000ms;
  Tree tree(std::move(s), context);
  ASSERT_TRUE(tree.wait_state("slowfail-a", "restarting"));
  clock.advance(100ms);
  ASSERT_TRUE(runner.wait_runs("slowfail-a", 2));
  ASSERT_TRUE(tree.wait_state("slowfail-a", "restarting"));
  runner.run_ms = 1000;  // the next run stays up for a whole window before failing
  clock.advance(200ms);
  ASSERT_TRUE(runner.wait_runs("slowfail-a", 3));
  ASSERT_TRUE(tree.wait_state("slowfail-a", "restarting"));
  runner.run_ms = 0;
  clock.advance(99ms);
  std::this_thread::sleep_for(15ms);
  EXPECT_EQ(runner.runs("slowfail-a"), 3) << "restarted before the first delay again";
  clock.advance(1ms);
  EXPECT_TRUE(runner.wait_runs("slowfail-a", 4)) << "the backoff did not reset to 100ms after a quiet window";
}

TEST(SupervisorBackoff, AStopDuringABackoffIsHandledAtOnce) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  SupervisorContext context{runner, clock, nullptr, {}, {}, kDefaultPausePoll, {}};
  SupervisorSpec s = spec("root", SupervisorStrategy::kOneForOne, {child("fail-a")});
  s.backoff = project::BackoffConfig{30s, 30s, 0};
  Tree tree(std::move(s), context);
  ASSERT_TRUE(tree.wait_state("fail-a", "restarting"));
  auto outcome = tree.stop();  // the manual clock never reaches the restart
  EXPECT_EQ(outcome.end, SupervisorEnd::kStopped);
  EXPECT_EQ(tree.child("fail-a").state, "stopped");
  EXPECT_EQ(runner.runs("fail-a"), 1);
}

// ---- budgets -----------------------------------------------------------------------------------

TEST(SupervisorBudget, AChildPausedByItsBudgetIsNotRestartedUntilTheBudgetLetsItGo) {
  ManualSupervisorClock clock;
  ScriptedRunner runner(&clock);
  RecordingListener listener;
  std::atomic<bool> paused{true};
  std::atomic<int> asked{0};
  SupervisorContext context{runner, clock, &listener, {},
                            [&](const std::string& agent) {
                              EXPECT_EQ(agent, "budget-a");
                              ++asked;
                              return paused.load();
                            },
                            50ms, {}};
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {child("budget-a", RestartType::kPermanent)}), context);
  ASSERT_TRUE(tree.wait_state("budget-a", "paused"));
  for (int i = 1; i <= 3; ++i) {
    clock.advance(50ms);
    ASSERT_TRUE(eventually([&] { return asked.load() >= i; }));
  }
  EXPECT_EQ(runner.runs("budget-a"), 1) << "a paused child was restarted";
  EXPECT_EQ(tree.child("budget-a").state, "paused");
  EXPECT_EQ(listener.of(supervisor_event::kChildFailed, "budget-a")[0].detail["paused"], true);
  paused = false;
  clock.advance(50ms);
  ASSERT_TRUE(runner.wait_runs("budget-a", 2));
  // Resumed, not restarted: no restart counted, nothing against the agent.
  EXPECT_EQ(tree.child("budget-a").restarts, 0u);
  auto restarts = listener.of(supervisor_event::kChildRestart, "budget-a");
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].detail["reason"], "resumed");
  EXPECT_EQ(listener.count(supervisor_event::kAgentRestarted), 0u);
  EXPECT_EQ(tree.stop().end, SupervisorEnd::kStopped);
}

// ---- completion and workflows ----------------------------------------------------------------------

TEST(SupervisorCompletion, ASupervisorWithNothingLeftToRunEndsByItself) {
  Fixture f;
  Tree tree(spec("root", SupervisorStrategy::kOneForAll, {child("ok-a"), child("fail-b", RestartType::kTemporary)}),
            f.context);
  auto outcome = tree.wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kCompleted);
  EXPECT_EQ(tree.supervisor().status().state, "completed");
  EXPECT_EQ(tree.child("ok-a").state, "completed");
  EXPECT_EQ(tree.child("fail-b").state, "failed");
}

TEST(SupervisorWorkflow, AWorkflowChildRunsThroughTheHookOrIsRefusedWithoutOne) {
  Fixture f;
  ChildSpec flow = child("pipeline");
  flow.kind = ChildKind::kWorkflow;
  {
    Tree tree(spec("root", SupervisorStrategy::kOneForOne, {flow}, 0), f.context);
    auto outcome = tree.wait_outcome();
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
    EXPECT_NE(outcome->report.find("workflow pipeline failed: refused: workflow children arrive with the workflow engine"),
              std::string::npos)
        << outcome->report;
  }
  std::atomic<int> ran{0};
  f.context.run_workflow = [&](const std::string& name, const std::atomic<bool>&) {
    EXPECT_EQ(name, "pipeline");
    ++ran;
    return StepResult::success("{}");
  };
  Tree tree(spec("root", SupervisorStrategy::kOneForOne, {flow}, 0), f.context);
  auto outcome = tree.wait_outcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kCompleted);
  EXPECT_EQ(ran.load(), 1);
}

TEST(SupervisorStop, AStopBeforeRunStartsNothing) {
  Fixture f;
  Supervisor supervisor(spec("root", SupervisorStrategy::kOneForOne, {child("block-a")}), f.context);
  supervisor.request_stop();
  auto outcome = supervisor.run();
  EXPECT_EQ(outcome.end, SupervisorEnd::kStopped);
  EXPECT_EQ(f.runner.runs("block-a"), 0);
  EXPECT_EQ(supervisor.status().children[0].state, "stopped");
}

}  // namespace
}  // namespace naos::orchestration
