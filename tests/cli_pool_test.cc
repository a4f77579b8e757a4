// `naos pool ...` through the real binary: submit / run / status round trips
// with --json, errors, and kill -9 of a serving or fan-out process followed
// by a run that resumes without redoing finished work.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "orchestration/journal.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

// `naos ARGS` started in the background (stdout and stderr to /dev/null).
class Background {
 public:
  Background(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(cwd.c_str()) != 0) _exit(127);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<std::string> copies = args;
      std::string binary = NAOS_BINARY;
      std::vector<char*> argv{binary.data()};
      for (auto& arg : copies) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void kill_nine() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
  // The exit status, or -1 when it has not ended within `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

class CliPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string actor = agent_path("actor").string();
    std::string config = "name: cli-pools\nagents:\n"
                         "  task: { source: " + agent_path("pool_task").string() + " }\n";
    for (const char* name : {"ok-a", "json-b", "count-c", "fail-e"}) {
      config += std::string("  ") + name + ": { source: " + actor + ", capabilities: { kv: true } }\n";
    }
    // Waits at a gate (actor.c) until the test writes gate/open.
    config += "  gate-d: { source: " + actor + ", capabilities: { kv: true, filesystem: { read: [gate] } } }\n";
    config +=
        "pools:\n"
        "  # fan-out pools first\n"
        "  research: { members: [ok-a, json-b], merge: all }\n"
        "  resumable: { members: [count-c, gate-d], merge: all }\n"
        "  broken: { members: [ok-a, fail-e], tolerate: 0 }\n"
        "  workers: { agent: task, size: 2, strategy: round-robin, merge: all }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
    std::filesystem::create_directories(root() / "data");
    std::filesystem::create_directories(root() / "gate");
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "") {
    return run_naos(args, root(), input);
  }
  nlohmann::json json(const std::vector<std::string>& args) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result.out;
    return parsed;
  }
  nlohmann::json status(const std::string& pool) { return json({"pool", "status", pool, "--json"}); }
  // Polls `pool status` until `ready` says so (or ~10 s).
  template <typename Ready>
  nlohmann::json wait_for_status(const std::string& pool, Ready ready) {
    nlohmann::json s;
    for (int i = 0; i < 200; ++i) {
      s = status(pool);
      if (ready(s)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "pool " << pool << " never reached the state: " << s.dump();
    return s;
  }
  testing::TempDir dir_;
};

TEST_F(CliPoolTest, SubmitBatchRunAndStatusRoundTripWithJson) {
  auto submitted = json({"pool", "submit", "workers", "alpha", "beta", "--json"});
  EXPECT_EQ(submitted["ids"], (nlohmann::json{1, 2}));
  testing::write_file(root() / "batch.txt", "gamma\n\ndelta\nepsilon\n");
  auto batch = json({"pool", "submit", "workers", "--batch", "batch.txt", "--json"});
  EXPECT_EQ(batch["ids"], (nlohmann::json{3, 4, 5}));
  auto before = status("workers");
  EXPECT_EQ(before["kind"], "clone");
  EXPECT_EQ(before["state"], "idle");
  EXPECT_EQ(before["size"], 2);
  EXPECT_EQ(before["tasks"]["queued"], 5);

  auto run = naos({"pool", "run", "workers", "--json"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << "no progress bar on a pipe";
  auto served = nlohmann::json::parse(run.out);
  EXPECT_EQ(served["state"], "completed");
  EXPECT_EQ(served["completed"], 5);
  ASSERT_EQ(served["tasks"].size(), 5u);
  std::set<std::string> outputs;
  for (const auto& task : served["tasks"]) {
    outputs.insert(task["output"].get<std::string>());
    EXPECT_TRUE(task["worker"] == 0 || task["worker"] == 1) << task.dump();
  }
  EXPECT_EQ(outputs, (std::set<std::string>{"done:alpha", "done:beta", "done:gamma", "done:delta", "done:epsilon"}));
  auto after = status("workers");
  EXPECT_EQ(after["tasks"]["completed"], 5);
  EXPECT_EQ(after["tasks"]["queued"], 0);
  EXPECT_EQ(after["last_run"]["state"], "completed");

  auto text = naos({"pool", "submit", "workers", "zeta"});
  EXPECT_NE(text.out.find("queued 1 task on pool workers"), std::string::npos) << text.out;
  auto text_run = naos({"pool", "run", "workers"});
  EXPECT_NE(text_run.out.find("1 completed, 0 failed"), std::string::npos) << text_run.out;
  auto all = json({"pool", "status", "--json"});
  EXPECT_EQ(all.size(), 4u);
  auto table = naos({"pool", "status"});
  EXPECT_NE(table.out.find("POOL"), std::string::npos) << table.out;

  auto audit = json({"audit", "--filter", "pool", "--json"});
  std::set<std::string> actions;
  for (const auto& event : audit) actions.insert(event["action"].get<std::string>());
  for (const char* expected : {"pool.submitted", "pool.started", "pool.task_completed", "pool.completed"}) {
    EXPECT_TRUE(actions.count(expected)) << expected;
  }
}

TEST_F(CliPoolTest, FanOutRunPrintsTheMergedOutputAndFailsWithANonZeroExit) {
  auto text = naos({"pool", "run", "research", "--input", "hi"});
  ASSERT_EQ(text.exit_status, 0) << text.err;
  EXPECT_EQ(nlohmann::json::parse(text.out), nlohmann::json::parse(R"(["hi>ok-a", "{\"from\":\"json-b\",\"input\":\"hi\"}"])"));
  auto j = json({"pool", "run", "research", "--input", "hi", "--json"});
  EXPECT_EQ(j["state"], "completed");
  EXPECT_EQ(j["items"][0]["name"], "ok-a");
  EXPECT_EQ(j["items"][0]["state"], "completed");
  auto stdin_input = naos({"pool", "run", "research", "--input", "-"}, "piped");
  EXPECT_NE(stdin_input.out.find("piped>ok-a"), std::string::npos) << stdin_input.out;

  auto broken = naos({"pool", "run", "broken", "--input", "x", "--json"});
  EXPECT_EQ(broken.exit_status, 1);
  auto b = nlohmann::json::parse(broken.out);
  EXPECT_EQ(b["state"], "failed");
  EXPECT_EQ(b["ok"], false);
  auto broken_text = naos({"pool", "run", "broken", "--input", "x"});
  EXPECT_NE(broken_text.err.find("error: pool broken failed"), std::string::npos) << broken_text.err;
}

TEST_F(CliPoolTest, ErrorsAreReportedInTheHouseStyle) {
  auto missing = naos({"pool", "run", "ghost"});
  EXPECT_NE(missing.exit_status, 0);
  EXPECT_NE(missing.err.find("error: ghost: no pool of that name"), std::string::npos) << missing.err;
  auto missing_json = naos({"pool", "status", "ghost", "--json"});
  EXPECT_NE(missing_json.exit_status, 0);
  EXPECT_EQ(nlohmann::json::parse(missing_json.out)["error"]["kind"], "not_found");
  auto fan_out_submit = naos({"pool", "submit", "research", "x"});
  EXPECT_NE(fan_out_submit.exit_status, 0);
  EXPECT_NE(fan_out_submit.err.find("fan-out"), std::string::npos) << fan_out_submit.err;
  auto idle_scale = naos({"pool", "scale", "workers", "--size", "4"});
  EXPECT_NE(idle_scale.exit_status, 0);
  EXPECT_NE(idle_scale.err.find("no process serves the pool"), std::string::npos) << idle_scale.err;
  auto nothing = naos({"pool", "submit", "workers"});
  EXPECT_NE(nothing.exit_status, 0);
  auto drain_idle = json({"pool", "drain", "workers", "--json"});
  EXPECT_EQ(drain_idle["serving"], false);
}

TEST_F(CliPoolTest, CreateAndAddEditTheConfigInPlaceAndTheNewPoolsRun) {
  auto created = json({"pool", "create", "duo", "ok-a", "--json"});
  EXPECT_EQ(created["kind"], "fan-out");
  auto added = json({"pool", "add", "duo", "json-b", "--json"});
  EXPECT_EQ(added["added"], nlohmann::json{"json-b"});
  auto run = json({"pool", "run", "duo", "--input", "z", "--json"});
  EXPECT_EQ(run["state"], "completed");
  EXPECT_EQ(nlohmann::json::parse(run["output"].get<std::string>()).size(), 2u);

  auto clones = json({"pool", "create", "clones", "--agent", "task", "--size", "3", "--strategy", "least_busy", "--json"});
  EXPECT_EQ(clones["size"], 3);
  auto s = status("clones");
  EXPECT_EQ(s["kind"], "clone");
  EXPECT_EQ(s["size"], 3);
  std::string config = testing::read_file(root() / "nexus.config.yaml");
  EXPECT_NE(config.find("# fan-out pools first"), std::string::npos) << config;  // comments survive
  EXPECT_NE(config.find("strategy: least-busy"), std::string::npos) << config;

  auto twice = naos({"pool", "create", "duo", "ok-a"});
  EXPECT_NE(twice.exit_status, 0);
  EXPECT_NE(twice.err.find("exists"), std::string::npos) << twice.err;
  auto nothing = naos({"pool", "create", "empty"});
  EXPECT_NE(nothing.exit_status, 0);
  auto ghost = naos({"pool", "add", "duo", "ghost"});
  EXPECT_NE(ghost.exit_status, 0);
  auto member_again = naos({"pool", "add", "duo", "ok-a"});
  EXPECT_NE(member_again.exit_status, 0);
  EXPECT_EQ(json({"audit", "--action", "pool.created", "--json"}).size(), 2u);
  EXPECT_EQ(json({"audit", "--action", "pool.member_added", "--json"}).size(), 1u);
}

TEST_F(CliPoolTest, KillNineWhileServingRequeuesTheRunningTasksAndTheNextRunFinishesOnlyThose) {
  std::vector<std::string> tasks;
  for (int i = 1; i <= 6; ++i) tasks.push_back("sleep:300:" + std::to_string(i));
  std::vector<std::string> args = {"pool", "submit", "workers"};
  args.insert(args.end(), tasks.begin(), tasks.end());
  ASSERT_EQ(naos(args).exit_status, 0);
  {
    Background serving({"pool", "run", "workers"}, root());
    // Some tasks done, others running: kill it then.
    wait_for_status("workers", [](const nlohmann::json& s) {
      return s["tasks"]["completed"] >= 2 && s["tasks"]["running"] >= 1;
    });
    serving.kill_nine();
  }
  auto killed = status("workers");
  EXPECT_EQ(killed["state"], "idle");  // its process is gone
  int64_t done_before = killed["tasks"]["completed"];
  int64_t left_running = killed["tasks"]["running"];
  ASSERT_GE(left_running, 1);
  ASSERT_LT(done_before, 6);
  auto again = json({"pool", "run", "workers", "--json"});
  EXPECT_EQ(again["state"], "completed");
  EXPECT_EQ(again["recovered"], left_running);
  // Only the tasks not finished before the kill ran now.
  EXPECT_EQ(again["completed"].get<int64_t>(), 6 - done_before);
  auto final_status = status("workers");
  EXPECT_EQ(final_status["tasks"]["completed"], 6);
  EXPECT_EQ(final_status["tasks"]["running"], 0);
}

TEST_F(CliPoolTest, KillNineDuringAFanOutThenRunAgainResumesWithoutRerunningFinishedMembers) {
  std::string run_id;
  // Opened (and the database made) before the pool runs, so the two do not race to create the schema.
  testing::FakeClock clock;
  auto journal = orchestration::Journal::open(root() / "data" / "nexus.db", clock);
  ASSERT_TRUE(journal) << journal.error().to_string();
  {
    Background running({"pool", "run", "resumable", "--input", "x"}, root());
    // Wait until count-c completed (its journal entry is durable) while gate-d waits.
    for (int i = 0; i < 400 && run_id.empty(); ++i) {
      auto runs = (*journal)->runs({.kind = "pool", .name = "resumable"});
      if (runs && !runs->empty()) {
        auto entries = (*journal)->entries(runs->back().id);
        if (entries) {
          for (const auto& e : *entries) {
            if (e.step == 0 && e.event == orchestration::entry::kStepCompleted) run_id = runs->back().id;
          }
        }
      }
      if (run_id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_FALSE(run_id.empty()) << "count-c never completed";
    running.kill_nine();
  }
  // A run with the same input resumes the killed one. count-c printed "1" on
  // its one run; run again, it would print "2". gate-d runs again, through an open gate.
  testing::write_file(root() / "gate" / "open", "");
  auto resumed = json({"pool", "run", "resumable", "--input", "x", "--json"});
  EXPECT_EQ(resumed["run"], run_id);
  EXPECT_EQ(resumed["resumed"], true);
  EXPECT_EQ(resumed["state"], "completed");
  EXPECT_EQ(nlohmann::json::parse(resumed["output"].get<std::string>()),
            nlohmann::json::parse(R"(["1", "x>gate-d"])"));
}

}  // namespace
}  // namespace naos
