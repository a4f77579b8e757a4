// `naos supervisor ...` through the real binary, with actor.wasm agents
// (tests/agents/actor.c): config edits, a detached tree driven from other
// processes, a foreground tree stopped by SIGTERM, and the errors.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include <nlohmann/json.hpp>

#include "project/config.h"
#include "test_support.h"

namespace naos {
namespace {

using namespace std::chrono_literals;
using testing::agent_path;
using testing::read_file;
using testing::run_naos;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

bool process_gone(int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

class CliSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string config = "name: sv\n# the agents, all one module\nagents:\n";
    for (const char* name : {"worker-a", "worker-b", "crash100-c", "fail-x"}) {
      config += "  " + std::string(name) + ": { source: " + agent_path("actor").string() +
                ", capabilities: { kv: true } }\n";
    }
    testing::write_file(dir_.path() / "nexus.config.yaml", config);
  }
  void TearDown() override {
    // A detached tree must not outlive a failed test.
    if (detached_pid_ > 0 && !process_gone(detached_pid_)) ::kill(static_cast<pid_t>(detached_pid_), SIGKILL);
  }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, dir_.path()); }
  nlohmann::json json(const std::vector<std::string>& args) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result.out;
    return parsed;
  }
  size_t events(const std::string& action) { return json({"audit", "--action", action, "--json"}).size(); }
  void ok(const std::vector<std::string>& args) {
    auto result = naos(args);
    ASSERT_EQ(result.exit_status, 0) << result.err;
  }

  testing::TempDir dir_;
  int64_t detached_pid_ = 0;
};

TEST_F(CliSupervisorTest, CreateAndAddEditTheConfigAndKeepItsComments) {
  auto created = json({"supervisor", "create", "root", "--strategy", "one_for_all", "--max-restarts", "5", "--json"});
  EXPECT_EQ(created["strategy"], "one-for-all");
  EXPECT_EQ(created["max_restarts"], 5);
  ok({"supervisor", "create", "workers", "--strategy", "rest-for-one"});
  ok({"supervisor", "add", "workers", "worker-a", "worker-b"});
  ok({"supervisor", "add-child", "root", "workers", "crash100-c", "--restart", "permanent"});

  std::string text = read_file(dir_.path() / "nexus.config.yaml");
  EXPECT_NE(text.find("# the agents, all one module"), std::string::npos) << text;
  auto config = project::load_config(dir_.path() / "nexus.config.yaml");
  ASSERT_TRUE(config) << config.error().to_string();
  const auto& root = config->supervisors.at("root");
  EXPECT_EQ(root.strategy, project::SupervisorStrategy::kOneForAll);
  EXPECT_EQ(root.max_restarts, 5u);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].name, "workers");
  EXPECT_EQ(root.children[1].restart, project::RestartType::kPermanent);
  ASSERT_EQ(config->supervisors.at("workers").children.size(), 2u);
  EXPECT_EQ(config->supervisors.at("workers").children[1].name, "worker-b");

  EXPECT_EQ(events("supervisor.created"), 2u);
  EXPECT_EQ(events("supervisor.child_added"), 4u);

  auto list = json({"supervisor", "list", "--json"});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "root");
  EXPECT_EQ(list[0]["state"], "not_started");
  EXPECT_EQ(list[1]["parent"], "root");
  auto table = naos({"supervisor", "list"});
  EXPECT_NE(table.out.find("rest-for-one"), std::string::npos) << table.out;
}

TEST_F(CliSupervisorTest, MistakesAreRefusedWithCodesAndLeaveTheConfigAlone) {
  ok({"supervisor", "create", "root", "--strategy", "one-for-one"});
  std::string before = read_file(dir_.path() / "nexus.config.yaml");

  auto unknown = naos({"supervisor", "add", "root", "worker-a", "nobody"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("AGENT_NOT_FOUND (100)"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("nobody"), std::string::npos) << unknown.err;

  auto strategy = naos({"supervisor", "create", "other", "--strategy", "sideways"});
  EXPECT_EQ(strategy.exit_status, 2);
  EXPECT_NE(strategy.err.find("one-for-one, one-for-all, rest-for-one"), std::string::npos) << strategy.err;

  auto taken = naos({"supervisor", "create", "worker-a", "--strategy", "one-for-one", "--json"});
  EXPECT_EQ(taken.exit_status, 2);
  EXPECT_EQ(nlohmann::json::parse(taken.out)["error"]["kind"], "already_exists") << taken.out;

  // A second parent for a child is the validator's to refuse.
  ok({"supervisor", "create", "second", "--strategy", "one-for-one"});
  before = read_file(dir_.path() / "nexus.config.yaml");
  ok({"supervisor", "add", "root", "worker-a"});
  std::string with_child = read_file(dir_.path() / "nexus.config.yaml");
  auto twice = naos({"supervisor", "add", "second", "worker-a"});
  EXPECT_EQ(twice.exit_status, 2);
  EXPECT_NE(twice.err.find("already supervised by root"), std::string::npos) << twice.err;
  EXPECT_EQ(read_file(dir_.path() / "nexus.config.yaml"), with_child);

  auto missing = naos({"supervisor", "status", "nope"});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("no supervisor of this name"), std::string::npos) << missing.err;
  auto not_running = naos({"supervisor", "stop", "root"});
  EXPECT_EQ(not_running.exit_status, 2);
  EXPECT_NE(not_running.err.find("not running (it was never started)"), std::string::npos) << not_running.err;
}

TEST_F(CliSupervisorTest, StartDetachedThenStatusAndStopFromOtherProcesses) {
  ok({"supervisor", "create", "root", "--strategy", "one-for-one", "--max-restarts", "100"});
  ok({"supervisor", "create", "inner", "--strategy", "one-for-one", "--max-restarts", "100"});
  ok({"supervisor", "add", "inner", "crash100-c"});
  ok({"supervisor", "add", "root", "worker-a", "inner"});

  auto started = json({"supervisor", "start", "root", "--detach", "--json"});
  ASSERT_TRUE(started["pid"].is_number()) << started.dump();
  detached_pid_ = started["pid"].get<int64_t>();
  EXPECT_EQ(started["state"], "running");

  // Another process sees the tree run and the crashing agent restarted.
  nlohmann::json status;
  ASSERT_TRUE(eventually([&] {
    status = json({"supervisor", "status", "root", "--json"});
    return status["children"].size() == 2 && status["children"][1]["children"].size() == 1 &&
           status["children"][1]["children"][0]["restarts"].get<int64_t>() >= 1;
  })) << status.dump(2);
  EXPECT_EQ(status["state"], "running");
  EXPECT_EQ(status["pid"], detached_pid_);
  EXPECT_EQ(status["alive"], true);
  EXPECT_EQ(status["children"][0]["name"], "worker-a");
  EXPECT_EQ(status["children"][0]["state"], "running");
  EXPECT_EQ(status["children"][1]["kind"], "supervisor");
  EXPECT_NE(status["children"][1]["children"][0]["last_error"].get<std::string>().find("exit_status"),
            std::string::npos);
  auto text = naos({"supervisor", "status", "root"});
  EXPECT_NE(text.out.find("  crash100-c"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pid " + std::to_string(detached_pid_)), std::string::npos) << text.out;

  auto again = naos({"supervisor", "start", "root", "--detach"});
  EXPECT_EQ(again.exit_status, 2);
  EXPECT_NE(again.err.find("running already"), std::string::npos) << again.err;
  auto part = naos({"supervisor", "stop", "inner"});
  EXPECT_EQ(part.exit_status, 2);
  EXPECT_NE(part.err.find("part of the tree root"), std::string::npos) << part.err;

  auto stopped = json({"supervisor", "stop", "root", "--json"});
  EXPECT_EQ(stopped["state"], "stopped");
  EXPECT_TRUE(eventually([&] { return process_gone(detached_pid_); })) << "the tree's process is still running";
  status = json({"supervisor", "status", "root", "--json"});
  EXPECT_EQ(status["state"], "stopped");
  EXPECT_EQ(status["children"][0]["state"], "stopped");
  EXPECT_EQ(status["children"][1]["children"][0]["state"], "stopped");
  EXPECT_EQ(events("supervisor.started"), 2u);  // root and inner
  EXPECT_EQ(events("supervisor.stopped"), 2u);
  EXPECT_GE(events("agent.restarted"), 1u);
  std::string log = read_file(dir_.path() / "data" / "logs" / "supervisor-root.log");
  EXPECT_NE(log.find("supervisor.child_restart  inner/crash100-c"), std::string::npos) << log;
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(CliSupervisorTest, ForegroundTreeStopsGracefullyOnSigterm) {
  ok({"supervisor", "create", "root", "--strategy", "one-for-one"});
  ok({"supervisor", "add", "root", "worker-a", "worker-b"});
  auto out_file = dir_.path() / "out.jsonl";
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir_.path().c_str()) != 0) _exit(127);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    execl(NAOS_BINARY, NAOS_BINARY, "supervisor", "start", "root", "--json", nullptr);
    _exit(127);
  }
  ASSERT_TRUE(eventually([&] {
    std::ifstream in(out_file);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    return all.find("\"child\":\"worker-b\"") != std::string::npos;
  }));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "did not exit cleanly on SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::vector<nlohmann::json> lines;
  std::ifstream in(out_file);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0]["type"], "supervisor.started");
  EXPECT_EQ(lines[1]["child"], "worker-a");
  EXPECT_EQ(lines[2]["child"], "worker-b");
  // Stopped in reverse order, then the summary.
  std::vector<std::string> stopped;
  for (const auto& l : lines) {
    if (l.value("type", "") == "supervisor.child_stopped") stopped.push_back(l["child"]);
  }
  EXPECT_EQ(stopped, (std::vector<std::string>{"worker-b", "worker-a"}));
  EXPECT_EQ(lines.back()["ok"], true);
  EXPECT_EQ(lines.back()["state"], "stopped");
}

TEST_F(CliSupervisorTest, ATreeThatGivesUpExitsWithItsReport) {
  ok({"supervisor", "create", "root", "--strategy", "one-for-one", "--max-restarts", "2"});
  ok({"supervisor", "add", "root", "worker-a", "fail-x"});
  auto result = naos({"supervisor", "start", "root"});
  EXPECT_EQ(result.exit_status, 1);  // its agents failed (issue 11: it used to exit 2, "naos could not run it")
  EXPECT_NE(result.err.find("AGENT_CRASHED (103)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("supervisor root gave up: 3 restarts within 60s (maxRestarts 2); the last: agent fail-x "
                            "failed: exit_status"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("supervisor.escalated"), std::string::npos) << result.out;
  auto status = json({"supervisor", "status", "root", "--json"});
  EXPECT_EQ(status["state"], "escalated");
  EXPECT_NE(status["report"].get<std::string>().find("gave up"), std::string::npos);
  EXPECT_EQ(status["children"][0]["state"], "stopped");
  EXPECT_EQ(status["children"][1]["state"], "failed");
  EXPECT_EQ(status["children"][1]["restarts"], 2);
  EXPECT_EQ(events("supervisor.escalated"), 1u);
}

}  // namespace
}  // namespace naos
