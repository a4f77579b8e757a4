// `naos daemon` runs scheduled agents on time while it is up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

TEST(CliDaemon, RunsAScheduledAgentOnItsIntervalUntilStopped) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: d\nagents:\n  ticker:\n    source: " + agent_path("kv-counter").string() +
                          "\n    capabilities: { kv: true }\n    schedule: \"@every 1s\"\n  idle:\n    source: " +
                          agent_path("echo").string() + "\n");
  auto started = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    execl(NAOS_BINARY, NAOS_BINARY, "daemon", nullptr);
    _exit(127);
  }
  auto completed = [&] {
    auto out = run_naos({"audit", "--action", "agent.completed", "--json"}, dir.path()).out;
    auto events = nlohmann::json::parse(out, nullptr, false);
    return events.is_array() ? events.size() : size_t{0};
  };
  auto deadline = started + std::chrono::seconds(60);
  while (completed() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  auto up = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(WIFEXITED(status)) << "the daemon did not stop cleanly on SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);

  auto audit = nlohmann::json::parse(run_naos({"audit", "--action", "agent.completed", "--json"}, dir.path()).out);
  ASSERT_GE(audit.size(), 2u);
  // One run a second while it was up (at 1s, 2s, ...), never more.
  EXPECT_LE(audit.size(), static_cast<size_t>(std::chrono::duration_cast<std::chrono::seconds>(up).count()) + 1);
  for (const auto& e : audit) {
    EXPECT_EQ(e["agent_name"], "ticker");
    EXPECT_EQ(e["actor"], "scheduler");
  }
  auto state = nlohmann::json::parse(run_naos({"inspect", "ticker", "--state", "--json"}, dir.path()).out);
  EXPECT_EQ(state["state"]["count"], std::to_string(audit.size()));
  auto stopped = nlohmann::json::parse(run_naos({"audit", "--action", "daemon.stopped", "--json"}, dir.path()).out);
  EXPECT_EQ(stopped.size(), 1u);
}

TEST(CliDaemon, WithoutScheduledAgentsItSaysSoAndExits) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: d\nagents:\n  idle:\n    source: " + agent_path("echo").string() + "\n");
  auto result = run_naos({"daemon"}, dir.path());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("no agent has a schedule"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace naos
