// The sandbox, driven directly with real agents built from tests/agents and
// examples/agents: limits, hostile modules, imports, capabilities.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "capabilities/agent_host.h"
#include "sandbox/sandbox.h"
#include "sanitizer.h"
#include "test_support.h"

namespace naos {
namespace {

using sandbox::Failure;
using testing::agent_path;
using testing::read_file;

// Records what an agent did through its AgentCalls.
class RecordingCalls final : public sandbox::AgentCalls {
 public:
  void log(sandbox::LogLevel level, std::string_view line) override {
    lines.emplace_back(std::string(sandbox::log_level_name(level)) + " " + std::string(line));
  }
  int64_t time_now_ms() override { return 1'700'000'000'123; }
  Result<std::optional<std::string>> kv_get(std::string_view key) override {
    auto found = kv.find(std::string(key));
    if (found == kv.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  Status kv_set(std::string_view key, std::string_view value) override {
    kv[std::string(key)] = std::string(value);
    return ok();
  }
  Result<sandbox::HttpResponse> http(const sandbox::HttpRequest& request,
                                     std::chrono::steady_clock::time_point) override {
    return Error(Code::kPermissionDenied, "no network in this test", request.url);
  }

  std::vector<std::string> lines;
  std::map<std::string, std::string> kv;
};

class SandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto created = sandbox::Sandbox::create({});
    ASSERT_TRUE(created) << created.error().to_string();
    sandbox_ = created->release();
  }
  static void TearDownTestSuite() { delete sandbox_; }

  sandbox::RunOutcome run(const std::string& agent, sandbox::RunRequest request = {}) {
    auto module = sandbox_->load(read_file(agent_path(agent)));
    EXPECT_TRUE(module) << module.error().to_string();
    if (request.agent_name.empty()) request.agent_name = agent;
    auto outcome = sandbox_->run(**module, request, calls_);
    EXPECT_TRUE(outcome) << outcome.error().to_string();
    return *outcome;
  }

  static sandbox::Sandbox* sandbox_;
  RecordingCalls calls_;
};

sandbox::Sandbox* SandboxTest::sandbox_ = nullptr;

TEST_F(SandboxTest, EchoMirrorsItsInputAndLogs) {
  sandbox::RunRequest request;
  request.input = "hello, agent";
  auto outcome = run("echo", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "hello, agent");
  ASSERT_FALSE(calls_.lines.empty());
  EXPECT_EQ(calls_.lines.back(), "info echo: 12 bytes");
}

// ---- limits: each hostile agent ends with its named failure -------------

TEST_F(SandboxTest, InfiniteLoopEndsWithTimeout) {
  sandbox::RunRequest request;
  request.limits.timeout = std::chrono::milliseconds(200);
  auto outcome = run("infinite_loop", request);
  EXPECT_EQ(outcome.failure, Failure::kTimeout) << outcome.message;
  EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(200));
}

TEST_F(SandboxTest, SleepingPastTheTimeoutEndsWithTimeoutAtTheDeadline) {
  sandbox::RunRequest request;
  request.input = "60000";  // a minute
  request.limits.timeout = std::chrono::milliseconds(200);
  auto outcome = run("sleeper", request);
  EXPECT_EQ(outcome.failure, Failure::kTimeout) << outcome.message;
  EXPECT_LT(outcome.elapsed, std::chrono::seconds(30)) << "the sleep outlived the timeout";
}

TEST_F(SandboxTest, SleepShorterThanTheTimeoutCompletes) {
  sandbox::RunRequest request;
  request.input = "50";
  auto outcome = run("sleeper", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "woke\n");
  EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(50));
}

TEST_F(SandboxTest, MemoryGrowBombEndsWithMemoryLimitExceeded) {
  sandbox::RunRequest request;
  request.limits.memory_bytes = 16 * sandbox::kMiB;
  auto outcome = run("memory_bomb", request);
  EXPECT_EQ(outcome.failure, Failure::kMemoryLimitExceeded) << outcome.message;
  EXPECT_LE(outcome.memory_bytes, 16 * sandbox::kMiB);
}

TEST_F(SandboxTest, ModuleWhoseInitialMemoryIsOverTheLimitIsRefusedBeforeRunning) {
  sandbox::RunRequest request;
  request.limits.memory_bytes = 1 * sandbox::kMiB;  // the Go runtime starts with ~2.4 MiB
  request.grants.kv = true;
  auto outcome = run("go-greeter", request);
  EXPECT_EQ(outcome.failure, Failure::kMemoryLimitExceeded) << outcome.message;
  EXPECT_EQ(outcome.fuel_consumed, 0u);  // no guest code ran
}

TEST_F(SandboxTest, DeepRecursionEndsWithStackOverflow) {
  auto outcome = run("deep_recursion");
  EXPECT_EQ(outcome.failure, Failure::kStackOverflow) << outcome.message;
}

TEST_F(SandboxTest, GiantOutputEndsWithOutputTooLargeAndKeepsOnlyTheLimit) {
  sandbox::RunRequest request;
  request.limits.max_output_bytes = 100'000;
  auto outcome = run("giant_output", request);
  EXPECT_EQ(outcome.failure, Failure::kOutputTooLarge) << outcome.message;
  EXPECT_LE(outcome.output.size(), 100'000u);
}

TEST_F(SandboxTest, OutputExactlyAtTheLimitIsAllowedAndOneByteLessIsNot) {
  sandbox::RunRequest request;
  request.limits.max_output_bytes = 1000;
  auto at_limit = run("output_exact", request);
  EXPECT_TRUE(at_limit.ok()) << at_limit.message;
  EXPECT_EQ(at_limit.output, std::string(1000, 'a'));
  request.limits.max_output_bytes = 999;
  EXPECT_EQ(run("output_exact", request).failure, Failure::kOutputTooLarge);
}

TEST_F(SandboxTest, FuelBudgetEndsACpuBoundAgentWithFuelExhausted) {
  sandbox::RunRequest request;
  request.input = "100000000";
  request.limits.fuel = 100'000;
  auto outcome = run("busy_loop", request);
  EXPECT_EQ(outcome.failure, Failure::kFuelExhausted) << outcome.message;
  EXPECT_EQ(outcome.fuel_consumed, 100'000u);
}

TEST_F(SandboxTest, FuelIsCountedWhenThereIsNoLimit) {
  sandbox::RunRequest request;
  request.input = "1000";
  auto outcome = run("busy_loop", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_GT(outcome.fuel_consumed, 1000u);
}

TEST_F(SandboxTest, NonZeroExitIsAFailureWithItsStatus) {
  auto outcome = run("exit_three");
  EXPECT_EQ(outcome.failure, Failure::kExitStatus);
  EXPECT_EQ(outcome.exit_status, 3);
}

TEST_F(SandboxTest, TrapIsAFailureWithTheReason) {
  auto outcome = run("trap");
  EXPECT_EQ(outcome.failure, Failure::kTrap);
  EXPECT_NE(outcome.message.find("unreachable"), std::string::npos) << outcome.message;
}

// ---- imports: refused before any guest code runs ---------------------------

TEST_F(SandboxTest, UndeclaredImportIsRefusedNamingTheImport) {
  auto outcome = run("undeclared_import");
  EXPECT_EQ(outcome.failure, Failure::kImportDenied);
  EXPECT_NE(outcome.message.find("env.system"), std::string::npos) << outcome.message;
  EXPECT_EQ(outcome.fuel_consumed, 0u);
}

TEST_F(SandboxTest, ImportOfAFunctionThatIsNotInTheAbiIsRefused) {
  auto outcome = run("unknown_nexus_import");
  EXPECT_EQ(outcome.failure, Failure::kImportDenied);
  EXPECT_NE(outcome.message.find("nexus.launch_missiles"), std::string::npos) << outcome.message;
}

TEST_F(SandboxTest, ImportOfAnUngrantedCapabilityIsRefusedAndRecorded) {
  auto outcome = run("kv_user");
  EXPECT_EQ(outcome.failure, Failure::kImportDenied);
  EXPECT_NE(outcome.message.find("nexus.kv_set"), std::string::npos) << outcome.message;
  ASSERT_EQ(outcome.denials.size(), 1u);
  EXPECT_EQ(outcome.denials[0].capability, "kv");
  EXPECT_TRUE(calls_.kv.empty());
}

TEST_F(SandboxTest, GrantedCapabilityIsLinkedAndWorks) {
  sandbox::RunRequest request;
  request.grants.kv = true;
  auto outcome = run("kv_user", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(calls_.kv["key"], "value");
}

TEST_F(SandboxTest, ModuleWithoutStartIsInvalid) {
  auto outcome = run("no_start");
  EXPECT_EQ(outcome.failure, Failure::kInvalidModule);
  EXPECT_NE(outcome.message.find("_start"), std::string::npos);
}

TEST_F(SandboxTest, BytesThatAreNotWasmAreRefusedAtLoad) {
  auto module = sandbox_->load("#!/bin/sh\necho hello\n");
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().code(), Code::kInvalidArgument);
  auto truncated = read_file(agent_path("echo"));
  truncated.resize(truncated.size() / 2);
  auto broken = sandbox_->load(truncated);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), Code::kInvalidArgument);
}

TEST_F(SandboxTest, PointerOutsideMemoryGetsAnErrorCodeNotAHostCrash) {
  auto outcome = run("bad_pointer");
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "-4");  // NEXUS_E_INVALID
}

// ---- no ambient authority ---------------------------------------------------

TEST_F(SandboxTest, ReadingEtcPasswdWithoutAGrantFails) {
  auto outcome = run("read_passwd");
  EXPECT_TRUE(outcome.ok()) << outcome.output;  // exits 0 only when every read was denied
  EXPECT_EQ(outcome.output.find("root:"), std::string::npos);
  EXPECT_NE(outcome.output.find("/etc/passwd: denied"), std::string::npos) << outcome.output;
}

TEST_F(SandboxTest, EnvironmentVariablesOfTheHostAreInvisible) {
  setenv("SECRET", "hunter2", 1);
  auto outcome = run("read_env");
  unsetenv("SECRET");
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_NE(outcome.output.find("environ: 0"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("SECRET=(unset)"), std::string::npos) << outcome.output;
  EXPECT_EQ(outcome.output.find("hunter2"), std::string::npos);
}

TEST_F(SandboxTest, OnlyGrantedEnvironmentVariablesArePassed) {
  sandbox::RunRequest request;
  request.grants.env = {{"LANG", "C.UTF-8"}};
  auto outcome = run("read_env", request);
  EXPECT_NE(outcome.output.find("environ: 1"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("LANG=C.UTF-8"), std::string::npos) << outcome.output;
}

TEST_F(SandboxTest, NetworkCallWithoutAGrantIsRefusedAtLoad) {
  sandbox::RunRequest request;
  request.input = "http://127.0.0.1:1/";
  auto outcome = run("fetch", request);
  EXPECT_EQ(outcome.failure, Failure::kImportDenied);
  EXPECT_NE(outcome.message.find("capability network"), std::string::npos) << outcome.message;
}

TEST_F(SandboxTest, DeniedCallIsReturnedToTheGuestAndRecorded) {
  sandbox::RunRequest request;
  request.input = "http://127.0.0.1:1/";
  request.grants.network = sandbox::NetworkAccess::kRestricted;
  auto outcome = run("fetch", request);  // RecordingCalls denies every http call
  EXPECT_EQ(outcome.failure, Failure::kExitStatus);
  EXPECT_NE(outcome.output.find("error: denied"), std::string::npos) << outcome.output;
  ASSERT_EQ(outcome.denials.size(), 1u);
  EXPECT_EQ(outcome.denials[0].capability, "http");
}

// ---- logs ------------------------------------------------------------------

TEST_F(SandboxTest, StderrLinesAndNexusLogCallsReachTheLogWithTheirLevels) {
  auto outcome = run("logger");
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "logged\n");
  auto has = [this](const std::string& line) {
    return std::find(calls_.lines.begin(), calls_.lines.end(), line) != calls_.lines.end();
  };
  for (auto line : {"info line 1", "info line 2", "info line 3", "debug level debug", "info level info",
                    "warn level warn", "error level error"}) {
    EXPECT_TRUE(has(line)) << line;
  }
}

TEST_F(SandboxTest, GoAgentRunsWithTheGoSdk) {
  sandbox::RunRequest request;
  request.input = "naos\n";
  request.grants.kv = true;
  auto outcome = run("go-greeter", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "Hello, naos!\n");
  request.input = "count";
  EXPECT_EQ(run("go-greeter", request).output, "1\n");
  EXPECT_EQ(run("go-greeter", request).output, "2\n");
}

// ---- the same limits for an agent granted a writable folder -----------------
// Such an agent's stdout and stderr go through in-memory files instead of
// naos's fd_write (sandbox.h); every limit and the log must hold there too.

class FileRouteTest : public SandboxTest {
 protected:
  sandbox::RunRequest writable_request() {
    sandbox::RunRequest request;
    request.grants.preopens.push_back({folder_.path(), "/outputs", sandbox::Writable::kYes});
    return request;
  }
  testing::TempDir folder_;
};

TEST_F(FileRouteTest, OutputIsCapturedAndTheFolderIsWritable) {
  auto request = writable_request();
  request.input = "written through WASI";
  auto outcome = run("write_output", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message << outcome.output;
  EXPECT_EQ(outcome.output, "wrote 20 bytes\n");
  EXPECT_EQ(read_file(folder_.path() / "result.txt"), "written through WASI");
}

TEST_F(FileRouteTest, GiantOutputIsStoppedWithOutputTooLarge) {
  auto request = writable_request();
  request.limits.max_output_bytes = 100'000;
  auto outcome = run("giant_output", request);
  EXPECT_EQ(outcome.failure, Failure::kOutputTooLarge) << outcome.message;
  EXPECT_LE(outcome.output.size(), 100'000u);
}

TEST_F(FileRouteTest, OutputLimitIsExactAtTheEndOfTheRun) {
  auto request = writable_request();
  request.limits.max_output_bytes = 1000;
  EXPECT_TRUE(run("output_exact", request).ok());
  request.limits.max_output_bytes = 999;
  EXPECT_EQ(run("output_exact", request).failure, Failure::kOutputTooLarge);
}

TEST_F(FileRouteTest, InfiniteLoopEndsWithTimeout) {
  auto request = writable_request();
  request.limits.timeout = std::chrono::milliseconds(150);
  auto outcome = run("infinite_loop", request);
  EXPECT_EQ(outcome.failure, Failure::kTimeout) << outcome.message;
}

TEST_F(FileRouteTest, SleepingPastTheTimeoutEndsWithTimeout) {
  auto request = writable_request();
  request.input = "60000";
  request.limits.timeout = std::chrono::milliseconds(200);
  auto outcome = run("sleeper", request);
  EXPECT_EQ(outcome.failure, Failure::kTimeout) << outcome.message;
  EXPECT_LT(outcome.elapsed, std::chrono::seconds(30));
}

TEST_F(FileRouteTest, StderrLinesReachTheLog) {
  auto outcome = run("logger", writable_request());
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "logged\n");
  for (auto line : {"info line 1", "info line 3", "warn level warn"}) {
    EXPECT_NE(std::find(calls_.lines.begin(), calls_.lines.end(), line), calls_.lines.end()) << line;
  }
}

// ---- the host keeps running -------------------------------------------------

TEST_F(SandboxTest, HostKeepsRunningAgentsAfterEveryKindOfHostileAgent) {
  sandbox::RunRequest hostile;
  hostile.limits.timeout = std::chrono::milliseconds(100);
  hostile.limits.memory_bytes = 8 * sandbox::kMiB;
  for (auto agent : {"infinite_loop", "memory_bomb", "deep_recursion", "giant_output", "undeclared_import", "trap",
                     "read_passwd", "read_env", "bad_pointer"}) {
    run(agent, hostile);
  }
  sandbox::RunRequest request;
  request.input = "still here";
  auto outcome = run("echo", request);
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.output, "still here");
}

TEST_F(SandboxTest, ManyThreadsRunAgentsAtOnce) {
  auto module = sandbox_->load(read_file(agent_path("echo")));
  ASSERT_TRUE(module);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        RecordingCalls calls;
        sandbox::RunRequest request;
        request.agent_name = "echo";
        request.input = "thread " + std::to_string(t) + " run " + std::to_string(i);
        auto outcome = sandbox_->run(**module, request, calls);
        if (outcome && outcome->ok() && outcome->output == request.input) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 200);
}

TEST_F(SandboxTest, LoadFileReusesAnUnchangedFileAndNoticesAChangedOne) {
  testing::TempDir dir;
  auto file = dir.path() / "agent.wasm";
  testing::write_file(file, read_file(agent_path("echo")));
  auto first = sandbox_->load_file(file);
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = sandbox_->load_file(file);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*first)->hash(), (*sandbox_->load(read_file(agent_path("echo"))))->hash());

  // Rebuilt in place: another module under the same name.
  testing::write_file(file, read_file(agent_path("sleeper")));
  auto rebuilt = sandbox_->load_file(file);
  ASSERT_TRUE(rebuilt);
  EXPECT_NE((*rebuilt)->hash(), (*first)->hash());
  EXPECT_EQ((*rebuilt)->hash(), (*sandbox_->load(read_file(agent_path("sleeper"))))->hash());

  std::filesystem::remove(file);
  EXPECT_FALSE(sandbox_->load_file(file)) << "a deleted file still loaded from memory";
}

// Callers loading the same new bytes together wait for one compile.
TEST(SandboxLoad, ConcurrentLoadsOfNewBytesCompileOnce) {
  auto created = sandbox::Sandbox::create({});  // no cache folder: every miss compiles
  ASSERT_TRUE(created);
  auto& sandbox = **created;
  std::string bytes = read_file(agent_path("echo"));
  std::atomic<bool> go{false};
  std::atomic<int> loaded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      if (sandbox.load(bytes)) ++loaded;
    });
  }
  go.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(loaded.load(), 8);
  EXPECT_EQ(sandbox.compiled_modules(), 1u);
}

// More runs at once than execution.maxInstances: the extra ones wait for a
// slot instead of failing (Wasmtime's pool would refuse them with a trap).
// A sandbox of its own with `slots` instance slots.
std::unique_ptr<sandbox::Sandbox> sandbox_with_slots(uint32_t slots) {
  sandbox::SandboxOptions options;
  options.engine.max_instances = slots;
  auto created = sandbox::Sandbox::create(options);
  EXPECT_TRUE(created) << created.error().to_string();
  return created ? std::move(*created) : nullptr;
}

TEST(SandboxSlots, RunsBeyondMaxInstancesWaitForASlot) {
  auto owned = sandbox_with_slots(2);
  ASSERT_TRUE(owned);
  auto& sandbox = *owned;
  auto module = sandbox.load(read_file(agent_path("sleeper")));
  ASSERT_TRUE(module);
  std::atomic<int> good{0};
  std::vector<std::string> failures(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      RecordingCalls calls;
      sandbox::RunRequest request;
      request.agent_name = "sleeper";
      request.input = "100";
      auto outcome = sandbox.run(**module, request, calls);
      if (outcome && outcome->ok()) {
        ++good;
      } else {
        failures[t] = outcome ? outcome->message : outcome.error().to_string();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 6) << failures[0] << failures[1] << failures[2] << failures[3] << failures[4] << failures[5];
}

// Host calls that hold the agent inside its first kv_get until released, so
// a test knows the instance is alive (and holds its slot) without guessing a delay.
class HeldCalls final : public sandbox::AgentCalls {
 public:
  void log(sandbox::LogLevel, std::string_view) override {}
  int64_t time_now_ms() override { return 0; }
  Result<std::optional<std::string>> kv_get(std::string_view) override {
    inside = true;
    testing::poll_until([&] { return release.load(); }, std::chrono::seconds(60));
    return std::optional<std::string>();
  }
  Status kv_set(std::string_view, std::string_view) override { return ok(); }
  Result<sandbox::HttpResponse> http(const sandbox::HttpRequest& request,
                                     std::chrono::steady_clock::time_point) override {
    return Error(Code::kPermissionDenied, "no network in this test", request.url);
  }

  std::atomic<bool> inside{false}, release{false};
};

TEST(SandboxSlots, ARunThatWaitsForASlotPastItsTimeoutTimesOutSayingWhy) {
  auto owned = sandbox_with_slots(1);
  ASSERT_TRUE(owned);
  auto& sandbox = *owned;
  auto module = sandbox.load(read_file(agent_path("actor")));
  ASSERT_TRUE(module);
  HeldCalls held;
  std::thread holder([&] {
    sandbox::RunRequest request;
    request.agent_name = "count-holder";  // actor.c: reads kv "runs" first
    request.grants.kv = true;
    auto outcome = sandbox.run(**module, request, held);
    EXPECT_TRUE(outcome && outcome->ok());
  });
  ASSERT_TRUE(testing::poll_until([&] { return held.inside.load(); }, std::chrono::seconds(60)))
      << "the holder never reached its first host call";
  RecordingCalls calls;
  sandbox::RunRequest request;
  request.agent_name = "ok-waiter";
  request.grants.kv = true;  // actor.wasm imports kv_get and kv_set
  request.limits.timeout = std::chrono::milliseconds(200);
  auto outcome = sandbox.run(**module, request, calls);
  held.release = true;
  holder.join();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->failure, Failure::kTimeout);
  EXPECT_NE(outcome->message.find("execution.maxInstances = 1"), std::string::npos) << outcome->message;
}

// 1,000 agents in a row in one process: memory must not grow beyond the
// module cache, which is warm before the measurement starts.
TEST_F(SandboxTest, ThousandRunsInARowDoNotGrowMemory) {
  if (testing::kUnderAddressSanitizer) {
    GTEST_SKIP() << "AddressSanitizer's quarantine keeps freed memory resident on purpose; RSS says nothing here";
  }
  auto module = sandbox_->load(read_file(agent_path("echo")));
  ASSERT_TRUE(module);
  auto run_many = [&](int n) {
    for (int i = 0; i < n; ++i) {
      RecordingCalls calls;
      sandbox::RunRequest request;
      request.agent_name = "echo";
      request.input = std::string(4096, 'x');
      auto outcome = sandbox_->run(**module, request, calls);
      ASSERT_TRUE(outcome && outcome->ok());
    }
  };
  run_many(200);  // warm: pooling slots, allocator arenas, the module's pre-instance
  uint64_t before = testing::resident_bytes();
  run_many(1000);
  uint64_t after = testing::resident_bytes();
  int64_t growth = static_cast<int64_t>(after) - static_cast<int64_t>(before);
  RecordProperty("rss_growth_bytes", std::to_string(growth));
  // A leak of even 2 KiB per run would be 2 MB here.
  EXPECT_LT(growth, 2 * 1024 * 1024) << "RSS grew from " << before << " to " << after;
}

}  // namespace
}  // namespace naos
