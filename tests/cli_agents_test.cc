// init, create, build, run, status, stop, delete, config validate: the round
// trip of a project through the real `naos` binary.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class CliAgentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = run_naos({"init", "proj"}, dir_.path());
    ASSERT_EQ(init.exit_status, 0) << init.err;
  }
  std::filesystem::path root() const { return dir_.path() / "proj"; }
  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "") {
    return run_naos(args, root(), input);
  }
  nlohmann::json status(const std::string& name) {
    auto result = naos({"status", name, "--json"});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }
  testing::TempDir dir_;
};

TEST_F(CliAgentsTest, InitCreateBuildRunStatusAuditRoundTrip) {
  auto created = naos({"create", "bot", "--template", "echo"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  EXPECT_TRUE(std::filesystem::exists(root() / "agents" / "bot" / "main.c"));
  EXPECT_EQ(status("bot")["status"], "created");
  ASSERT_EQ(naos({"config", "validate"}).exit_status, 0);

  auto built = naos({"build", "bot"});
  ASSERT_EQ(built.exit_status, 0) << built.err;
  auto after_build = status("bot");
  EXPECT_EQ(after_build["status"], "idle");
  EXPECT_EQ(after_build["module_hash"].get<std::string>().size(), 64u);

  auto run = naos({"run", "bot", "--input", "round trip"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.out, "round trip");
  EXPECT_EQ(status("bot")["status"], "completed");

  auto audit = nlohmann::json::parse(naos({"audit", "--agent", "bot", "--json"}).out);
  std::vector<std::string> actions;
  for (const auto& e : audit) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"agent.created", "agent.built", "agent.started", "agent.completed"}));
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(CliAgentsTest, FailedRunLeavesTheAgentFailedAndANewRunIsAllowed) {
  ASSERT_EQ(naos({"create", "crasher", "--source", agent_path("exit_three").string()}).exit_status, 0);
  EXPECT_EQ(status("crasher")["status"], "idle");
  EXPECT_EQ(naos({"run", "crasher"}).exit_status, 1);
  EXPECT_EQ(status("crasher")["status"], "failed");
  EXPECT_EQ(naos({"run", "crasher"}).exit_status, 1);  // failed -> running is a new run
  auto failures = nlohmann::json::parse(naos({"audit", "--action", "agent.failed", "--json"}).out);
  EXPECT_EQ(failures.size(), 2u);
}

TEST_F(CliAgentsTest, CreateFromSourceCopiesTheModuleAndRefusesWhatIsNotWasm) {
  auto created = naos({"create", "ready", "--source", agent_path("trivial").string(), "--json"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  EXPECT_TRUE(std::filesystem::exists(root() / "agents" / "ready" / "ready.wasm"));
  EXPECT_EQ(naos({"run", "ready"}).exit_status, 0);
  testing::write_file(root() / "notwasm.wasm", "hello");
  auto refused = naos({"create", "fake", "--source", "notwasm.wasm"});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("not a WebAssembly module"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(root() / "agents" / "fake"));
}

TEST_F(CliAgentsTest, CreatingATakenNameIsAgentAlreadyExists) {
  ASSERT_EQ(naos({"create", "bot", "--template", "echo"}).exit_status, 0);
  auto again = naos({"create", "bot", "--template", "cron"});
  EXPECT_EQ(again.exit_status, 2);
  EXPECT_NE(again.err.find("AGENT_ALREADY_EXISTS (101)"), std::string::npos) << again.err;
  auto typo = naos({"create", "x", "--template", "ecoh"});
  EXPECT_NE(typo.err.find("did you mean echo?"), std::string::npos) << typo.err;
  auto neither = naos({"create", "y"});
  EXPECT_NE(neither.err.find("exactly one of --template"), std::string::npos) << neither.err;
}

TEST_F(CliAgentsTest, CreateFromConfigRegistersEveryConfiguredAgent) {
  testing::write_file(root() / "nexus.config.yaml", "name: p\nagents:\n  one:\n    source: " +
                                                        agent_path("echo").string() + "\n  two:\n    source: " +
                                                        agent_path("trivial").string() + "\n");
  auto created = naos({"create", "--from-config", "--json"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  auto agents = nlohmann::json::parse(created.out);
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0]["status"], "idle");
  EXPECT_EQ(nlohmann::json::parse(naos({"create", "--from-config", "--json"}).out).size(), 0u);
}

TEST_F(CliAgentsTest, RunningAgentCannotBeDeletedOrStartedTwiceAndStopThenDeleteWorks) {
  ASSERT_EQ(naos({"create", "bot", "--source", agent_path("sleeper").string()}).exit_status, 0);
  // Another process is running it (a minute, unless stopped).
  testing::ChildProcess runner({NAOS_BINARY, "--project", root().string(), "run", "bot", "--input", "60000"});
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (status("bot")["status"] != "running" && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status("bot")["status"], "running");
  auto busy = naos({"run", "bot"});
  EXPECT_EQ(busy.exit_status, 2);
  EXPECT_NE(busy.err.find("running already (naos process " + std::to_string(runner.pid()) + ")"), std::string::npos)
      << busy.err;
  auto refused = naos({"delete", "bot"});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("stop it first"), std::string::npos) << refused.err;
  // Issue 11: stop used to mark it stopped while it ran on; now the run ends.
  EXPECT_EQ(naos({"stop", "bot"}).exit_status, 0);
  EXPECT_EQ(status("bot")["status"], "stopped");
  int ended = runner.wait();
  EXPECT_TRUE(WIFEXITED(ended) && WEXITSTATUS(ended) == 1) << ended;
  EXPECT_EQ(naos({"delete", "bot"}).exit_status, 0);
  EXPECT_EQ(status("bot")["status"], "not created");  // still in the config
  auto events = nlohmann::json::parse(naos({"audit", "--agent", "bot", "--json"}).out);
  EXPECT_EQ(events.back()["action"], "agent.deleted");
  EXPECT_EQ(events[events.size() - 2]["action"], "agent.stopped");
}

TEST_F(CliAgentsTest, InspectShowsGrantsRecentEventsAndState) {
  testing::write_file(root() / "nexus.config.yaml", "name: p\nagents:\n  counter:\n    source: " +
                                                        agent_path("kv-counter").string() +
                                                        "\n    capabilities: { kv: true }\n");
  ASSERT_EQ(naos({"run", "counter"}).exit_status, 0);
  auto inspect = naos({"inspect", "counter", "--state", "--json"});
  ASSERT_EQ(inspect.exit_status, 0) << inspect.err;
  auto json = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(json["capabilities"]["kv"], true);
  EXPECT_EQ(json["state"]["count"], "1");
  EXPECT_EQ(json["recent_events"].size(), 2u);
}

TEST_F(CliAgentsTest, LogsShowTheTail) {
  testing::write_file(root() / "nexus.config.yaml",
                      "name: p\nagents:\n  logger:\n    source: " + agent_path("logger").string() + "\n");
  naos({"run", "logger"});
  naos({"run", "logger"});
  auto all = naos({"logs", "logger"});
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 14) << all.out;
  auto tail = naos({"logs", "logger", "--tail", "2"});
  EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 2) << tail.out;
  EXPECT_NE(tail.out.find("error level error"), std::string::npos) << tail.out;
}

TEST_F(CliAgentsTest, EditingTheConfigIsAuditedAsConfigChanged) {
  naos({"status"});
  auto before = nlohmann::json::parse(naos({"audit", "--action", "config.changed", "--json"}).out);
  ASSERT_EQ(before.size(), 1u);  // the first look at the config
  naos({"status"});
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--action", "config.changed", "--json"}).out).size(), 1u);
  auto config = testing::read_file(root() / "nexus.config.yaml");
  testing::write_file(root() / "nexus.config.yaml", config + "\n# an edit\n");
  auto after = nlohmann::json::parse(naos({"audit", "--action", "config.changed", "--json"}).out);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1]["payload"]["previous"], before[0]["payload"]["hash"]);
}

TEST_F(CliAgentsTest, InitRefusesAnExistingProject) {
  auto again = run_naos({"init", "proj"}, dir_.path());
  EXPECT_NE(again.exit_status, 0);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace naos
