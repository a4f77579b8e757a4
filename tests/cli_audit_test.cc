// The audit log, secrets and agent status through the real `naos` binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "governance/audit_log.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;
using testing::write_file;

class CliAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path() / "nexus.config.yaml", "name: audit-test\nagents:\n  echo:\n    source: " +
                                                      agent_path("echo").string() + "\n  fetcher:\n    source: " +
                                                      agent_path("fetch").string() +
                                                      "\n    capabilities: { network: restricted, allowedHosts: "
                                                      "[\"127.0.0.1:1\"] }\n  env-reader:\n    source: " +
                                                      agent_path("read_env").string() +
                                                      "\n    capabilities: { env: [API_KEY] }\n");
  }
  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "",
                              const std::map<std::string, std::string>& env = {}) {
    return run_naos(args, dir_.path(), input, env);
  }
  testing::TempDir dir_;
};

TEST_F(CliAuditTest, RunsAreAuditedAsStartedAndCompletedOrFailed) {
  ASSERT_EQ(naos({"run", "echo", "--input", "hi"}).exit_status, 0);
  naos({"run", agent_path("trap").string()});
  auto result = naos({"audit", "--last", "10"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("] agent.started    echo"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("] agent.completed  echo"), std::string::npos) << result.out;
  // A module outside every agent's source is its own anonymous agent.
  EXPECT_NE(result.out.find("] agent.failed     module:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  trap: wasm trap"), std::string::npos) << result.out;
}

TEST_F(CliAuditTest, DeniedCapabilityCallsAreAudited) {
  naos({"run", "fetcher", "--input", "http://127.0.0.2:1/"});
  auto result = naos({"audit", "--action", "capability.denied", "--json"});
  auto events = nlohmann::json::parse(result.out);
  ASSERT_EQ(events.size(), 1u) << result.out;
  EXPECT_EQ(events[0]["agent_name"], "fetcher");
  EXPECT_EQ(events[0]["payload"]["capability"], "http");
}

TEST_F(CliAuditTest, JsonHasTheDocumentedFieldsAndFiltersWork) {
  naos({"run", "echo", "--input", "a"});
  naos({"run", agent_path("trivial").string()});
  auto result = naos({"audit", "--agent", "echo", "--format", "json"});
  auto events = nlohmann::json::parse(result.out);
  ASSERT_EQ(events.size(), 2u) << result.out;
  for (auto key : {"id", "timestamp", "agent_id", "agent_name", "action", "detail", "hash", "prev_hash"}) {
    EXPECT_TRUE(events[0].contains(key)) << key;
  }
  EXPECT_EQ(events[1]["prev_hash"], events[0]["hash"]);
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--filter", "agent", "--json"}).out).size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--filter", "cost", "--json"}).out).size(), 0u);
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--days", "1", "--limit", "3", "--json"}).out).size(), 3u);
}

TEST_F(CliAuditTest, ExportWritesTheEventsToAFile) {
  naos({"run", "echo", "--input", "a"});
  auto result = naos({"audit", "--format", "json", "--output", "export.json"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto events = nlohmann::json::parse(testing::read_file(dir_.path() / "export.json"));
  EXPECT_EQ(events.size(), 3u);  // config.changed (the first look at the config), started, completed
}

TEST_F(CliAuditTest, VerifyPassesOnAnIntactLogAndNamesTheFirstBrokenEvent) {
  for (int i = 0; i < 3; ++i) naos({"run", "echo", "--input", "x"});
  auto good = naos({"audit", "verify"});
  EXPECT_EQ(good.exit_status, 0) << good.err;
  EXPECT_NE(good.out.find("ok: audit chain intact: 7 events"), std::string::npos) << good.out;
  {
    auto db = std::move(*store::Database::open(dir_.path() / "data" / "nexus.db"));
    ASSERT_TRUE(db->exec("UPDATE audit_events SET agent = 'someone-else' WHERE seq = 3"));
  }
  auto bad = naos({"audit", "verify"});
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_NE(bad.err.find("VERIFICATION_FAILED (401): audit chain broken at event #3"), std::string::npos) << bad.err;
}

TEST_F(CliAuditTest, SecretsAreStoredEncryptedNeverPrintedAndReachOnlyGrantedAgents) {
  auto set = naos({"secret", "set", "API_KEY"}, "sk-very-secret\n");
  ASSERT_EQ(set.exit_status, 0) << set.err;
  auto list = naos({"secret", "list"});
  EXPECT_NE(list.out.find("API_KEY"), std::string::npos);
  EXPECT_EQ(list.out.find("sk-very-secret"), std::string::npos);
  // The granted agent receives it as an environment variable.
  auto run = naos({"run", "env-reader"});
  EXPECT_NE(run.out.find("API_KEY=sk-very-secret"), std::string::npos) << run.out << run.err;
  // Nothing on disk or in the audit log holds the value in clear.
  EXPECT_EQ(testing::read_file(dir_.path() / "data" / "nexus.db").find("sk-very-secret"), std::string::npos);
  auto audit = naos({"audit", "--json"});
  EXPECT_EQ(audit.out.find("sk-very-secret"), std::string::npos);
  EXPECT_NE(audit.out.find("secret.accessed"), std::string::npos);
  EXPECT_EQ(naos({"secret", "delete", "API_KEY"}).exit_status, 0);
  EXPECT_NE(naos({"secret", "delete", "API_KEY"}).exit_status, 0);
}

TEST_F(CliAuditTest, StatusListsConfigAgentsThatAreNotCreatedYet) {
  auto result = naos({"status", "--json"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto agents = nlohmann::json::parse(result.out);
  ASSERT_EQ(agents.size(), 3u);
  EXPECT_EQ(agents[0]["name"], "echo");
  EXPECT_EQ(agents[0]["status"], "not created");
  auto missing = naos({"status", "ghost"});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("AGENT_NOT_FOUND (100)"), std::string::npos) << missing.err;
}

TEST_F(CliAuditTest, FollowPrintsNewEventsAsTheyHappenUntilInterrupted) {
  naos({"run", "echo", "--input", "before"});
  auto out_file = dir_.path() / "follow.out";
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir_.path().c_str()) != 0) _exit(127);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    execl(NAOS_BINARY, NAOS_BINARY, "audit", "--follow", "--json", "--last", "1", nullptr);
    _exit(127);
  }
  auto lines_written = [&] {
    std::string text;
    try {
      text = testing::read_file(out_file);
    } catch (const std::exception&) {
    }
    return std::count(text.begin(), text.end(), '\n');
  };
  // The last event before, printed at once; then the follower is following.
  EXPECT_TRUE(testing::poll_until([&] { return lines_written() >= 1; }, std::chrono::seconds(60)));
  naos({"run", "echo", "--input", "after"});
  EXPECT_TRUE(testing::poll_until([&] { return lines_written() >= 3; }, std::chrono::seconds(60)));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "follow did not stop cleanly on Ctrl-C";
  std::istringstream lines(testing::read_file(out_file));
  std::vector<std::string> actions;
  for (std::string line; std::getline(lines, line);) actions.push_back(nlohmann::json::parse(line)["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"agent.completed", "agent.started", "agent.completed"}));
}

TEST_F(CliAuditTest, CommandsOutsideAProjectSayHowToMakeOne) {
  testing::TempDir elsewhere;
  auto result = run_naos({"audit"}, elsewhere.path());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("not inside a naos project"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace naos
