// cost.endpoints: an HTTP call to a priced endpoint reserves its price
// against the agent's budget before it is sent and settles it after.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

// An endpoint that holds every request until released, so a priced call can
// be caught in flight with its reservation held.
class HeldEndpoint {
 public:
  HeldEndpoint() {
    server_.server().Get("/held", [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      std::unique_lock lock(mutex_);
      released_cv_.wait_for(lock, std::chrono::seconds(20), [this] { return released_; });
      res.set_content("42", "text/plain");
    });
    server_.start();
  }
  ~HeldEndpoint() { release(); }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    released_cv_.notify_all();
  }
  int hits() const { return hits_; }
  bool wait_for_hits(int n) const {
    for (int i = 0; i < 2000 && hits_ < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return hits_ >= n;
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::string url() const { return server_.url("/held"); }

 private:
  testing::LocalHttpServer server_;
  std::atomic<int> hits_{0};
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
};

// A 5-cent endpoint and an 8-cent global budget: one call fits, two do not.
// Two agents, so that two processes may run at once (`naos run` of one agent
// runs it once at a time).
class CliPricedHttpInFlight : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string agent = "    source: " + agent_path("fetch").string() +
                        "\n    capabilities: { network: restricted, allowedHosts: [\"" + endpoint_.host() + "\"] }\n";
    testing::write_file(dir_.path() / "nexus.config.yaml",
                        "name: p\ncost:\n  endpoints:\n    \"" + endpoint_.host() +
                            "\": { costPerCall: 5 }\n  budgets:\n    global: { limit: 8, period: day, onExceed: pause }\n"
                            "agents:\n  fetcher:\n" +
                            agent + "  other:\n" + agent);
    ASSERT_EQ(run_naos({"create", "--from-config"}, dir_.path()).exit_status, 0);
  }
  // `naos run AGENT` in the background; its priced call is held by the endpoint.
  testing::ChildProcess Start(const std::string& agent) {
    return testing::ChildProcess(
        {NAOS_BINARY, "--project", dir_.path().string(), "run", agent, "--input", endpoint_.url()});
  }
  testing::CommandResult Run(const std::string& agent) {
    return run_naos({"run", agent, "--input", endpoint_.url()}, dir_.path());
  }
  // What `naos cost status --json` shows reserved against the global budget.
  nlohmann::json Reserved() {
    auto status = nlohmann::json::parse(run_naos({"cost", "status", "--json"}, dir_.path()).out);
    EXPECT_TRUE(status.is_array() && !status.empty() && status[0]["agent"] == "global") << status;
    return status.is_array() && !status.empty() ? status[0]["reserved_microcents"] : nlohmann::json();
  }
  nlohmann::json Events(const std::string& action) {
    return nlohmann::json::parse(run_naos({"audit", "--action", action, "--json"}, dir_.path()).out);
  }

  HeldEndpoint endpoint_;
  testing::TempDir dir_;
};

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

// Two `naos run` processes on one budget: while the first one's priced call
// is in flight, its reservation is visible to the second, which is refused
// before it sends anything.
TEST_F(CliPricedHttpInFlight, APricedCallInOneProcessHoldsTheBudgetAgainstAnother) {
  auto first = Start("fetcher");
  ASSERT_TRUE(endpoint_.wait_for_hits(1));
  auto second = Run("other");
  EXPECT_EQ(second.out, "error: limit\n") << second.err;
  EXPECT_EQ(endpoint_.hits(), 1);
  EXPECT_EQ(Reserved(), 5'000'000);

  endpoint_.release();
  EXPECT_EQ(first.read_line(), "status 200");
  EXPECT_EQ(first.wait(), 0);
  EXPECT_EQ(Events("cost.recorded").size(), 1u);
  EXPECT_EQ(Events("budget.exceeded").size(), 1u);
}

// kill -9 of a `naos run` whose priced call is in flight: it never settles,
// its reservation no longer holds the budget, and the agent it left
// `running` may run again.
TEST_F(CliPricedHttpInFlight, AKilledRunsReservationNoLongerHoldsTheBudget) {
  auto killed = Start("fetcher");
  ASSERT_TRUE(endpoint_.wait_for_hits(1));
  killed.kill();
  killed.wait();
  EXPECT_EQ(Reserved(), 0);

  endpoint_.release();
  auto next = Run("fetcher");
  EXPECT_EQ(next.exit_status, 0) << next.err;
  EXPECT_EQ(next.out, "status 200\n42");
  EXPECT_EQ(endpoint_.hits(), 2);
  EXPECT_EQ(Events("cost.recorded").size(), 1u);  // the killed call was never settled
  auto stopped = Events("agent.stopped");
  ASSERT_EQ(stopped.size(), 1u) << stopped;
  EXPECT_NE(stopped[0].dump().find("ended while it ran"), std::string::npos) << stopped;
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
