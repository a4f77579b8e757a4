// `naos runs cancel RUN [--no-compensate]` through the real binary: a run left
// `running` by a killed process ends for good, audited as run.cancelled; a
// saga compensates its completed steps first unless --no-compensate; clear
// errors for an unknown run, an ended one and one a live process drives.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class RunsCancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string config = "name: cancel\nagents:\n";
    for (const char* name : {"ok-a", "ok-undo", "slow4000-b"}) {
      config += std::string("  ") + name + ": { source: " + agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    config += "workflows:\n  slow: { steps: [ {name: first, agent: ok-a}, {name: wait, agent: slow4000-b} ] }\n"
              "sagas:\n  order:\n    steps:\n"
              "      - { name: reserve, agent: ok-a, compensate: ok-undo }\n"
              "      - { name: charge, agent: slow4000-b }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
    std::filesystem::create_directories(root() / "data");
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  nlohmann::json json(const std::vector<std::string>& args, int expected_status = 0) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, expected_status) << result.err;
    auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result.out << result.err;
    return parsed;
  }
  nlohmann::json journal(const std::string& run_id) {
    return json({"inspect", run_id, "--json"}).value("journal", nlohmann::json::array());
  }

  // Starts `naos KIND run NAME` in the background and waits until its second
  // step has started; returns the run's id. The process keeps running.
  std::string StartUntilSecondStep(const std::string& kind, const std::string& name) {
    child_ = fork();
    if (child_ == 0) {
      if (chdir(root().c_str()) != 0) _exit(127);
      execl(NAOS_BINARY, NAOS_BINARY, "--quiet", kind.c_str(), "run", name.c_str(), "--input", "in",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto runs = nlohmann::json::parse(naos({"runs", "--json"}).out, nullptr, false);
      if (runs.is_array() && !runs.empty()) {
        std::string id = runs.back()["id"];
        for (const auto& entry : journal(id)) {
          if (entry["step"] == 1 && entry["event"] == "step.started") return id;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the second step never started";
    return "";
  }
  // kill -9: the run is left `running` with a dead owner.
  void KillChild() {
    ::kill(child_, SIGKILL);
    waitpid(child_, nullptr, 0);
    child_ = -1;
  }
  nlohmann::json run_record(const std::string& id) {
    for (const auto& run : json({"runs", "--last", "0", "--json"})) {
      if (run["id"] == id) return run;
    }
    return nlohmann::json();
  }
  int count_events(const std::string& id, const std::string& event) {
    int n = 0;
    for (const auto& entry : journal(id)) n += entry["event"] == event ? 1 : 0;
    return n;
  }

  testing::TempDir dir_;
  pid_t child_ = -1;
};

TEST_F(RunsCancelTest, UnknownRunIsAClearErrorWithExitTwo) {
  auto result = naos({"runs", "cancel", "workflow-nope-123"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("no run has this id"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << "runs cancel must not also list runs: " << result.out;
}

TEST_F(RunsCancelTest, AStuckWorkflowEndsAbandonedAndIsAudited) {
  std::string id = StartUntilSecondStep("workflow", "slow");
  ASSERT_FALSE(id.empty());
  // While its process lives, cancel is refused and names it.
  auto live = naos({"runs", "cancel", id});
  EXPECT_EQ(live.exit_status, 2);
  EXPECT_NE(live.err.find("driven by process"), std::string::npos) << live.err;
  KillChild();
  EXPECT_EQ(run_record(id)["state"], "running");

  auto out = json({"runs", "cancel", id, "--json"});
  EXPECT_EQ(out["ok"], true);
  EXPECT_EQ(out["was"], "running");
  EXPECT_EQ(out["state"], "abandoned");
  EXPECT_EQ(run_record(id)["state"], "abandoned");
  auto events = json({"audit", "--action", "run.cancelled", "--json"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["run"], id);
  EXPECT_EQ(events[0]["payload"]["kind"], "workflow");
  // Ended: the daemon does not resume it, and a second cancel says so.
  auto again = naos({"runs", "cancel", id});
  EXPECT_EQ(again.exit_status, 2);
  EXPECT_NE(again.err.find("already ended (abandoned)"), std::string::npos) << again.err;
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(RunsCancelTest, ACancelledSagaCompensatesItsCompletedStepsFirst) {
  std::string id = StartUntilSecondStep("saga", "order");
  ASSERT_FALSE(id.empty());
  KillChild();
  // Stuck: a new run is refused until this one ends.
  EXPECT_EQ(naos({"saga", "run", "order"}).exit_status, 2);

  auto out = json({"runs", "cancel", id, "--json"});
  EXPECT_EQ(out["state"], "rolled_back");
  EXPECT_EQ(out["compensated"], true);
  EXPECT_EQ(count_events(id, "compensation.completed"), 1);  // reserve undone; charge never completed
  EXPECT_EQ(json({"audit", "--action", "run.cancelled", "--json"}).size(), 1u);
  EXPECT_EQ(json({"audit", "--action", "saga.compensated", "--json"}).size(), 1u);
  auto text = naos({"runs", "cancel", id});
  EXPECT_EQ(text.exit_status, 2);
  EXPECT_EQ(json({"saga", "status", "order", "--json"})["state"], "rolled_back");
}

TEST_F(RunsCancelTest, NoCompensateEndsASagaWithoutUndoingAnything) {
  std::string id = StartUntilSecondStep("saga", "order");
  ASSERT_FALSE(id.empty());
  KillChild();
  auto result = naos({"runs", "cancel", id, "--no-compensate"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("abandoned"), std::string::npos) << result.out;
  EXPECT_EQ(run_record(id)["state"], "abandoned");
  EXPECT_EQ(count_events(id, "compensation.started"), 0);
  // The saga is ready again.
  auto status = json({"saga", "status", "order", "--json"});
  EXPECT_EQ(status["state"], "ready");
}

}  // namespace
}  // namespace naos
