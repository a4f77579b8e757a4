// Issue 11, items 8, 9 and 11 through the real binary: a module path is not
// an agent's identity, compensations do not lower a Credit Rating, a
// supervisor that gives up exits 1 (tests/cli_supervisor_test.cc), and
// usage errors exit 2 with a suggestion of what was meant.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/sha256.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class CliUsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string actor = agent_path("actor").string();
    std::string config = "name: usage\nagents:\n";
    for (const char* name : {"ok-reserve", "ok-undo", "fail-charge", "status-reporter"}) {
      config += std::string("  ") + name + ": { source: " + actor + ", capabilities: { kv: true } }\n";
    }
    config += "sagas:\n  order:\n    steps:\n"
              "      - { name: reserve, agent: ok-reserve, compensate: ok-undo }\n"
              "      - { name: charge, agent: fail-charge }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  nlohmann::json json(const std::vector<std::string>& args) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }
  testing::TempDir dir_;
};

// ---- identity: a module path is not an agent ------------------------------------

TEST_F(CliUsageTest, AModulePathNamedLikeAnAgentRunsAsItsOwnAnonymousIdentity) {
  std::string bytes = testing::read_file(agent_path("trivial"));
  std::filesystem::create_directories(root() / "other");
  testing::write_file(root() / "other" / "ok-reserve.wasm", bytes);
  std::string identity = "module:" + sha256_hex(bytes).substr(0, 12);
  for (int i = 0; i < 3; ++i) {
    auto run = json({"run", "other/ok-reserve.wasm", "--json"});
    EXPECT_EQ(run["agent"], identity);
  }
  // Nothing of it is the agent ok-reserve's: not one audit event, so not its trust either.
  auto theirs = json({"audit", "--agent", "ok-reserve", "--json"});
  EXPECT_TRUE(theirs.empty()) << theirs.dump();
  auto its_own = json({"audit", "--agent", identity, "--action", "agent.completed", "--json"});
  EXPECT_EQ(its_own.size(), 3u);
  // The agent's own module, by name, is still the agent.
  EXPECT_EQ(json({"run", "ok-reserve", "--input", "x", "--json"})["agent"], "ok-reserve");
}

// ---- trust: a compensation is good behaviour --------------------------------------

TEST_F(CliUsageTest, AgentsThatOnlyCompensateKeepATopCreditRating) {
  for (int i = 0; i < 10; ++i) {
    auto saga = naos({"saga", "run", "order", "--input", "x"});
    ASSERT_EQ(saga.exit_status, 1) << saga.err;  // rolled back: charge always fails
  }
  auto compensated = json({"audit", "--agent", "ok-undo", "--action", "saga.compensated", "--json"});
  ASSERT_EQ(compensated.size(), 10u);
  auto trust = json({"axis", "status", "ok-undo", "--json"});
  EXPECT_EQ(trust["transactions"], 10) << trust.dump();
  EXPECT_EQ(trust["rating"], "AAA") << trust.dump();  // it was CCC: (10*1000 + 10*500) / 20
}

// ---- usage errors ---------------------------------------------------------------

TEST_F(CliUsageTest, AMistypedCommandSuggestsTheOneMeantAndExitsTwo) {
  auto typo = naos({"stauts"});
  EXPECT_EQ(typo.exit_status, 2);
  EXPECT_NE(typo.err.find("error: unknown command 'stauts'; did you mean 'status'?"), std::string::npos) << typo.err;
  auto swapped = naos({"lsit"});
  EXPECT_EQ(swapped.exit_status, 2);
  EXPECT_NE(swapped.err.find("did you mean 'list'?"), std::string::npos) << swapped.err;
  auto nested = naos({"--project", root().string(), "supervisor", "stauts"});
  EXPECT_EQ(nested.exit_status, 2);
  EXPECT_NE(nested.err.find("unknown command 'stauts' for 'naos supervisor'; did you mean 'status'?"),
            std::string::npos)
      << nested.err;
  auto far = naos({"frobnicate"});
  EXPECT_EQ(far.exit_status, 2);
  EXPECT_NE(far.err.find("unknown command 'frobnicate' (commands: "), std::string::npos) << far.err;
}

TEST_F(CliUsageTest, EveryUsageErrorExitsTwoNotCli11sCodes) {
  auto missing_command = naos({"secret"});
  EXPECT_EQ(missing_command.exit_status, 2);
  EXPECT_NE(missing_command.err.find("'naos secret' needs a command: set, list, delete"), std::string::npos)
      << missing_command.err;
  auto missing_argument = naos({"run"});  // CLI11 said 106
  EXPECT_EQ(missing_argument.exit_status, 2);
  EXPECT_NE(missing_argument.err.find("see 'naos run --help'"), std::string::npos) << missing_argument.err;
  auto unknown_flag = naos({"run", "ok-reserve", "--bogus"});  // CLI11 said 109
  EXPECT_EQ(unknown_flag.exit_status, 2);
  EXPECT_NE(unknown_flag.err.find("--bogus"), std::string::npos) << unknown_flag.err;
  auto bad_value = naos({"logs", "ok-reserve", "--tail", "many"});  // CLI11 said 105
  EXPECT_EQ(bad_value.exit_status, 2);
  auto as_json = naos({"--json", "stauts"});
  EXPECT_EQ(as_json.exit_status, 2);
  auto parsed = nlohmann::json::parse(as_json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << as_json.out;
  EXPECT_EQ(parsed["ok"], false);
  EXPECT_EQ(parsed["error"]["kind"], "invalid_argument");
  EXPECT_EQ(naos({"--help"}).exit_status, 0);
  EXPECT_EQ(naos({"--version"}).exit_status, 0);
}

TEST_F(CliUsageTest, AMistypedAgentNameSuggestsTheAgent) {
  auto run = naos({"run", "ok-reserv"});
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_NE(run.err.find("AGENT_NOT_FOUND (100)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("did you mean 'ok-reserve'?"), std::string::npos) << run.err;
  auto status = naos({"status", "ok-und"});
  EXPECT_EQ(status.exit_status, 2);
  EXPECT_NE(status.err.find("did you mean 'ok-undo'?"), std::string::npos) << status.err;
}

}  // namespace
}  // namespace naos
