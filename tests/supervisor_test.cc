// Supervision trees with real agents (actor.wasm under many names,
// tests/agents/actor.c; cost_user.wat for budgets) in a real project:
// core/supervision.h runs them through Naos, the audit log and the database.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "core/naos.h"
#include "core/supervision.h"
#include "governance/audit_log.h"
#include "test_support.h"
#include "test_env.h"

namespace naos {
namespace {

using namespace std::chrono_literals;
using orchestration::SupervisorEnd;
using orchestration::SupervisorEvent;
using orchestration::SupervisorOutcome;

constexpr auto kWatchdog = 10s;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWatchdog) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class SupervisorTreeTest : public ::testing::Test {
 protected:
  // `agents`: actor agents by name; `rest`: supervisors:, cost:, ... sections.
  void Open(const std::vector<std::string>& agents, const std::string& rest, const std::string& extra_agents = "") {
    std::string config = "name: trees\nagents:\n";
    for (const auto& name : agents) {
      config += "  " + name + ": { source: " + testing::agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    auto naos = testing::open_project(dir_.path(), config + extra_agents + rest, clock_);
    ASSERT_TRUE(naos) << naos.error().to_string();
    naos_ = std::move(*naos);
    // The test reads with a connection of its own while the tree writes.
    auto reader = store::Database::open(dir_.path() / "data" / "nexus.db");
    ASSERT_TRUE(reader) << reader.error().to_string();
    reader_ = std::move(*reader);
  }

  // Opens supervisors.NAME and runs it on a thread.
  void Start(const std::string& name, SupervisionOptions options = {}) {
    options.on_event = [this](const SupervisorEvent& e) {
      std::lock_guard lock(events_mutex_);
      events_.push_back(e);
    };
    options.persist_every = 20ms;
    auto tree = SupervisionTree::open(*naos_, name, std::move(options));
    ASSERT_TRUE(tree) << tree.error().to_string();
    tree_ = std::move(*tree);
    runner_ = std::thread([this] {
      auto outcome = tree_->run();
      std::lock_guard lock(events_mutex_);
      outcome_ = outcome;
    });
  }
  std::optional<SupervisorOutcome> WaitOutcome() {
    eventually([&] {
      std::lock_guard lock(events_mutex_);
      return outcome_.has_value();
    });
    std::lock_guard lock(events_mutex_);
    return outcome_;
  }
  SupervisorOutcome Stop() {
    tree_->request_stop();
    auto outcome = WaitOutcome();
    EXPECT_TRUE(outcome) << "the tree did not stop";
    return outcome.value_or(SupervisorOutcome{});
  }
  void TearDown() override {
    if (tree_) tree_->request_stop();
    if (runner_.joinable()) runner_.join();
    if (tree_ && tree_->storage_error()) ADD_FAILURE() << tree_->storage_error()->to_string();
  }

  std::vector<governance::AuditEvent> Audit(const std::string& action) {
    auto events = governance::query_audit(*reader_, {.action = action});
    EXPECT_TRUE(events) << events.error().to_string();
    return events ? *events : std::vector<governance::AuditEvent>{};
  }
  // Audit events of `action` about agent `agent` (the agent column).
  size_t Count(const std::string& action, const std::string& agent) {
    auto all = Audit(action);
    return static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const auto& e) { return e.agent == agent; }));
  }
  bool WaitCount(const std::string& action, const std::string& agent, size_t n) {
    return eventually([&] { return Count(action, agent) >= n; });
  }
  nlohmann::json Payload(const governance::AuditEvent& e) { return nlohmann::json::parse(e.payload); }
  std::vector<SupervisorEvent> Events(const std::string& type) {
    std::lock_guard lock(events_mutex_);
    std::vector<SupervisorEvent> out;
    for (const auto& e : events_) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }
  orchestration::ChildStatus Child(const std::string& name) {
    for (const auto& c : tree_->status().children) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no child " << name;
    return {};
  }

  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<Naos> naos_;
  std::unique_ptr<store::Database> reader_;
  std::unique_ptr<SupervisionTree> tree_;
  std::thread runner_;
  std::mutex events_mutex_;
  std::vector<SupervisorEvent> events_;
  std::optional<SupervisorOutcome> outcome_;
};

// ---- strategies ---------------------------------------------------------------------

TEST_F(SupervisorTreeTest, OneForOneRestartsACrashedAgentAndLeavesItsSiblingRunning) {
  Open({"worker-a", "crash50-b"},
       "supervisors:\n  root: { strategy: one-for-one, maxRestarts: 100, children: [worker-a, crash50-b] }\n");
  Start("root");
  ASSERT_TRUE(WaitCount("agent.restarted", "crash50-b", 2));
  EXPECT_EQ(Child("worker-a").state, "running");
  EXPECT_EQ(Child("worker-a").restarts, 0u);
  EXPECT_GE(Child("crash50-b").restarts, 2u);
  EXPECT_NE(Child("crash50-b").last_error.find("exit_status"), std::string::npos) << Child("crash50-b").last_error;
  EXPECT_EQ(Stop().end, SupervisorEnd::kStopped);
  EXPECT_EQ(Count("agent.started", "worker-a"), 1u);
  auto started = Audit("agent.started");
  for (const auto& e : started) EXPECT_EQ(e.actor, "supervisor:root");
  auto restarts = Audit("supervisor.child_restart");
  ASSERT_GE(restarts.size(), 2u);
  EXPECT_EQ(Payload(restarts[0])["child"], "crash50-b");
  EXPECT_EQ(Payload(restarts[0])["supervisor"], "root");
  EXPECT_EQ(Audit("supervisor.started").size(), 1u);
  EXPECT_EQ(Audit("supervisor.stopped").size(), 1u);
  EXPECT_GE(Audit("supervisor.child_failed").size(), 2u);
}

TEST_F(SupervisorTreeTest, OneForAllRestartsEverySiblingOfACrashedAgent) {
  Open({"worker-a", "crash50-b", "worker-c"},
       "supervisors:\n  root: { strategy: one-for-all, maxRestarts: 100, children: [worker-a, crash50-b, worker-c] }\n");
  Start("root");
  ASSERT_TRUE(WaitCount("agent.started", "worker-a", 2));
  ASSERT_TRUE(WaitCount("agent.started", "worker-c", 2));
  Stop();
  auto restarted = Audit("agent.restarted");
  ASSERT_FALSE(restarted.empty());
  EXPECT_EQ(Payload(restarted[0])["reason"], "sibling crash50-b failed");
}

TEST_F(SupervisorTreeTest, RestForOneRestartsTheCrashedAgentAndThoseStartedAfterIt) {
  Open({"worker-a", "crash50-b", "worker-c"},
       "supervisors:\n  root: { strategy: rest-for-one, maxRestarts: 100, children: [worker-a, crash50-b, worker-c] }\n");
  Start("root");
  ASSERT_TRUE(WaitCount("agent.started", "worker-c", 2));
  ASSERT_TRUE(WaitCount("agent.started", "crash50-b", 2));
  Stop();
  EXPECT_EQ(Count("agent.started", "worker-a"), 1u);
  EXPECT_EQ(Count("agent.restarted", "worker-a"), 0u);
}

// ---- restart types --------------------------------------------------------------------

TEST_F(SupervisorTreeTest, TransientAndTemporaryChildrenEndTheTreeOnceNoneIsToBeRestarted) {
  Open({"ok-t", "fail-tmp", "flaky1-t"},
       "supervisors:\n  root: { strategy: one-for-one, maxRestarts: 5,\n"
       "          children: [ok-t, { name: fail-tmp, restart: temporary }, flaky1-t] }\n");
  Start("root");
  auto outcome = WaitOutcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kCompleted);
  // transient: completed once, not restarted; restarted after its failure.
  EXPECT_EQ(Count("agent.started", "ok-t"), 1u);
  EXPECT_EQ(Count("agent.started", "flaky1-t"), 2u);
  EXPECT_EQ(Count("agent.restarted", "flaky1-t"), 1u);
  // temporary: failed, never restarted.
  EXPECT_EQ(Count("agent.started", "fail-tmp"), 1u);
  EXPECT_EQ(Child("fail-tmp").state, "failed");
  EXPECT_EQ(Child("ok-t").state, "completed");
  EXPECT_EQ(Child("flaky1-t").state, "completed");
}

TEST_F(SupervisorTreeTest, PermanentChildIsRestartedAfterEveryCompletionUntilTheLimit) {
  Open({"ok-p"}, "supervisors:\n  root: { maxRestarts: 2, children: [{ name: ok-p, restart: permanent }] }\n");
  Start("root");
  auto outcome = WaitOutcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
  EXPECT_EQ(Count("agent.completed", "ok-p"), 3u);
  EXPECT_EQ(Count("agent.restarted", "ok-p"), 2u);
}

// ---- escalation --------------------------------------------------------------------------

TEST_F(SupervisorTreeTest, GivingUpAtEveryLevelStopsTheTreeAndReportsWhoAndHowOften) {
  Open({"fail-x", "worker-r"},
       "supervisors:\n"
       "  root: { maxRestarts: 1, restartWindow: 30s, children: [mid, worker-r] }\n"
       "  mid:  { maxRestarts: 1, children: [fail-x] }\n");
  Start("root");
  auto outcome = WaitOutcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kEscalated);
  EXPECT_EQ(outcome->child, "mid");
  EXPECT_EQ(outcome->restarts, 2u);
  EXPECT_EQ(outcome->window, 30s);
  EXPECT_NE(outcome->report.find("supervisor root gave up: 2 restarts within 30s (maxRestarts 1); the last: "
                                 "supervisor mid failed: escalated: supervisor mid gave up: 2 restarts within 60s"),
            std::string::npos)
      << outcome->report;
  EXPECT_NE(outcome->report.find("agent fail-x failed: exit_status"), std::string::npos) << outcome->report;
  EXPECT_EQ(Count("agent.started", "fail-x"), 4u);
  auto escalated = Audit("supervisor.escalated");
  ASSERT_EQ(escalated.size(), 3u);
  EXPECT_EQ(escalated[2].actor, "supervisor:root");
  EXPECT_EQ(Payload(escalated[2])["child"], "mid");
  EXPECT_EQ(Payload(escalated[2])["restarts"], 2);
  EXPECT_EQ(Payload(escalated[2])["restart_window_ms"], 30000);
  // The whole tree stopped: the sibling was stopped, and the stored state says why.
  EXPECT_EQ(Child("worker-r").state, "stopped");
  auto stored = read_supervisors(*reader_);
  ASSERT_TRUE(stored) << stored.error().to_string();
  EXPECT_EQ(stored->at("root").state, "escalated");
  EXPECT_EQ(stored->at("root").report, outcome->report);
  EXPECT_EQ(stored->at("root").pid, ::getpid());
}

TEST_F(SupervisorTreeTest, ACrashedSubSupervisorIsRestartedWithAllItsChildren) {
  Open({"worker-s", "crash50-c", "worker-r"},
       "supervisors:\n"
       "  root: { maxRestarts: 10, children: [sub, worker-r] }\n"
       "  sub:  { maxRestarts: 0, children: [worker-s, crash50-c] }\n");
  Start("root");
  ASSERT_TRUE(WaitCount("agent.started", "worker-r", 1));
  // crash50-c's first crash makes sub give up (no restart allowed); root
  // restarts sub, which starts worker-s and crash50-c again.
  ASSERT_TRUE(WaitCount("agent.started", "worker-s", 2));
  ASSERT_TRUE(WaitCount("agent.started", "crash50-c", 2));
  EXPECT_EQ(Count("agent.started", "worker-r"), 1u);
  auto restarts = Audit("supervisor.child_restart");
  ASSERT_FALSE(restarts.empty());
  EXPECT_EQ(Payload(restarts[0])["child"], "sub");
  EXPECT_EQ(Payload(restarts[0])["kind"], "supervisor");
  // worker-s was stopped by sub's shutdown, not by a crash of its own: it
  // ended `stopped`, not failed (issue 11: a stopped run is not a failure).
  auto stopped = Audit("agent.stopped");
  ASSERT_TRUE(std::any_of(stopped.begin(), stopped.end(), [&](const auto& e) {
    return e.agent == "worker-s" && Payload(e)["reason"].template get<std::string>().starts_with("stopped by");
  }));
  auto failed = Audit("agent.failed");
  EXPECT_FALSE(std::any_of(failed.begin(), failed.end(), [&](const auto& e) { return e.agent == "worker-s"; }));
  Stop();
}

// ---- order -------------------------------------------------------------------------------

TEST_F(SupervisorTreeTest, ChildrenStartInDeclaredOrderAndStopInReverse) {
  Open({"worker-a", "worker-b", "worker-c"},
       "supervisors:\n  root: { children: [worker-a, worker-b, worker-c] }\n");
  Start("root");
  ASSERT_TRUE(eventually([&] { return Audit("agent.started").size() == 3; }));
  Stop();
  auto started = Events(orchestration::supervisor_event::kChildStarted);
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[0].child, "worker-a");
  EXPECT_EQ(started[1].child, "worker-b");
  EXPECT_EQ(started[2].child, "worker-c");
  // Each run ended (stopped, not failed) before the next was asked to stop.
  auto ended = Audit("agent.stopped");
  ASSERT_EQ(ended.size(), 3u);
  EXPECT_EQ(ended[0].agent, "worker-c");
  EXPECT_EQ(ended[1].agent, "worker-b");
  EXPECT_EQ(ended[2].agent, "worker-a");
  for (const auto& e : ended) EXPECT_EQ(Payload(e)["from"], "running");
  EXPECT_TRUE(Audit("agent.failed").empty());
}

// ---- budgets -------------------------------------------------------------------------------

TEST_F(SupervisorTreeTest, AnAgentPausedByItsBudgetIsNotRestartedUntilTheBudgetIsReset) {
  Open({}, "supervisors:\n  root: { maxRestarts: 10, children: [{ name: spender, restart: permanent }] }\n"
           "cost:\n  budgets:\n    spender: { limit: 5, period: day, onExceed: pause }\n",
       "  spender: { source: " + testing::agent_path("cost_user").string() + " }\n");
  auto created = naos_->create_from_config("test");
  ASSERT_TRUE(created) << created.error().to_string();
  SupervisionOptions options;
  options.pause_poll = 20ms;
  Start("root", options);
  // Run 1 spends the whole budget and completes (permanent: restarted);
  // run 2's cost is refused and the budget pauses the agent.
  ASSERT_TRUE(eventually([&] { return Child("spender").state == "paused"; }));
  EXPECT_EQ(Count("agent.started", "spender"), 2u);
  std::this_thread::sleep_for(200ms);  // ten polls
  EXPECT_EQ(Count("agent.started", "spender"), 2u) << "a paused agent was restarted";
  EXPECT_EQ(Child("spender").state, "paused");
  auto record = naos_->registry()->find("spender");
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->status, project::AgentStatus::kBudgetExceeded);

  ASSERT_TRUE(naos_->reset_cost("spender", "test"));
  // Resumed: it runs again (and, spending its budget again, is paused again).
  ASSERT_TRUE(WaitCount("agent.started", "spender", 3));
  // The restart is audited by the supervisor's thread, not necessarily
  // before the run it started writes agent.started.
  ASSERT_TRUE(eventually([&] {
    auto restarts = Audit("supervisor.child_restart");
    return std::any_of(restarts.begin(), restarts.end(),
                       [&](const auto& e) { return Payload(e)["reason"] == "resumed"; });
  }));
  auto failed = Audit("supervisor.child_failed");
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(Payload(failed[0])["paused"], true);
  EXPECT_EQ(Payload(failed[0])["error"], "budget_exceeded");
}

// ---- stored state and claims ------------------------------------------------------------------

TEST_F(SupervisorTreeTest, StatusIsStoredForOtherProcessesWhileItRunsAndAfter) {
  Open({"worker-a", "worker-b"},
       "supervisors:\n  root: { children: [worker-a, inner] }\n  inner: { children: [worker-b] }\n");
  Start("root");
  ASSERT_TRUE(eventually([&] {
    auto stored = read_supervisors(*reader_);
    return stored && stored->contains("inner") && stored->at("root").state == "running" &&
           stored->at("inner").state == "running" && stored->at("inner").children.size() == 1 &&
           stored->at("inner").children[0].state == "running";
  }));
  auto stored = read_supervisors(*reader_);
  ASSERT_TRUE(stored);
  const auto& root = stored->at("root");
  EXPECT_TRUE(root.active());
  EXPECT_EQ(root.pid, ::getpid());
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].name, "inner");  // stored by name
  EXPECT_EQ(root.children[0].kind, "supervisor");
  EXPECT_EQ(root.children[1].name, "worker-a");
  EXPECT_EQ(root.children[1].state, "running");

  EXPECT_EQ(Stop().end, SupervisorEnd::kStopped);
  stored = read_supervisors(*reader_);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at("root").state, "stopped");
  EXPECT_FALSE(stored->at("root").active());
  EXPECT_EQ(stored->at("inner").state, "stopped");
  EXPECT_EQ(stored->at("inner").children[0].state, "stopped");
}

TEST_F(SupervisorTreeTest, ATreeHeldByAnotherLiveProcessIsRefused) {
  Open({"worker-a"}, "supervisors:\n  root: { children: [worker-a] }\n");
  // A live process that is not this one (our parent) holds the tree.
  auto now = clock_.now_ms();
  ASSERT_TRUE(reader_->exec("INSERT INTO supervisor_state VALUES ('root', 'running', " + std::to_string(::getppid()) +
                            ", '', " + std::to_string(now) + ", " + std::to_string(now) + ")"));
  auto refused = SupervisionTree::open(*naos_, "root");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("is running already (pid " + std::to_string(::getppid())),
            std::string::npos)
      << refused.error().to_string();
  // A holder that died is not a holder.
  ASSERT_TRUE(reader_->exec("UPDATE supervisor_state SET pid = 999999999"));
  EXPECT_TRUE(SupervisionTree::open(*naos_, "root"));
}

TEST_F(SupervisorTreeTest, AnAgentWithoutAModuleIsRefusedBeforeAnythingStarts) {
  Open({"worker-a"}, "supervisors:\n  root: { children: [worker-a, ghost] }\n",
       "  ghost: { source: agents/ghost/ghost.wasm }\n");
  auto refused = SupervisionTree::open(*naos_, "root");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kNotFound);
  EXPECT_NE(refused.error().message().find("naos build ghost"), std::string::npos) << refused.error().to_string();
  auto missing = SupervisionTree::open(*naos_, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST_F(SupervisorTreeTest, AWorkflowChildIsOneRunOfTheWorkflow) {
  Open({"ok-one", "ok-two"},
       "workflows:\n  pipeline: { steps: [ { name: one, agent: ok-one }, { name: two, agent: ok-two } ] }\n"
       "supervisors:\n  root: { children: [pipeline] }\n");
  Start("root");
  auto outcome = WaitOutcome();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, SupervisorEnd::kCompleted) << outcome->report;
  EXPECT_EQ(Child("pipeline").state, "completed");
  EXPECT_EQ(Count("agent.completed", "ok-two"), 1u);
}

}  // namespace
}  // namespace naos
