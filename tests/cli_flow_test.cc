// `naos workflow ...`, `naos saga ...`, `naos runs`, `naos inspect RUN` and
// the daemon's resume, through the real binary with real agents.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

class CliFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string config = "name: flows\nagents:\n";
    for (const char* name : {"ok-a", "ok-b", "fail-c", "json-ua", "fail-ub", "count-d"}) {
      config += std::string("  ") + name + ": { source: " + agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    config += "workflows:\n  pipe: { steps: [ {agent: ok-a}, {agent: ok-b} ] }\n"
              "  broken: { steps: [ {agent: ok-a}, {agent: fail-c} ] }\n"
              "  counted: { steps: [ {agent: count-d} ] }\n"
              "sagas:\n  order:\n    steps:\n"
              "      - { name: reserve, agent: ok-a, compensate: json-ua }\n"
              "      - { name: charge, agent: fail-c }\n"
              "  stuck:\n    compensationRetries: 0\n    steps:\n"
              "      - { agent: ok-b, compensate: fail-ub }\n      - { agent: fail-c }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
    std::filesystem::create_directories(root() / "data");
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }
  nlohmann::json json(const std::vector<std::string>& args, int expected_status = 0) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, expected_status) << result.err;
    auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result.out;
    return parsed;
  }
  testing::TempDir dir_;
};

TEST_F(CliFlowTest, WorkflowRunPrintsTheOutputAndStatusShowsEachStep) {
  auto run = naos({"workflow", "run", "pipe", "--input", "in"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.out, "in>ok-a>ok-b\n");
  auto status = json({"workflow", "status", "pipe", "--json"});
  EXPECT_EQ(status["state"], "completed");
  ASSERT_EQ(status["step_states"].size(), 2u);
  EXPECT_EQ(status["step_states"][1]["state"], "completed");
  auto all = json({"workflow", "list", "--json"});
  EXPECT_EQ(all.size(), 3u);
  // Each step got NAOS_IDEMPOTENCY_KEY, and actor reads its environment, but
  // that is naos's variable, not a grant of env: no step reports env used.
  auto completed = json({"audit", "--action", "agent.completed", "--json"});
  ASSERT_EQ(completed.size(), 2u);
  for (const auto& event : completed) EXPECT_EQ(event.dump().find("env"), std::string::npos) << event;
}

TEST_F(CliFlowTest, AFailedWorkflowExitsOneAndNamesTheStep) {
  auto run = naos({"workflow", "run", "broken", "--input", "in", "--json"});
  EXPECT_EQ(run.exit_status, 1);
  auto result = nlohmann::json::parse(run.out);
  EXPECT_EQ(result["state"], "failed");
  EXPECT_NE(result["error"].get<std::string>().find("step fail-c failed"), std::string::npos);
}

TEST_F(CliFlowTest, IdempotentStartWithIdReturnsTheFirstResult) {
  auto first = json({"workflow", "run", "counted", "--id", "job-1", "--json"});
  auto second = json({"workflow", "run", "counted", "--id", "job-1", "--json"});
  EXPECT_EQ(first["output"], "1");
  EXPECT_EQ(second["output"], "1");
  EXPECT_EQ(second["reused"], true);
  EXPECT_EQ(json({"runs", "--kind", "workflow", "--json"}).size(), 1u);
}

TEST_F(CliFlowTest, SagaThatRollsBackSaysSagaStepFailedAndInspectShowsTheJournal) {
  auto run = naos({"saga", "run", "order", "--input", "o"});
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_NE(run.err.find("SAGA_STEP_FAILED (201)"), std::string::npos) << run.err;
  auto runs = json({"runs", "--kind", "saga", "--json"});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "rolled_back");
  auto inspected = json({"inspect", runs[0]["id"].get<std::string>(), "--json"});
  std::vector<std::string> events;
  for (const auto& e : inspected["journal"]) events.push_back(e["event"]);
  EXPECT_EQ(events, (std::vector<std::string>{"step.started", "step.completed", "step.started", "step.failed",
                                              "compensation.started", "compensation.completed"}));
  auto text = naos({"inspect", runs[0]["id"].get<std::string>()});
  EXPECT_EQ(text.exit_status, 0) << text.err;
  EXPECT_NE(text.out.find("compensation.completed"), std::string::npos) << text.out;
}

TEST_F(CliFlowTest, CompensationFailedIsLoudBlocksANewRunAndResolveFinishesIt) {
  auto run = naos({"saga", "run", "stuck"});
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_NE(run.err.find("SAGA_COMPENSATION_FAILED (202)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("naos saga retry-compensation stuck --step N"), std::string::npos) << run.err;
  auto again = json({"saga", "run", "stuck", "--json"}, 2);
  EXPECT_EQ(again["error"]["name"], "SAGA_ALREADY_RUNNING");
  EXPECT_EQ(again["error"]["code"], 204);
  auto resolved = json({"saga", "resolve", "stuck", "--step", "1", "--json"}, 1);
  EXPECT_EQ(resolved["state"], "rolled_back");
  EXPECT_EQ(json({"saga", "status", "stuck", "--json"})["state"], "rolled_back");
  EXPECT_EQ(json({"saga", "run", "stuck", "--json"}, 1)["state"], "compensation_failed");
  ASSERT_EQ(naos({"saga", "reset", "stuck"}).exit_status, 0);
  EXPECT_EQ(json({"saga", "status", "stuck", "--json"})["state"], "ready");
}

TEST_F(CliFlowTest, UnknownSagaIsSagaNotFoundAndBadStepIsExplained) {
  auto missing = json({"saga", "run", "nope", "--json"}, 2);
  EXPECT_EQ(missing["error"]["name"], "SAGA_NOT_FOUND");
  auto bad_step = naos({"saga", "resolve", "stuck", "--step", "9"});
  EXPECT_EQ(bad_step.exit_status, 2);
  EXPECT_NE(bad_step.err.find("--step is a step number from 1 to 2"), std::string::npos) << bad_step.err;
}

TEST_F(CliFlowTest, CreateAndAddStepBuildASagaInTheConfigThatThenRuns) {
  ASSERT_EQ(naos({"saga", "create", "trip"}).exit_status, 0);
  auto taken = naos({"workflow", "create", "ok-a"});
  EXPECT_EQ(taken.exit_status, 2);
  EXPECT_NE(taken.err.find("an agent of this name is in the config"), std::string::npos) << taken.err;
  ASSERT_EQ(naos({"saga", "add-step", "trip", "ok-a", "--name", "book", "--compensate", "json-ua"}).exit_status, 0);
  auto added = json({"saga", "add-step", "trip", "fail-c", "--json"});
  EXPECT_EQ(added["steps"], 2);
  auto unknown = naos({"saga", "add-step", "trip", "nobody"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("unknown agent, workflow, saga or pool \"nobody\""), std::string::npos) << unknown.err;
  auto missing = json({"saga", "add-step", "nosuch", "ok-a", "--json"}, 2);
  EXPECT_EQ(missing["error"]["name"], "SAGA_NOT_FOUND");
  EXPECT_EQ(naos({"config", "validate"}).exit_status, 0);
  auto run = json({"saga", "run", "trip", "--json"}, 1);
  EXPECT_EQ(run["state"], "rolled_back");
  // The rest of the file is as it was written.
  EXPECT_NE(testing::read_file(root() / "nexus.config.yaml").find("  pipe: { steps: [ {agent: ok-a}, {agent: ok-b} ] }"),
            std::string::npos);
}

TEST_F(CliFlowTest, TheDaemonResumesARunLeftByAKilledProcess) {
  auto run = naos({"workflow", "run", "pipe", "--input", "x", "--id", "left"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  {
    // Rewind the finished run into an interrupted one: state running, owner
    // a dead process, its last step's completion never written.
    auto db = store::Database::open(root() / "data" / "nexus.db");
    ASSERT_TRUE(db) << db.error().to_string();
    auto rewound = (*db)->exec(
        "UPDATE orch_runs SET state = 'running', owner = '999999999', output = '' WHERE id = 'left';"
        "DELETE FROM orch_journal WHERE run_id = 'left' AND step = 1 AND event = 'step.completed';");
    ASSERT_TRUE(rewound) << rewound.error().to_string();
  }
  auto daemon = naos({"daemon", "--json"});
  ASSERT_EQ(daemon.exit_status, 0) << daemon.err;
  auto line = nlohmann::json::parse(daemon.out.substr(0, daemon.out.find('\n')));
  EXPECT_EQ(line["resumed"], "left");
  EXPECT_EQ(line["state"], "completed");
  auto inspected = json({"inspect", "left", "--json"});
  EXPECT_EQ(inspected["output"], "x>ok-a>ok-b");
  int ok_a_starts = 0;
  for (const auto& e : inspected["journal"]) {
    if (e["step"] == 0 && e["event"] == "step.started") ++ok_a_starts;
  }
  EXPECT_EQ(ok_a_starts, 1) << "the completed first step ran again";
}

}  // namespace
}  // namespace naos
