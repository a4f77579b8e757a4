// Pools through the core API (core/pools.h) with real agents in a real
// project: actor.wasm under many names (tests/agents/actor.c) as fan-out
// members, pool_task.wasm (tests/agents/pool_task.c) as clone pool workers
// whose behaviour each task's input chooses.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

#include "core/naos.h"
#include "core/pools.h"
#include "test_support.h"
#include "test_env.h"

namespace naos {
namespace {

using orchestration::Entry;
using orchestration::ItemState;
using orchestration::PoolItem;
using orchestration::PoolResult;
namespace en = orchestration::entry;

constexpr const char* kDeadOwner = "999999999";

class PoolTest : public ::testing::Test {
 protected:
  // `actors`: agents that are actor.wasm under that name; `pools`: the body
  // of the pools: section. Every project also has the clone worker `task`.
  void Open(const std::vector<std::string>& actors, const std::string& pools) {
    std::string config = "name: pools\nagents:\n  task: { source: " + testing::agent_path("pool_task").string() +
                         " }\n";
    for (const auto& name : actors) {
      config += "  " + name + ": { source: " + testing::agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    auto naos = testing::open_project(dir_.path(), config + "pools:\n" + pools, clock_);
    ASSERT_TRUE(naos) << naos.error().to_string();
    naos_ = std::move(*naos);
    auto pools_opened = Pools::open(*naos_);
    ASSERT_TRUE(pools_opened) << pools_opened.error().to_string();
    pools_ = std::move(*pools_opened);
  }
  PoolResult Run(const std::string& pool, const std::string& input, const std::string& id = {},
                 const std::atomic<bool>* cancel = nullptr, const orchestration::PoolObserver& observer = {}) {
    auto ran = pools_->run(pool, input, id, cancel, observer);
    EXPECT_TRUE(ran) << ran.error().to_string();
    return ran ? *ran : PoolResult{};
  }
  orchestration::ServeResult Serve(const std::string& pool, orchestration::ServeOptions options = {}) {
    auto served = pools_->serve(pool, options);
    EXPECT_TRUE(served) << served.error().to_string();
    return served ? *served : orchestration::ServeResult{};
  }
  std::vector<Entry> Journal(const std::string& run_id) {
    auto entries = naos_->journal()->entries(run_id);
    EXPECT_TRUE(entries) << entries.error().to_string();
    return entries ? *entries : std::vector<Entry>{};
  }
  std::vector<std::string> Events(const std::string& run_id, int step) {
    std::vector<std::string> out;
    for (const auto& e : Journal(run_id)) {
      if (e.step == step) out.push_back(e.event);
    }
    return out;
  }
  size_t Audited(const std::string& type) {
    auto events = governance::query_audit(*naos_->database(), {.action = type});
    EXPECT_TRUE(events);
    return events ? events->size() : 0;
  }
  std::vector<orchestration::Task> Tasks(const std::string& pool, const std::string& state = {}) {
    auto tasks = pools_->queue().tasks(pool, state);
    EXPECT_TRUE(tasks) << tasks.error().to_string();
    return tasks ? *tasks : std::vector<orchestration::Task>{};
  }
  std::string Kv(const std::string& agent) {
    auto value = naos_->kv()->get(agent, "runs");
    return value && *value ? **value : "";
  }
  const PoolItem& Item(const PoolResult& result, const std::string& name) {
    for (const auto& item : result.items) {
      if (item.name == name) return item;
    }
    ADD_FAILURE() << "no item " << name;
    static PoolItem none;
    return none;
  }
  // The most attempts of `result` that ran at the same time, from the
  // journal's recorded start and end of every attempt.
  size_t MostAtOnce(const std::string& run_id) {
    std::vector<std::pair<int64_t, int>> edges;  // (time, +1 start / -1 end); ends sort first
    for (const auto& e : Journal(run_id)) {
      if (e.event == en::kStepStarted) edges.push_back({e.ts_ms, +1});
      if (e.event == en::kStepCompleted || e.event == en::kStepFailed) edges.push_back({e.ts_ms, -1});
    }
    std::sort(edges.begin(), edges.end());
    int now = 0, most = 0;
    for (const auto& [ts, delta] : edges) most = std::max(most, now += delta);
    return static_cast<size_t>(most);
  }

  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<Naos> naos_;
  std::unique_ptr<Pools> pools_;
};

// ---- fan-out: gather -------------------------------------------------------

TEST_F(PoolTest, FanOutMergeAllGivesEveryMemberTheInputAndListsOutputsInMemberOrder) {
  Open({"ok-a", "json-b", "slow100-c"}, "  research: { members: [slow100-c, ok-a, json-b], merge: all }\n");
  auto result = Run("research", "hi");
  EXPECT_EQ(result.state, "completed");
  auto output = nlohmann::json::parse(result.output);
  ASSERT_EQ(output.size(), 3u);
  EXPECT_EQ(output[0], "hi>slow100-c");  // member order, though it ended last
  EXPECT_EQ(output[1], "hi>ok-a");
  EXPECT_EQ(output[2], R"({"from":"json-b","input":"hi"})");  // a JSON output stays a string
  for (int step = 0; step < 3; ++step) {
    EXPECT_EQ(Events(result.run_id, step), (std::vector<std::string>{en::kStepStarted, en::kStepCompleted}));
  }
  auto run = naos_->journal()->find_run(result.run_id);
  ASSERT_TRUE(run && *run);
  EXPECT_EQ((*run)->kind, "pool");
  EXPECT_EQ((*run)->state, "completed");
  EXPECT_EQ((*run)->output, result.output);
  EXPECT_EQ(Audited("pool.started"), 1u);
  EXPECT_EQ(Audited("pool.member_completed"), 3u);
  EXPECT_EQ(Audited("pool.completed"), 1u);
}

TEST_F(PoolTest, FanOutMergeFirstTakesTheFirstSuccessAndCancelsTheSlowMembersQuickly) {
  Open({"slow5000-a", "ok-b", "slow5000-c"}, "  race: { members: [slow5000-a, ok-b, slow5000-c], merge: first }\n");
  auto result = Run("race", "go");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(result.output, "go>ok-b");
  for (const char* slow : {"slow5000-a", "slow5000-c"}) {
    const PoolItem& item = Item(result, slow);
    EXPECT_EQ(item.state, ItemState::kCancelled) << slow;
    EXPECT_EQ(item.error, "cancelled") << slow;
    // Cancelled long before their 5 s sleep would have ended.
    if (item.ended_ms > 0) {
      EXPECT_LT(item.ended_ms - item.started_ms, 2500) << slow;
    }
  }
  // The journal says the losers are cancelled for good: a resume would not run them.
  auto events = Events(result.run_id, 0);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back() == en::kStepFailed || events.back() == en::kStepSkipped);
  EXPECT_EQ(Audited("pool.member_failed"), 0u);  // lost, not failed
}

TEST_F(PoolTest, FanOutMergeMajorityTakesTheOutputMoreThanHalfAgreeOn) {
  // count-X prints how often it ran: "1" for each, while ok-c prints its own line.
  Open({"count-a", "count-b", "ok-c"}, "  vote: { members: [count-a, ok-c, count-b], merge: majority }\n");
  auto result = Run("vote", "q");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(result.output, "1");
}

TEST_F(PoolTest, FanOutMergeMajorityFailsWhenNoOutputHasMoreThanHalf) {
  Open({"count-a", "ok-b", "ok-c", "count-d"}, "  vote: { members: [count-a, ok-b, ok-c, count-d], merge: majority }\n");
  auto result = Run("vote", "q");  // "1" twice of four: not more than half
  EXPECT_EQ(result.state, "failed");
  EXPECT_NE(result.error.find("no majority"), std::string::npos) << result.error;
}

TEST_F(PoolTest, FanOutMergeQuorumDecidesOnceKAgreeAndCancelsTheRest) {
  Open({"ok-a", "count-b", "slow5000-c", "count-d"},
       "  q: { members: [ok-a, count-b, slow5000-c, count-d], merge: quorum, quorum: 2 }\n");
  auto result = Run("q", "x");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(result.output, "1");
  EXPECT_EQ(Item(result, "slow5000-c").state, ItemState::kCancelled);
}

// ---- fan-out: concurrency, tolerance, retries ------------------------------

TEST_F(PoolTest, MaxConcurrencyOneNeverRunsTwoMembersAtOnce) {
  Open({"slow80-a", "slow80-b", "slow80-c"},
       "  one: { members: [slow80-a, slow80-b, slow80-c], maxConcurrency: 1 }\n"
       "  all: { members: [slow80-a, slow80-b, slow80-c] }\n");
  auto serial = Run("one", "x");
  EXPECT_EQ(serial.state, "completed");
  EXPECT_EQ(MostAtOnce(serial.run_id), 1u);
  // Without the bound the same members overlap: the measure can see it.
  auto parallel = Run("all", "x");
  EXPECT_EQ(MostAtOnce(parallel.run_id), 3u);
}

TEST_F(PoolTest, MaxConcurrencyBoundsTheMembersRunningAtOnce) {
  Open({"slow80-a", "slow80-b", "slow80-c", "slow80-d", "slow80-e"},
       "  two: { members: [slow80-a, slow80-b, slow80-c, slow80-d, slow80-e], maxConcurrency: 2 }\n");
  auto result = Run("two", "x");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(MostAtOnce(result.run_id), 2u);
}

TEST_F(PoolTest, FailuresWithinTheToleranceArePartialBeyondItFailed) {
  Open({"ok-a", "fail-b", "ok-c", "fail-d"},
       "  lenient: { members: [ok-a, fail-b, ok-c], tolerate: 1 }\n"
       "  strict: { members: [ok-a, fail-b, ok-c], tolerate: 0 }\n"
       "  default: { members: [fail-b, fail-d] }\n"
       "  half: { members: [ok-a, fail-b, fail-d], tolerate: \"50%\" }\n");
  auto partial = Run("lenient", "in");
  EXPECT_EQ(partial.state, "partial");
  EXPECT_EQ(nlohmann::json::parse(partial.output), nlohmann::json::parse(R"(["in>ok-a", null, "in>ok-c"])"));
  EXPECT_EQ(Item(partial, "fail-b").error, "exit_status");
  auto strict = Run("strict", "in");
  EXPECT_EQ(strict.state, "failed");
  EXPECT_NE(strict.error.find("more than the 0 tolerated"), std::string::npos) << strict.error;
  // Default 100%: even all failed members are tolerated, but merge all has nothing: still partial.
  EXPECT_EQ(Run("default", "in").state, "partial");
  EXPECT_EQ(Run("half", "in").state, "failed");  // 2 of 3 > floor(50% of 3) = 1
  EXPECT_EQ(Audited("pool.partial"), 2u);
  EXPECT_EQ(Audited("pool.failed"), 2u);
}

TEST_F(PoolTest, RetriesRunAFlakyMemberAgainUntilItSucceeds) {
  Open({"flaky1-a", "ok-b", "flaky2-c"},
       "  retry: { members: [flaky1-a, ok-b], retries: 1 }\n"
       "  short: { members: [flaky2-c, ok-b], retries: 1 }\n");
  auto result = Run("retry", "r");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(Item(result, "flaky1-a").attempts, 2);
  EXPECT_EQ(Events(result.run_id, 0), (std::vector<std::string>{en::kStepStarted, en::kStepFailed,
                                                                  en::kStepStarted, en::kStepCompleted}));
  // Two failures before success need two retries; one is not enough.
  auto short_of = Run("short", "r");
  EXPECT_EQ(short_of.state, "partial");
  EXPECT_EQ(Item(short_of, "flaky2-c").attempts, 2);
  EXPECT_EQ(Item(short_of, "flaky2-c").state, ItemState::kFailed);
}

TEST_F(PoolTest, TimeoutBoundsEachMember) {
  Open({"slow3000-a", "ok-b"}, "  t: { members: [slow3000-a, ok-b], timeout: 100ms, tolerate: 1 }\n");
  auto result = Run("t", "x");
  EXPECT_EQ(result.state, "partial");
  EXPECT_EQ(Item(result, "slow3000-a").error, "timeout");
}

// ---- durability -------------------------------------------------------------

TEST_F(PoolTest, ACancelledRunResumesWithoutRunningItsFinishedMembersAgain) {
  Open({"count-a", "slow400-b"}, "  r: { members: [count-a, slow400-b] }\n");
  std::atomic<bool> cancel{false};
  orchestration::PoolObserver observer;
  observer.item_ended = [&](const PoolItem& item) {
    if (item.name == "count-a") cancel = true;  // Ctrl-C once count-a is done
  };
  auto first = Run("r", "in", "pool-r-1", &cancel, observer);
  ASSERT_EQ(first.state, "cancelled");
  EXPECT_EQ(Item(first, "count-a").state, ItemState::kCompleted);
  EXPECT_EQ(Item(first, "slow400-b").state, ItemState::kPending);
  EXPECT_EQ((*naos_->journal()->find_run("pool-r-1"))->state, "cancelled");

  // Without an id, `pool run` finds the unfinished run with the same input.
  auto second = Run("r", "in");
  EXPECT_EQ(second.run_id, "pool-r-1");
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.state, "completed");
  EXPECT_EQ(nlohmann::json::parse(second.output), nlohmann::json::parse(R"(["1", "in>slow400-b"])"));
  EXPECT_EQ(Kv("count-a"), "1");  // not run again
  // A finished run is returned as it is.
  auto third = Run("r", "in", "pool-r-1");
  EXPECT_TRUE(third.reused);
  EXPECT_EQ(third.output, second.output);
  EXPECT_EQ(Kv("count-a"), "1");
}

TEST_F(PoolTest, AResumedRunRerunsAMemberWhoseProcessDiedMidAttempt) {
  Open({"count-a", "count-b"}, "  r: { members: [count-a, count-b] }\n");
  // What a kill -9 leaves: a running run of a dead process, count-a
  // completed, count-b started and never ended.
  auto* journal = naos_->journal();
  ASSERT_TRUE(journal->create_run({"pool-r-crash", "pool", "r", "", "running", "in", "", "", kDeadOwner, 0, 0}));
  ASSERT_TRUE(journal->append({0, "pool-r-crash", 0, "count-a", en::kStepStarted, 1, {{"worker", 0}}, 0}));
  ASSERT_TRUE(journal->append({0, "pool-r-crash", 0, "count-a", en::kStepCompleted, 1, {{"output", "7"}}, 0}));
  ASSERT_TRUE(journal->append({0, "pool-r-crash", 1, "count-b", en::kStepStarted, 1, {{"worker", 1}}, 0}));
  auto result = Run("r", "in");
  EXPECT_EQ(result.run_id, "pool-r-crash");
  EXPECT_EQ(result.state, "completed");
  EXPECT_EQ(nlohmann::json::parse(result.output), nlohmann::json::parse(R"(["7", "1"])"));
  EXPECT_EQ(Kv("count-a"), "");  // never run here
  EXPECT_EQ(Kv("count-b"), "1");
  EXPECT_EQ(Item(result, "count-b").attempts, 1);  // the crashed attempt does not count
}

// ---- clone pools -------------------------------------------------------------

TEST_F(PoolTest, ACloneRunAsAStepTakesAJsonArrayOneTaskPerElement) {
  Open({}, "  workers: { agent: task, size: 2, merge: all, tolerate: 1 }\n");
  auto result = Run("workers", R"(["x", {"k": 1}, "fail:z", 7])");
  EXPECT_EQ(result.state, "partial");
  EXPECT_EQ(nlohmann::json::parse(result.output),
            nlohmann::json::parse(R"(["done:x", "done:{\"k\":1}", null, "done:7"])"));
  for (const auto& item : result.items) {
    EXPECT_GE(item.worker, 0);
    EXPECT_LT(item.worker, 2);
  }
  auto not_array = pools_->run("workers", "plain text", "", nullptr);
  ASSERT_FALSE(not_array);
  EXPECT_EQ(not_array.error().code(), Code::kInvalidArgument);
  // The step API of the workflow and saga engines: the same contract.
  auto nested = pools_->run_step(*pools_->find("workers").value(), "wf-1/fan#1", R"(["a"])", "wf-1", nullptr);
  ASSERT_TRUE(nested) << nested.error().to_string();
  EXPECT_EQ(nested->output, R"(["done:a"])");
  EXPECT_EQ((*naos_->journal()->find_run("wf-1/fan#1"))->parent, "wf-1");
}

TEST_F(PoolTest, SubmittedTasksAreServedUntilTheQueueIsEmpty) {
  Open({}, "  workers: { agent: task, size: 3 }\n");
  auto ids = pools_->submit("workers", {"a", "b", "c", "d", "e"}, "test");
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->size(), 5u);
  auto status = pools_->status("workers");
  EXPECT_EQ(status->tasks.queued, 5);
  EXPECT_EQ(status->state, "idle");
  auto served = Serve("workers");
  EXPECT_EQ(served.state, "completed");
  EXPECT_EQ(served.completed(), 5u);
  auto tasks = Tasks("workers");
  ASSERT_EQ(tasks.size(), 5u);
  for (const auto& task : tasks) {
    EXPECT_EQ(task.state, "completed");
    EXPECT_EQ(task.output, "done:" + task.input);
    EXPECT_EQ(task.attempts, 1);
    EXPECT_GE(task.worker, 0);
    EXPECT_LT(task.worker, 3);
  }
  EXPECT_EQ(Audited("pool.submitted"), 1u);
  EXPECT_EQ(Audited("pool.task_completed"), 5u);
  // Served once: nothing left, so a second run ends at once with nothing done.
  auto again = Serve("workers");
  EXPECT_EQ(again.completed(), 0u);
  EXPECT_NE(again.run_id, served.run_id);
}

TEST_F(PoolTest, TasksRunningAtACrashAreQueuedAgainAndFinishedCompletedOnesAreNotRerun) {
  Open({}, "  workers: { agent: task, size: 2 }\n");
  ASSERT_TRUE(pools_->submit("workers", {"one", "two", "three", "four"}, "test"));
  // A process (now dead) served the pool: it finished task 1 and had 2 and 3 running.
  auto& queue = pools_->queue();
  ASSERT_TRUE(queue.serve("workers", kDeadOwner, 2, nullptr));
  auto one = *queue.take("workers", 0);
  ASSERT_TRUE(queue.complete("workers", one->id, "finished before the crash", {}));
  ASSERT_TRUE(*queue.take("workers", 0));
  ASSERT_TRUE(*queue.take("workers", 1));
  EXPECT_EQ(pools_->status("workers")->tasks.running, 2);

  auto served = Serve("workers");
  EXPECT_EQ(served.recovered, 2);
  EXPECT_EQ(served.state, "completed");
  EXPECT_EQ(served.completed(), 3u);
  auto tasks = Tasks("workers");
  EXPECT_EQ(tasks[0].output, "finished before the crash");  // not run again
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(tasks[i].output, "done:" + tasks[i].input);
  for (const auto& e : Journal(served.run_id)) EXPECT_NE(e.step, 1);
}

TEST_F(PoolTest, CancellingServingPutsRunningTasksBackAndTheNextRunResumesIt) {
  Open({}, "  workers: { agent: task, size: 2 }\n");
  ASSERT_TRUE(pools_->submit("workers", {"quick", "sleep:400:a", "sleep:400:b", "later"}, "test"));
  std::atomic<bool> cancel{false};
  orchestration::ServeOptions options;
  options.cancel = &cancel;
  options.observer.item_ended = [&](const PoolItem&) { cancel = true; };  // Ctrl-C after the first task
  auto first = Serve("workers", options);
  EXPECT_EQ(first.state, "cancelled");
  EXPECT_EQ(first.completed(), 1u);
  EXPECT_EQ(first.requeued, 1);  // sleep:400:a was running on the other slot
  auto counts = pools_->status("workers")->tasks;
  EXPECT_EQ(counts.completed, 1);
  EXPECT_EQ(counts.running, 0);
  EXPECT_EQ(counts.queued, 3);
  // The interrupted attempt does not count.
  for (const auto& task : Tasks("workers", "queued")) EXPECT_EQ(task.attempts, 0);
  EXPECT_EQ((*naos_->journal()->find_run(first.run_id))->state, "cancelled");

  auto second = Serve("workers");
  EXPECT_EQ(second.run_id, first.run_id);  // the cancelled run goes on
  EXPECT_EQ(second.state, "completed");
  EXPECT_EQ(second.completed(), 3u);
  EXPECT_EQ(pools_->status("workers")->tasks.completed, 4);
  EXPECT_EQ(Audited("pool.cancelled"), 1u);
  EXPECT_EQ(Audited("pool.resumed"), 1u);
}

TEST_F(PoolTest, StrategiesPickTheWorkerSlotOfEachTask) {
  Open({}, "  rr: { agent: task, size: 2, strategy: round-robin }\n"
           "  lb: { agent: task, size: 2, strategy: least-busy }\n"
           "  one: { agent: task, size: 3, strategy: round-robin, maxConcurrency: 1 }\n"
           "  rnd: { agent: task, size: 3, strategy: random }\n");
  auto workers = [&](const std::string& pool) {
    std::vector<int> out;
    for (const auto& task : Tasks(pool)) out.push_back(task.worker);
    return out;
  };
  // One slow task, then quick ones: round-robin queues every other task
  // behind the slow one; least-busy gives them all to the idle slot.
  for (const char* pool : {"rr", "lb"}) {
    ASSERT_TRUE(pools_->submit(pool, {"sleep:800:slow", "b", "c", "d"}, "test"));
    EXPECT_EQ(Serve(pool).completed(), 4u);
  }
  EXPECT_EQ(workers("rr"), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(workers("lb"), (std::vector<int>{0, 1, 1, 1}));
  ASSERT_TRUE(pools_->submit("one", {"a", "b", "c", "d", "e", "f"}, "test"));
  EXPECT_EQ(Serve("one").completed(), 6u);
  EXPECT_EQ(workers("one"), (std::vector<int>{0, 1, 2, 0, 1, 2}));
  ASSERT_TRUE(pools_->submit("rnd", {"a", "b", "c", "d", "e", "f"}, "test"));
  EXPECT_EQ(Serve("rnd").completed(), 6u);
  for (int w : workers("rnd")) EXPECT_TRUE(w >= 0 && w < 3) << w;
}

TEST_F(PoolTest, ScaleAndDrainReachAPoolServedByAnotherThread) {
  Open({}, "  workers: { agent: task, size: 1, strategy: round-robin }\n");
  orchestration::ServeOptions options;
  options.follow = true;
  options.poll = std::chrono::milliseconds(20);
  auto serving = std::async(std::launch::async, [&] { return pools_->serve("workers", options); });
  // Wait until it serves (its pid is the owner), then scale it to 3.
  for (int i = 0; i < 500 && pools_->status("workers")->state != "running"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(pools_->status("workers")->state, "running");
  ASSERT_TRUE(pools_->scale("workers", 3, "test"));
  for (int i = 0; i < 500 && pools_->status("workers")->size != 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a poll or more, so the server saw it
  ASSERT_TRUE(pools_->submit("workers", {"sleep:200:a", "sleep:200:b", "sleep:200:c"}, "test"));
  for (int i = 0; i < 1000 && pools_->status("workers")->tasks.completed < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto drained = pools_->drain("workers", "test");
  ASSERT_TRUE(drained);
  EXPECT_TRUE(*drained);
  ASSERT_EQ(serving.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto served = serving.get();
  ASSERT_TRUE(served) << served.error().to_string();
  EXPECT_TRUE(served->drained);
  EXPECT_EQ(served->completed(), 3u);
  std::vector<int> slots;
  for (const auto& task : Tasks("workers")) slots.push_back(task.worker);
  EXPECT_EQ(slots, (std::vector<int>{0, 1, 2}));  // three slots after the scale
  EXPECT_EQ(Audited("pool.scaled"), 1u);
  EXPECT_EQ(Audited("pool.drained"), 1u);
  EXPECT_EQ(pools_->status("workers")->state, "idle");
  // Not served any more: scale has nothing to act on.
  auto idle = pools_->scale("workers", 2, "test");
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code(), Code::kFailedPrecondition);
}

TEST_F(PoolTest, StopCancelsRunningTasksBackIntoTheQueue) {
  Open({}, "  workers: { agent: task, size: 2 }\n");
  ASSERT_TRUE(pools_->submit("workers", {"sleep:5000:a", "sleep:5000:b", "c"}, "test"));
  orchestration::ServeOptions options;
  options.poll = std::chrono::milliseconds(20);
  auto serving = std::async(std::launch::async, [&] { return pools_->serve("workers", options); });
  for (int i = 0; i < 500 && pools_->status("workers")->tasks.running < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(pools_->stop("workers", false, "test"));
  ASSERT_EQ(serving.wait_for(std::chrono::seconds(3)), std::future_status::ready);  // not the 5 s sleeps
  auto served = serving.get();
  ASSERT_TRUE(served) << served.error().to_string();
  EXPECT_TRUE(served->stopped);
  EXPECT_EQ(served->state, "cancelled");
  EXPECT_EQ(pools_->status("workers")->tasks.queued, 3);
  EXPECT_EQ(Audited("pool.stopped"), 1u);
}

TEST_F(PoolTest, AFanOutPoolHasNoQueueAndUnknownPoolsAreNotFound) {
  Open({"ok-a"}, "  research: { members: [ok-a] }\n");
  auto submitted = pools_->submit("research", {"x"}, "test");
  ASSERT_FALSE(submitted);
  EXPECT_EQ(submitted.error().code(), Code::kInvalidArgument);
  auto missing = pools_->run("ghost", "x", "", nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace naos
