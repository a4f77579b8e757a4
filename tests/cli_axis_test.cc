// `naos axis register|verify|status|list|cache` through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class AxisCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_naos({"init", "proj"}, dir_.path()).exit_status, 0);
    ASSERT_EQ(naos({"create", "bot", "--source", agent_path("echo").string()}).exit_status, 0);
    auto config = testing::read_file(root() / "nexus.config.yaml");
    config +=
        "    capabilities: { kv: true }\n"
        "    tests:\n"
        "      - { input: ping, expect: ping }\n"
        "      - { input: hello, expect: \"hello\\n\" }\n"
        "      - { input: x, expect: y }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
  }
  std::filesystem::path root() const { return dir_.path() / "proj"; }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  nlohmann::json json(const std::vector<std::string>& args) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }
  int points(const nlohmann::json& report, const std::string& name) {
    for (const auto& c : report["criteria"]) {
      if (c["name"] == name) return c["points"];
    }
    return -1;
  }
  testing::TempDir dir_;
};

TEST_F(AxisCliTest, RegisterVerifyStatusListAndCache) {
  auto before = json({"axis", "status", "bot", "--json"});
  // Not registered, clean, no breaches, kv granted but unused, not verified.
  EXPECT_EQ(before["t_score"], 40);
  EXPECT_EQ(before["tier"], "T4");

  auto registered = json({"axis", "register", "bot", "--json"});
  EXPECT_EQ(registered["module_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(points(registered["trust"], "signature"), 20);

  auto verified = json({"axis", "verify", "bot", "--json"});
  EXPECT_EQ(verified["passed"], 2);  // the third expects "y" for input "x"
  EXPECT_EQ(verified["total"], 3);
  EXPECT_EQ(points(verified["trust"], "tests"), 13);  // 20 * 2 / 3
  EXPECT_EQ(verified["trust"]["t_score"], 73);
  EXPECT_EQ(verified["trust"]["tier"], "T2");

  // The stored trust.changed events follow the tier: T4 -> T3 -> T2.
  auto changes = json({"audit", "--action", "trust.changed", "--json"});
  ASSERT_EQ(changes.size(), 3u);
  auto detail = changes.back()["detail"].get<std::string>();
  EXPECT_NE(detail.find("to=T2"), std::string::npos) << detail;
  EXPECT_NE(detail.find("t_score=73"), std::string::npos) << detail;

  // Recomputing from the audit log gives the same score.
  auto status = json({"axis", "status", "bot", "--json"});
  EXPECT_EQ(status["t_score"], 73);
  EXPECT_EQ(status["criteria"], verified["trust"]["criteria"]);
  EXPECT_EQ(json({"audit", "--action", "trust.changed", "--json"}).size(), 3u);  // no change, no event

  auto list = json({"axis", "list", "--json"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["tier"], "T2");
  EXPECT_EQ(json({"axis", "cache", "--json"})["agents"]["bot"]["t_score"], 73);
  EXPECT_EQ(naos({"axis", "cache", "--clear"}).exit_status, 0);
  EXPECT_TRUE(json({"axis", "cache", "--json"})["agents"].empty());
  auto text = naos({"axis", "verify", "--all"});
  EXPECT_EQ(text.exit_status, 0) << text.err;
  EXPECT_NE(text.out.find("bot T2 (73)"), std::string::npos) << text.out;
}

// The capabilities criterion comes from the audit log alone: each run's
// agent.completed lists what it called. kv_user sets a key; its env grant is
// never read (the module does not import environ_get), so it stays unused.
TEST(AxisCapabilities, ARunsCalledCapabilitiesAreInItsEventAndEarnTheCriterion) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: p\nagents:\n  keeper:\n    source: " + agent_path("kv_user").string() +
                          "\n    capabilities: { kv: true, env: [HOME] }\n  reader:\n    source: " +
                          agent_path("read_env").string() + "\n    capabilities: { env: [HOME] }\n");
  ASSERT_EQ(run_naos({"create", "--from-config"}, dir.path()).exit_status, 0);
  auto points = [&](const std::string& agent = "keeper") {
    auto status = nlohmann::json::parse(run_naos({"axis", "status", agent, "--json"}, dir.path()).out);
    for (const auto& c : status["criteria"]) {
      if (c["name"] == "capabilities") return c;
    }
    return nlohmann::json();
  };
  EXPECT_EQ(points()["points"], 0);  // nothing used yet

  auto run = run_naos({"run", "keeper"}, dir.path());
  ASSERT_EQ(run.exit_status, 0) << run.err;
  auto completed = nlohmann::json::parse(run_naos({"audit", "--action", "agent.completed", "--json"}, dir.path()).out);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_NE(completed[0].dump().find("capabilities_used"), std::string::npos) << completed[0];
  auto capabilities = points();
  EXPECT_EQ(capabilities["points"], 10) << capabilities;  // kv of kv and env
  EXPECT_EQ(capabilities["factors"]["used"], nlohmann::json::array({"kv"})) << capabilities;
  EXPECT_EQ(capabilities["factors"]["unused"], nlohmann::json::array({"env"})) << capabilities;

  // read_env reads its environment (it imports environ_get): env is used.
  ASSERT_EQ(run_naos({"run", "reader"}, dir.path(), "", {{"HOME", "/home/test"}}).exit_status, 0);
  EXPECT_EQ(points("reader")["points"], 20) << points("reader");
}

TEST_F(AxisCliTest, DirectoryListsRegisteredAgentsBySearchAndTier) {
  EXPECT_NE(naos({"axis", "directory"}).out.find("no agents registered yet"), std::string::npos);
  EXPECT_TRUE(json({"axis", "directory", "--json"}).empty());  // created, not registered

  auto registered = json({"axis", "register", "bot", "--json"});
  auto directory = json({"axis", "directory", "--json"});
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory[0]["auid"], registered["auid"]);
  EXPECT_EQ(directory[0]["agent"], "bot");
  EXPECT_EQ(directory[0]["tier"], registered["trust"]["tier"]);
  EXPECT_EQ(directory[0]["module_hash"], registered["module_hash"]);
  EXPECT_NE(naos({"axis", "directory"}).out.find(registered["auid"].get<std::string>()), std::string::npos);

  EXPECT_EQ(json({"axis", "directory", "--search", "BO", "--json"}).size(), 1u);  // any case
  EXPECT_TRUE(json({"axis", "directory", "--search", "nobody", "--json"}).empty());
  EXPECT_EQ(json({"axis", "directory", "--tier", "T5", "--json"}).size(), 1u);  // T3 is T5 or better
  EXPECT_TRUE(json({"axis", "directory", "--tier", "T1", "--json"}).empty());
  auto bad = naos({"axis", "directory", "--tier", "T9"});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("--tier is one of T1"), std::string::npos) << bad.err;
}

// `naos run --verify-trust` runs only the module `axis register` recorded.
TEST_F(AxisCliTest, VerifyTrustRunsOnlyTheRegisteredModule) {
  auto unregistered = naos({"run", "bot", "--input", "hi", "--verify-trust"});
  EXPECT_EQ(unregistered.exit_status, 2);
  EXPECT_NE(unregistered.err.find("VERIFICATION_FAILED (401)"), std::string::npos) << unregistered.err;
  EXPECT_NE(unregistered.err.find("not registered"), std::string::npos) << unregistered.err;

  ASSERT_EQ(naos({"axis", "register", "bot"}).exit_status, 0);
  auto verified = naos({"run", "bot", "--input", "hi", "--verify-trust"});
  EXPECT_EQ(verified.exit_status, 0) << verified.err;
  EXPECT_EQ(verified.out, "hi");

  // The module is replaced after registration: refused with --verify-trust,
  // still run without it.
  testing::write_file(root() / "agents" / "bot" / "bot.wasm", testing::read_file(agent_path("trivial")));
  auto changed = naos({"run", "bot", "--input", "hi", "--verify-trust", "--json"});
  EXPECT_EQ(changed.exit_status, 2);
  auto error = nlohmann::json::parse(changed.out);
  EXPECT_EQ(error["error"]["code"], 401) << error;
  EXPECT_NE(error["error"]["message"].get<std::string>().find("module changed since registration"), std::string::npos)
      << error;
  EXPECT_EQ(naos({"run", "bot", "--input", "hi"}).exit_status, 0);
}

TEST_F(AxisCliTest, UnknownAgentIsAgentNotFound) {
  auto result = naos({"axis", "status", "ghost"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("AGENT_NOT_FOUND"), std::string::npos) << result.err;
  EXPECT_EQ(naos({"axis", "verify"}).exit_status, 2);  // neither a name nor --all
}

}  // namespace
}  // namespace naos
