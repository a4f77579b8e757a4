// Issue 11, item 6, through the real binary: `naos stop` stops a run in
// another process (it ends `stopped`, with its agent.stopped event), --force
// kills a process that does not stop, --no-restart keeps a supervisor from
// restarting the agent, Ctrl-C / SIGTERM on `naos run` end the run `stopped`
// before naos exits 130 / 143, `naos run --all`, and `naos secret set` on a
// terminal prompts without echo.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using namespace std::chrono_literals;
using testing::agent_path;
using testing::run_naos;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// `naos ARGS` in the background, its stdout and stderr in files.
class Background {
 public:
  Background(const std::vector<std::string>& args, const std::filesystem::path& cwd)
      : out_(cwd / ("bg-" + std::to_string(++count_) + ".out")), err_(cwd / ("bg-" + std::to_string(count_) + ".err")) {
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(cwd.c_str()) != 0) _exit(127);
      int null = open("/dev/null", O_RDONLY);
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(null, 0);
      dup2(out, 1);
      dup2(err, 2);
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
  pid_t pid() const { return pid_; }
  // The exit status (128 + N for a signal), or -1 when it has not ended within `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  std::string out() const { return testing::read_file(out_); }
  std::string err() const { return testing::read_file(err_); }

 private:
  static inline int count_ = 0;
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

class CliStopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string actor = agent_path("actor").string();
    testing::write_file(root() / "nexus.config.yaml",
                        "name: stops\nexecution: { timeout: 120s }\nagents:\n"
                        "  sleeper: { source: " + agent_path("sleeper").string() + " }\n"
                        "  ok-a: { source: " + actor + ", capabilities: { kv: true } }\n"
                        "  json-b: { source: " + actor + ", capabilities: { kv: true } }\n"
                        "  env-reader: { source: " + agent_path("read_env").string() +
                        ", capabilities: { env: [SECRET] } }\n"
                        "supervisors:\n  root: { strategy: one-for-one, children: [ { name: sleeper, restart: permanent } ] }\n");
    ASSERT_EQ(naos({"create", "--from-config"}).exit_status, 0);
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "") {
    return run_naos(args, root(), input);
  }
  nlohmann::json json(const std::vector<std::string>& args) {
    auto result = naos(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }
  std::string status(const std::string& agent) {
    auto out = json({"status", agent, "--json"});
    return out.is_object() ? out.value("status", "") : "";
  }
  nlohmann::json events(const std::string& agent) { return json({"audit", "--agent", agent, "--json"}); }
  std::vector<std::string> actions(const std::string& agent) {
    std::vector<std::string> out;
    for (const auto& e : events(agent)) {
      std::string action = e["action"];
      if (action.starts_with("agent.")) out.push_back(action);
    }
    return out;
  }
  // A sleeper running in its own `naos run` process, 120 s unless stopped.
  std::unique_ptr<Background> start_sleeper() {
    auto run = std::make_unique<Background>(std::vector<std::string>{"run", "sleeper", "--input", "120000"}, root());
    EXPECT_TRUE(eventually([&] { return status("sleeper") == "running"; })) << run->err();
    return run;
  }
  testing::TempDir dir_;
};

TEST_F(CliStopTest, StopFromAnotherProcessEndsASleepingRunAsStoppedWithItsEvent) {
  auto run = start_sleeper();
  auto stop = naos({"stop", "sleeper"});
  EXPECT_EQ(stop.exit_status, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped sleeper (its run in naos process " + std::to_string(run->pid())),
            std::string::npos)
      << stop.out;
  // The run ended when stop returned, not two minutes later.
  EXPECT_EQ(run->wait(5s), 1) << run->err();
  EXPECT_EQ(run->out().find("woke"), std::string::npos);
  EXPECT_NE(run->err().find("stopped: agent sleeper (naos stop by cli"), std::string::npos) << run->err();
  EXPECT_EQ(status("sleeper"), "stopped");
  auto all = events("sleeper");
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(actions("sleeper").back(), "agent.stopped");
  EXPECT_EQ(all.back()["payload"]["from"], "running");
  EXPECT_NE(all.back()["payload"]["reason"].get<std::string>().find("naos stop"), std::string::npos) << all.back();
  // The request is gone once the stop is done; the next run is not stopped by it.
  EXPECT_FALSE(std::filesystem::exists(root() / "data" / "stops" / "sleeper.json"));
  auto again = naos({"run", "sleeper", "--input", "10"});
  EXPECT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(again.out, "woke\n");
}

TEST_F(CliStopTest, ForceKillsTheProcessOfARunThatDoesNotStop) {
  auto run = start_sleeper();
  // Frozen: it cannot see the request, as a wedged process would not.
  ASSERT_EQ(kill(run->pid(), SIGSTOP), 0);
  auto refused = naos({"stop", "sleeper", "--timeout", "300ms"});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("AGENT_TIMEOUT (104)"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("naos stop --force sleeper"), std::string::npos) << refused.err;
  EXPECT_EQ(status("sleeper"), "running");
  auto forced = naos({"stop", "sleeper", "--force", "--timeout", "300ms"});
  EXPECT_EQ(forced.exit_status, 0) << forced.err;
  EXPECT_EQ(run->wait(5s), 128 + SIGKILL);
  EXPECT_EQ(status("sleeper"), "stopped");
  auto last = events("sleeper").back();
  EXPECT_EQ(last["action"], "agent.stopped");
  EXPECT_EQ(last["payload"]["forced"], true);
  EXPECT_EQ(last["payload"]["killed_pid"], run->pid());
}

TEST_F(CliStopTest, InterruptingNaosRunEndsTheRunStoppedBeforeItExits) {
  for (int signal_number : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    auto run = start_sleeper();
    ASSERT_EQ(kill(run->pid(), signal_number), 0);
    EXPECT_EQ(run->wait(5s), 128 + signal_number) << run->err();
    EXPECT_EQ(status("sleeper"), "stopped");
    auto all = actions("sleeper");
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back(), "agent.stopped");
    // Every start has its end: none is left dangling.
    EXPECT_EQ(std::count(all.begin(), all.end(), "agent.started"),
              std::count(all.begin(), all.end(), "agent.stopped"));
    EXPECT_NE(events("sleeper").back()["payload"]["reason"].get<std::string>().find("interrupted"), std::string::npos);
  }
}

TEST_F(CliStopTest, ASupervisorRestartsAStoppedChildUnlessToldNoRestart) {
  Background tree({"supervisor", "start", "root", "--json"}, root());
  ASSERT_TRUE(eventually([&] { return status("sleeper") == "running"; })) << tree.err();
  auto started = [&] {
    auto all = actions("sleeper");
    return std::count(all.begin(), all.end(), "agent.started");
  };
  // A plain stop ends the run; the supervisor decides, and restarts it.
  ASSERT_EQ(naos({"stop", "sleeper"}).exit_status, 0);
  EXPECT_TRUE(eventually([&] { return started() == 2; })) << tree.out();
  // --no-restart: it stays stopped, paused in the tree.
  auto stop = naos({"stop", "sleeper", "--no-restart"});
  ASSERT_EQ(stop.exit_status, 0) << stop.err;
  EXPECT_TRUE(eventually([&] {
    auto supervisor = json({"supervisor", "status", "root", "--json"});
    return supervisor["children"][0]["state"] == "paused";
  })) << json({"supervisor", "status", "root", "--json"}).dump();
  EXPECT_TRUE(eventually([&] { return status("sleeper") == "stopped"; }));
  EXPECT_EQ(started(), 2);
  kill(tree.pid(), SIGTERM);
  EXPECT_EQ(tree.wait(10s), 0) << tree.err();
}

TEST_F(CliStopTest, RunAllRunsEveryAgentOfTheConfig) {
  // The sleeper sleeps 10 ms on this input, so --all ends.
  auto all = json({"run", "--all", "--input", "10", "--json"});
  ASSERT_TRUE(all.is_array()) << all.dump();
  std::vector<std::string> agents;
  for (const auto& run : all) {
    agents.push_back(run["agent"]);
    EXPECT_EQ(run["ok"], true) << run.dump();
  }
  EXPECT_EQ(agents, (std::vector<std::string>{"env-reader", "json-b", "ok-a", "sleeper"}));
  auto refused = naos({"run", "ok-a", "--all"});
  EXPECT_EQ(refused.exit_status, 2);
}

TEST_F(CliStopTest, SecretSetOnATerminalPromptsAndDoesNotEcho) {
  int terminal = -1;
  pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(root().c_str()) != 0) _exit(127);
    execl(NAOS_BINARY, NAOS_BINARY, "secret", "set", "SECRET", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string seen;
  auto read_some = [&](std::chrono::milliseconds timeout) {
    pollfd in{terminal, POLLIN, 0};
    if (poll(&in, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buffer[256];
    ssize_t got = read(terminal, buffer, sizeof buffer);
    if (got <= 0) return false;
    seen.append(buffer, static_cast<size_t>(got));
    return true;
  };
  ASSERT_TRUE(eventually([&] {
    read_some(50ms);
    return seen.find("Value for secret SECRET") != std::string::npos;
  })) << seen;
  std::string typed = "hunter2-s3cret\n";
  ASSERT_EQ(write(terminal, typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
  while (read_some(2s)) {
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(terminal);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  EXPECT_EQ(seen.find("hunter2"), std::string::npos) << "the secret was echoed: " << seen;
  EXPECT_NE(seen.find("stored secret SECRET"), std::string::npos) << seen;
  auto run = naos({"run", "env-reader"});
  EXPECT_NE(run.out.find("SECRET=hunter2-s3cret\n"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace naos
