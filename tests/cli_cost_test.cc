// `naos cost ...` through the real binary, with tests/agents/cost_user.wat,
// which declares $0.05 per run through nexus.cost_record.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class CliCostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = run_naos({"init", "proj"}, dir_.path());
    ASSERT_EQ(init.exit_status, 0) << init.err;
    auto created = naos({"create", "spender", "--source", agent_path("cost_user").string()});
    ASSERT_EQ(created.exit_status, 0) << created.err;
  }
  std::filesystem::path root() const { return dir_.path() / "proj"; }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  std::string status(const std::string& name) {
    auto result = naos({"status", name, "--json"});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out)["status"];
  }
  size_t events(const std::string& action) {
    auto result = naos({"audit", "--action", action, "--json"});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out).size();
  }
  testing::TempDir dir_;
};

TEST_F(CliCostTest, PauseAtTheBudgetThenResetLetsTheAgentRunAgain) {
  auto set = naos({"cost", "set", "spender", "--budget", "$0.10/day", "--json"});
  ASSERT_EQ(set.exit_status, 0) << set.err;
  auto set_json = nlohmann::json::parse(set.out);
  EXPECT_EQ(set_json["limit_cents"], 10);
  EXPECT_EQ(set_json["period"], "day");
  EXPECT_EQ(set_json["action"], "pause");

  // Two runs fit ($0.05 each, exactly the limit), the third is refused.
  for (int i = 0; i < 2; ++i) {
    auto run = naos({"run", "spender"});
    ASSERT_EQ(run.exit_status, 0) << run.err;
    EXPECT_EQ(run.out, "0");
  }
  EXPECT_EQ(status("spender"), "completed");
  auto refused = naos({"run", "spender"});
  EXPECT_EQ(refused.out, "-6");  // NEXUS_E_LIMIT
  EXPECT_EQ(status("spender"), "budget_exceeded");

  // A paused agent does not run at all.
  auto paused = naos({"run", "spender"});
  EXPECT_NE(paused.exit_status, 0);
  EXPECT_NE(paused.err.find("BUDGET_EXCEEDED (300)"), std::string::npos) << paused.err;

  auto cost_status = nlohmann::json::parse(naos({"cost", "status", "--json"}).out);
  ASSERT_EQ(cost_status.size(), 1u);
  EXPECT_EQ(cost_status[0]["agent"], "spender");
  EXPECT_EQ(cost_status[0]["spent"], "$0.10");
  EXPECT_EQ(cost_status[0]["remaining"], "$0.00");
  EXPECT_EQ(cost_status[0]["exceeded"], true);
  EXPECT_EQ(cost_status[0]["total"], "$0.10");
  EXPECT_GT(cost_status[0]["resets_in_ms"].get<int64_t>(), 0);
  auto table = naos({"cost", "status"});
  EXPECT_NE(table.out.find("AGENT"), std::string::npos);
  EXPECT_NE(table.out.find("$0.10/day"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("resets in"), std::string::npos) << table.out;

  auto history = nlohmann::json::parse(naos({"cost", "history", "--days", "1", "--json"}).out);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["amount"], "$0.05");
  EXPECT_EQ(history[0]["detail"], "search");
  EXPECT_EQ(history[0]["source"], "agent");

  EXPECT_EQ(events("cost.recorded"), 2u);
  EXPECT_EQ(events("cost.alert"), 1u);
  EXPECT_EQ(events("budget.exceeded"), 1u);
  EXPECT_EQ(events("cost.pause"), 1u);
  auto audit_text = naos({"audit", "--action", "cost.recorded"});
  EXPECT_NE(audit_text.out.find("$0.05"), std::string::npos) << audit_text.out;

  auto reset = naos({"cost", "reset", "spender"});
  ASSERT_EQ(reset.exit_status, 0) << reset.err;
  EXPECT_EQ(status("spender"), "idle");
  EXPECT_EQ(events("cost.reset"), 1u);
  auto again = naos({"run", "spender"});
  ASSERT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(again.out, "0");
  auto after = nlohmann::json::parse(naos({"cost", "status", "spender", "--json"}).out);
  EXPECT_EQ(after[0]["spent"], "$0.05");
  EXPECT_EQ(after[0]["total"], "$0.15");
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(CliCostTest, BudgetInCentsWithFlagsAndResetAll) {
  auto set = naos({"cost", "set", "spender", "--budget", "5", "--period", "week", "--alert-at", "50",
                   "--action", "warn"});
  ASSERT_EQ(set.exit_status, 0) << set.err;
  auto global = naos({"cost", "set", "global", "--budget", "$100/month"});
  ASSERT_EQ(global.exit_status, 0) << global.err;
  // warn: never refused, the agent keeps running over its budget.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(naos({"run", "spender"}).out, "0");
  EXPECT_EQ(status("spender"), "completed");
  auto all = nlohmann::json::parse(naos({"cost", "status", "--json"}).out);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["agent"], "global");
  EXPECT_EQ(all[0]["spent"], "$0.10");
  EXPECT_EQ(all[1]["budget"]["period"], "week");
  EXPECT_EQ(all[1]["budget"]["action"], "warn");
  EXPECT_EQ(all[1]["remaining"], "$0.00");
  auto reset = nlohmann::json::parse(naos({"cost", "reset", "--all", "--json"}).out);
  EXPECT_EQ(reset["reset"], (nlohmann::json{"global", "spender"}));
  EXPECT_EQ(events("cost.reset"), 2u);
}

TEST_F(CliCostTest, ErrorsCarryTheProductCodes) {
  auto bad = naos({"cost", "set", "spender", "--budget", "$1.001/day"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("INVALID_AMOUNT (302)"), std::string::npos) << bad.err;
  auto negative = naos({"cost", "set", "spender", "--budget", "-5", "--json"});
  EXPECT_NE(negative.exit_status, 0);
  EXPECT_EQ(nlohmann::json::parse(negative.out)["error"]["code"], 302);
  auto no_budget = naos({"cost", "reset", "spender"});
  EXPECT_NE(no_budget.exit_status, 0);
  EXPECT_NE(no_budget.err.find("BUDGET_NOT_FOUND (301)"), std::string::npos) << no_budget.err;
  auto no_agent = naos({"cost", "set", "ghost", "--budget", "$1/day"});
  EXPECT_NE(no_agent.exit_status, 0);
  EXPECT_NE(no_agent.err.find("AGENT_NOT_FOUND (100)"), std::string::npos) << no_agent.err;
  auto bad_period = naos({"cost", "set", "spender", "--budget", "$1/fortnight"});
  EXPECT_NE(bad_period.exit_status, 0);
}

// A hostile agent records INT64_MAX micro-cents twice (once enough to break
// `naos cost status` for good with "integer overflow" and make every other
// agent's cost_record fail with NEXUS_E_INTERNAL). Above the cap ($10,000,000
// per cost) is NEXUS_E_INVALID and recorded nowhere; the cap itself is
// recorded, and the sums stay exact.
TEST_F(CliCostTest, ACostAboveTheCapIsInvalidAndTheLedgerNeverOverflows) {
  ASSERT_EQ(naos({"create", "greedy", "--source", agent_path("cost_overflow").string()}).exit_status, 0);
  ASSERT_EQ(naos({"cost", "set", "global", "--budget", "$100/day", "--action", "warn"}).exit_status, 0);
  for (int i = 0; i < 2; ++i) {
    auto run = naos({"run", "greedy"});
    ASSERT_EQ(run.exit_status, 0) << run.err;
    EXPECT_EQ(run.out, "-4 -4 0 -4");  // INVALID, INVALID, OK (the cap), INVALID
  }
  auto spender = naos({"run", "spender"});
  ASSERT_EQ(spender.exit_status, 0) << spender.err;
  EXPECT_EQ(spender.out, "0") << "another agent's cost_record still works";

  auto status = naos({"cost", "status", "--json"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  auto all = nlohmann::json::parse(status.out);
  ASSERT_GE(all.size(), 1u);
  EXPECT_EQ(all[0]["agent"], "global");  // the global budget, over every agent
  EXPECT_EQ(all[0]["spent"], "$20000000.05");
  EXPECT_EQ(all[0]["exceeded"], true);
  auto greedy = naos({"cost", "status", "greedy", "--json"});
  ASSERT_EQ(greedy.exit_status, 0) << greedy.err;
  EXPECT_EQ(nlohmann::json::parse(greedy.out)[0]["total"], "$20000000.00");
  auto history = nlohmann::json::parse(naos({"cost", "history", "--agent", "greedy", "--json"}).out);
  EXPECT_EQ(history.size(), 2u) << "only the costs at the cap were recorded";
}

// A ledger an older naos let wrap (rows of INT64_MAX micro-cents) is summed
// without overflow: status reports the largest amount instead of failing,
// and other agents' costs are still recorded against the global budget.
TEST_F(CliCostTest, ALedgerBeyondSixtyFourBitsIsStillSummed) {
  ASSERT_EQ(naos({"cost", "set", "global", "--budget", "$100/day", "--action", "warn"}).exit_status, 0);
  ASSERT_EQ(naos({"run", "spender"}).out, "0");
  {
    auto db = store::Database::open(root() / "data" / "nexus.db");
    ASSERT_TRUE(db) << db.error().to_string();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*db)->exec("INSERT INTO cost_ledger(ts_ms, agent, amount_microcents, source, detail, "
                              "beyond_reservation_microcents) VALUES (strftime('%s','now') * 1000, 'spender', "
                              "9223372036854775807, 'agent', 'from an older naos', 0)"));
    }
  }
  auto status = naos({"cost", "status", "--json"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  EXPECT_EQ(status.err.find("overflow"), std::string::npos) << status.err;
  auto all = nlohmann::json::parse(status.out);
  ASSERT_GE(all.size(), 1u);
  EXPECT_EQ(all[0]["agent"], "global");
  EXPECT_EQ(all[0]["spent_microcents"], INT64_MAX) << "the sum saturates";
  auto table = naos({"cost", "status"});
  EXPECT_EQ(table.exit_status, 0) << table.err;
  auto again = naos({"run", "spender"});
  EXPECT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(again.out, "0") << "warn never refuses, and the sum no longer fails";
}

}  // namespace
}  // namespace naos
