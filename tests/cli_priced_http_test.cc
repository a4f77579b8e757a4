// cost.endpoints: an HTTP call to a priced endpoint reserves its price
// against the agent's budget before it is sent and settles it after.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

TEST(CliPricedHttp, PricedCallsAreChargedAndTheBudgetStopsTheOneThatWouldCrossIt) {
  testing::LocalHttpServer server;
  int hits = 0;
  server.server().Get("/answer", [&hits](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_content("42", "text/plain");
  });
  server.start();
  std::string host = "127.0.0.1:" + std::to_string(server.port());
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: p\ncost:\n  endpoints:\n    \"" + host +
                          "\": { costPerCall: 5 }\n  budgets:\n    fetcher: { limit: 12, period: day, onExceed: pause "
                          "}\nagents:\n  fetcher:\n    source: " +
                          agent_path("fetch").string() +
                          "\n    capabilities: { network: restricted, allowedHosts: [\"" + host + "\"] }\n");
  ASSERT_EQ(run_naos({"create", "--from-config"}, dir.path()).exit_status, 0);
  for (int i = 0; i < 2; ++i) {
    auto paid = run_naos({"run", "fetcher", "--input", server.url("/answer")}, dir.path());
    ASSERT_EQ(paid.exit_status, 0) << paid.err;
    EXPECT_EQ(paid.out, "status 200\n42");
  }
  // 10 of 12 cents spent: a third 5-cent call would cross the limit and is never sent.
  auto refused = run_naos({"run", "fetcher", "--input", server.url("/answer")}, dir.path());
  EXPECT_EQ(refused.out, "error: limit\n") << refused.err;
  EXPECT_EQ(hits, 2);
  auto ledger = nlohmann::json::parse(run_naos({"audit", "--action", "cost.recorded", "--json"}, dir.path()).out);
  EXPECT_EQ(ledger.size(), 2u);
  auto status = nlohmann::json::parse(run_naos({"status", "fetcher", "--json"}, dir.path()).out);
  EXPECT_EQ(status["status"], "budget_exceeded");
  auto paused = run_naos({"run", "fetcher", "--input", server.url("/answer")}, dir.path());
  EXPECT_NE(paused.err.find("BUDGET_EXCEEDED (300)"), std::string::npos) << paused.err;
}

TEST(CliPricedHttp, UnpricedHostsAreFree) {
  testing::LocalHttpServer server;
  server.server().Get("/free", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  server.start();
  std::string host = "127.0.0.1:" + std::to_string(server.port());
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: p\ncost:\n  endpoints:\n    api.example.com: { costPerCall: 5 }\n  budgets:\n    fetcher: "
                      "{ limit: 1, period: day }\nagents:\n  fetcher:\n    source: " +
                          agent_path("fetch").string() +
                          "\n    capabilities: { network: restricted, allowedHosts: [\"" + host + "\"] }\n");
  for (int i = 0; i < 3; ++i) {
    auto run = run_naos({"run", "fetcher", "--input", server.url("/free")}, dir.path());
    EXPECT_EQ(run.exit_status, 0) << run.err;
  }
  EXPECT_EQ(nlohmann::json::parse(run_naos({"audit", "--action", "cost.recorded", "--json"}, dir.path()).out).size(),
            0u);
}

}  // namespace
}  // namespace naos
