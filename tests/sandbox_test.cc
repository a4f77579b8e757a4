// The sandbox, driven directly with real agents built from tests/agents and
// examples/agents: limits, hostile modules, imports, capabilities.
#include <gtest/gtest.h>

#include "capabilities/agent_host.h"
#include "sandbox/sandbox.h"
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

}  // namespace
}  // namespace naos
