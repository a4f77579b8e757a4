// Many processes, one project (issue 11): any number of `naos` processes on
// one project behave like one. Every test here starts at least 32 real naos
// processes at once on one project directory and checks that none failed
// with "database is locked" and that no write was lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::CommandResult;
using testing::run_naos;

constexpr int kProcesses = 32;

// Runs `count` naos commands at once (command(i) gives the i-th one's
// arguments), released together so they really overlap, and returns their
// results in order.
std::vector<CommandResult> run_together(int count, const std::function<std::vector<std::string>(int)>& command,
                                        const std::filesystem::path& cwd) {
  std::vector<CommandResult> results(count);
  std::mutex mutex;
  std::condition_variable go;
  bool released = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock lock(mutex);
        go.wait(lock, [&] { return released; });
      }
      results[i] = run_naos(command(i), cwd);
    });
  }
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  go.notify_all();
  for (auto& thread : threads) thread.join();
  return results;
}

// Every result exited with `status` and none said "locked".
void expect_all(const std::vector<CommandResult>& results, int status) {
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].exit_status, status) << "process " << i << ": " << results[i].err;
    EXPECT_EQ(results[i].err.find("locked"), std::string::npos) << "process " << i << ": " << results[i].err;
  }
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  const std::filesystem::path& root() const { return dir_.path(); }
  CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  void write_config(const std::string& agents) {
    testing::write_file(root() / "nexus.config.yaml", "name: many\nagents:\n" + agents);
  }
  testing::TempDir dir_;
};

TEST_F(ConcurrencyTest, FortyRunsPayingOneCentEachAgainstABudgetLoseNoCentAndNoRun) {
  write_config("  payer:\n    source: " + agent_path("payer").string() + "\n");
  // Room for 30 of the 40 cents: the budget must refuse exactly 10 calls,
  // however the 40 processes interleave.
  auto set = naos({"cost", "set", "payer", "--budget", "30", "--period", "day"});
  ASSERT_EQ(set.exit_status, 0) << set.err;

  constexpr int kRuns = 40;
  auto results = run_together(kRuns, [](int) { return std::vector<std::string>{"run", "payer"}; }, root());
  expect_all(results, 0);
  int paid = 0, refused = 0;
  for (const auto& result : results) {
    if (result.out == "0") ++paid;
    if (result.out == "-6") ++refused;  // NEXUS_E_LIMIT: the budget said no
  }
  EXPECT_EQ(paid, 30);
  EXPECT_EQ(refused, 10);

  // The ledger holds one cent for each run that was told it paid, no more.
  auto history = naos({"cost", "history", "--json"});
  ASSERT_EQ(history.exit_status, 0) << history.err;
  auto rows = nlohmann::json::parse(history.out);
  EXPECT_EQ(rows.size(), static_cast<size_t>(paid));
  int64_t spent = 0;
  for (const auto& row : rows) spent += row["amount_microcents"].get<int64_t>();
  EXPECT_EQ(spent, int64_t{30} * 1'000'000);
  // Every run's start has its end in the audit log, and the chain is whole.
  auto started = nlohmann::json::parse(naos({"audit", "--action", "agent.started", "--json", "--limit", "1000"}).out);
  auto completed =
      nlohmann::json::parse(naos({"audit", "--action", "agent.completed", "--json", "--limit", "1000"}).out);
  EXPECT_EQ(started.size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(completed.size(), static_cast<size_t>(kRuns));
  auto verify = naos({"audit", "verify"});
  EXPECT_EQ(verify.exit_status, 0) << verify.err;
}

TEST_F(ConcurrencyTest, ParallelConfigEditsAreAllKept) {
  write_config("  echo:\n    source: " + agent_path("echo").string() + "\n");
  // Workflows, pools and agents from templates, all at once, all on one file.
  auto results = run_together(
      kProcesses + 8,
      [](int i) -> std::vector<std::string> {
        std::string n = std::to_string(i);
        if (i % 4 == 1) return {"pool", "create", "pool-" + n, "echo"};
        if (i % 4 == 2) return {"create", "agent-" + n, "--template", "echo"};
        return {"workflow", "create", "flow-" + n};
      },
      root());
  expect_all(results, 0);

  auto text = testing::read_file(root() / "nexus.config.yaml");
  auto config = naos({"config", "validate"});
  EXPECT_EQ(config.exit_status, 0) << config.err;
  for (int i = 0; i < kProcesses + 8; ++i) {
    std::string n = std::to_string(i);
    std::string entry = i % 4 == 1 ? "pool-" + n : i % 4 == 2 ? "agent-" + n : "flow-" + n;
    EXPECT_NE(text.find("  " + entry + ":"), std::string::npos) << entry << " was lost:\n" << text;
  }
  EXPECT_NE(text.find("  echo:"), std::string::npos) << text;
}

TEST_F(ConcurrencyTest, ConcurrentStepsAddedToOneWorkflowAreAllKept) {
  write_config("  echo:\n    source: " + agent_path("echo").string() + "\n");
  ASSERT_EQ(naos({"workflow", "create", "pipeline"}).exit_status, 0);
  auto results = run_together(
      kProcesses,
      [](int i) -> std::vector<std::string> {
        return {"workflow", "add-step", "pipeline", "echo", "--name", "step-" + std::to_string(i)};
      },
      root());
  expect_all(results, 0);
  auto text = testing::read_file(root() / "nexus.config.yaml");
  for (int i = 0; i < kProcesses; ++i) {
    EXPECT_NE(text.find("step-" + std::to_string(i)), std::string::npos) << "step " << i << " was lost:\n" << text;
  }
}

TEST_F(ConcurrencyTest, AuditVerifyRaisesNoFalseAlarmWhileOthersWrite) {
  write_config("  trivial:\n    source: " + agent_path("trivial").string() + "\n");
  ASSERT_EQ(naos({"run", "trivial"}).exit_status, 0);
  // Writers: naos runs, each appending its events, until the verifiers end.
  std::atomic<bool> done{false};
  std::atomic<int> writes{0}, failed_writes{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kProcesses - 8; ++w) {
    writers.emplace_back([&] {
      while (!done) {
        auto run = naos({"run", "trivial"});
        ++writes;
        if (run.exit_status != 0) ++failed_writes;
      }
    });
  }
  // Verifiers: 8 processes at a time, 64 verifications in all, meanwhile.
  std::vector<CommandResult> results;
  std::mutex results_mutex;
  std::vector<std::thread> verifiers;
  for (int v = 0; v < 8; ++v) {
    verifiers.emplace_back([&] {
      for (int i = 0; i < 8; ++i) {
        auto verify = naos({"audit", "verify"});
        std::lock_guard lock(results_mutex);
        results.push_back(std::move(verify));
      }
    });
  }
  for (auto& verifier : verifiers) verifier.join();
  done = true;
  for (auto& writer : writers) writer.join();
  expect_all(results, 0);
  EXPECT_GT(writes.load(), 0);
  EXPECT_EQ(failed_writes.load(), 0);
  auto final_verify = naos({"audit", "verify"});
  EXPECT_EQ(final_verify.exit_status, 0) << final_verify.err;
}

TEST_F(ConcurrencyTest, ASecondDaemonIsRefusedWithTheFirstOnesPid) {
  write_config("  ticker:\n    source: " + agent_path("trivial").string() + "\n    schedule: \"@every 1h\"\n");
  auto first = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{NAOS_BINARY, "--project", root().string(), "daemon"});
  // Its banner comes after it took the lock.
  ASSERT_NE(first->read_line().find("naos daemon: running scheduled agents"), std::string::npos);

  auto second = naos({"daemon"});
  EXPECT_EQ(second.exit_status, 2) << second.err;
  EXPECT_NE(second.err.find("another naos daemon (pid " + std::to_string(first->pid()) + ")"), std::string::npos)
      << second.err;
  EXPECT_EQ(second.out.find("running scheduled agents"), std::string::npos) << second.out;

  // Killed outright, the first leaves no stale lock: a new daemon starts.
  first->kill();
  first->wait();
  first.reset();
  testing::ChildProcess third({NAOS_BINARY, "--project", root().string(), "daemon"});
  EXPECT_NE(third.read_line().find("naos daemon: running scheduled agents"), std::string::npos);
  ::kill(third.pid(), SIGTERM);
  third.wait();
}

TEST_F(ConcurrencyTest, FortyConcurrentKvCounterRunsAdvanceItByExactlyForty) {
  write_config("  counter:\n    source: " + agent_path("kv-counter").string() +
               "\n    capabilities: { kv: true }\n");
  constexpr int kRuns = 40;
  auto results = run_together(kRuns, [](int) { return std::vector<std::string>{"run", "counter"}; }, root());
  expect_all(results, 0);
  // Each run saw a count of its own: 1 to 40, each once.
  std::set<std::string> counts;
  for (const auto& result : results) counts.insert(result.out);
  EXPECT_EQ(counts.size(), static_cast<size_t>(kRuns));
  for (int i = 1; i <= kRuns; ++i) EXPECT_TRUE(counts.count(std::to_string(i) + "\n")) << i;
  auto state = naos({"inspect", "counter", "--state", "--json"});
  ASSERT_EQ(state.exit_status, 0) << state.err;
  auto json = nlohmann::json::parse(state.out);
  EXPECT_EQ(json["state"]["count"], std::to_string(kRuns));
  EXPECT_TRUE(json["state"].contains("first_run"));
}

}  // namespace
}  // namespace naos
