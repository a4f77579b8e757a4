// trust.minimumTier and trust.capabilityTiers govern runs (docs/trust.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

// A new agent with one grant and no history scores in T3 (docs/trust.md).
std::string config_with(const std::string& trust) {
  return "name: t\ntrust: " + trust + "\nagents:\n  counter:\n    source: " + agent_path("kv-counter").string() +
         "\n    capabilities: { kv: true }\n";
}

TEST(CliTrustGate, AgentBelowMinimumTierIsRefusedWithTrustScoreLow) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml", config_with("{ minimumTier: T1 }"));
  auto result = run_naos({"run", "counter"}, dir.path());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("TRUST_SCORE_LOW (403)"), std::string::npos) << result.err;
  auto started = nlohmann::json::parse(run_naos({"audit", "--action", "agent.started", "--json"}, dir.path()).out);
  EXPECT_EQ(started.size(), 0u);
}

TEST(CliTrustGate, CapabilityAboveTheAgentsTierIsTakenAwayAndAudited) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml", config_with("{ capabilityTiers: { kv: T2 } }"));
  auto result = run_naos({"run", "counter", "--json"}, dir.path());
  EXPECT_EQ(result.exit_status, 1);
  auto outcome = nlohmann::json::parse(result.out);
  EXPECT_EQ(outcome["error"], "import_denied");
  auto denied = nlohmann::json::parse(run_naos({"audit", "--action", "capability.denied", "--json"}, dir.path()).out);
  ASSERT_GE(denied.size(), 1u);
  EXPECT_EQ(denied[0]["payload"]["reason"], "trust");
  EXPECT_EQ(denied[0]["payload"]["capability"], "kv");
}

TEST(CliTrustGate, WithinTheTierTheCapabilityIsKept) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml", config_with("{ capabilityTiers: { kv: T4 } }"));
  auto result = run_naos({"run", "counter"}, dir.path());
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "1\n");
}

// pools.<name>.minTier: a member below the pool's tier is refused and audited;
// one at the tier or better runs (every agent is T5 or better).
TEST(CliTrustGate, APoolRefusesAMemberBelowItsMinTierAndAuditsIt) {
  testing::TempDir dir;
  std::string actor = agent_path("actor").string();
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: t\nagents:\n  ok-a: { source: " + actor + ", capabilities: { kv: true } }\n"
                      "pools:\n  strict: { members: [ok-a], minTier: T1, tolerate: 0 }\n"
                      "  lenient: { members: [ok-a], minTier: T5 }\n");
  auto refused = run_naos({"pool", "run", "strict", "--input", "x", "--json"}, dir.path());
  EXPECT_EQ(refused.exit_status, 1) << refused.err;
  auto r = nlohmann::json::parse(refused.out, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << refused.out;
  EXPECT_EQ(r["state"], "failed");
  EXPECT_NE(r.dump().find("below pool strict's minTier T1"), std::string::npos) << r.dump();
  auto denied = nlohmann::json::parse(run_naos({"audit", "--action", "capability.denied", "--json"}, dir.path()).out);
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0]["payload"]["capability"], "pool:strict");
  EXPECT_EQ(denied[0]["payload"]["reason"], "trust");
  auto started = nlohmann::json::parse(run_naos({"audit", "--action", "agent.started", "--json"}, dir.path()).out);
  EXPECT_EQ(started.size(), 0u) << "the refused member ran";

  auto allowed = run_naos({"pool", "run", "lenient", "--input", "x"}, dir.path());
  EXPECT_EQ(allowed.exit_status, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("x>ok-a"), std::string::npos) << allowed.out;
}

}  // namespace
}  // namespace naos
