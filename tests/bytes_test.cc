// Bytes are bytes (issue 11, item 1): inputs and outputs that are not UTF-8
// (0xFF, NUL, 100,000 random bytes) go through every command that takes
// input or prints agent output, through the real binary, and come back
// byte-exact (text mode as is; --json as bytes_json: a string when UTF-8,
// else {"base64": ...}). Nothing aborts, no run is left `running`, and the
// host functions refuse keys and URLs that are not UTF-8 with -4.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "core/naos.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

std::string random_bytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

// What every test feeds: a lone 0xFF, NUL among invalid UTF-8, Latin-1, and
// 100,000 random bytes (what `head -c 100000 /dev/urandom` gives).
std::vector<std::string> hostile_inputs() {
  return {"\xff", std::string("a\0b\xff\xfe", 5), "caf\xe9", random_bytes(100000, 11)};
}

class BytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string echo = agent_path("bytes_echo").string(), guest = agent_path("bytes_guest").string();
    std::string grants = ", capabilities: { kv: true, network: open } }\n";
    std::string config = "name: bytes\nagents:\n";
    for (const char* name : {"echo", "echo-b", "echo-undo", "ff-step", "failff"}) {
      config += std::string("  ") + name + ": { source: " + echo + " }\n";
    }
    for (const char* name : {"badkey", "badurl", "badcost"}) {
      config += std::string("  ") + name + ": { source: " + guest + grants;
    }
    config += "  slow2000-b: { source: " + agent_path("actor").string() + ", capabilities: { kv: true } }\n";
    config += "workflows:\n"
              "  pipe: { steps: [ {name: one, agent: echo}, {name: ff, agent: ff-step},\n"
              "                   {name: three, agent: echo-b} ] }\n"
              "  slow: { steps: [ {name: one, agent: ff-step}, {name: wait, agent: slow2000-b} ] }\n"
              "sagas:\n"
              "  order:\n    steps:\n"
              "      - { name: reserve, agent: echo, compensate: echo-undo }\n"
              "      - { name: charge, agent: failff }\n"
              "  fine:\n    steps:\n      - { name: only, agent: ff-step, compensate: echo-undo }\n"
              "pools:\n"
              "  fan: { members: [echo, ff-step], merge: all }\n"
              "  first: { members: [ff-step], merge: first }\n"
              "  clones: { agent: ff-step, size: 2 }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
    std::filesystem::create_directories(root() / "data");
  }
  void TearDown() override { ExpectNoRunLeftRunning(); }

  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& stdin_bytes = "") {
    return run_naos(args, root(), stdin_bytes);
  }
  // Runs a --json command, checks its exit status and parses its stdout.
  nlohmann::json json(const std::vector<std::string>& args, int expected_status = 0,
                      const std::string& stdin_bytes = "") {
    auto result = naos(args, stdin_bytes);
    EXPECT_EQ(result.exit_status, expected_status) << result.err;
    auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result.out.substr(0, 200) << result.err;
    return parsed;
  }
  static std::string bytes(const nlohmann::json& value) {
    auto decoded = bytes_from_json(value);
    EXPECT_TRUE(decoded) << value.dump().substr(0, 200);
    return decoded ? *decoded : std::string("<not bytes>");
  }
  // Every run, nested ones too, has ended; `runs`, `inspect` and the
  // status views of each still work.
  void ExpectNoRunLeftRunning() {
    auto all = json({"runs", "--nested", "--last", "0", "--json"});
    ASSERT_TRUE(all.is_array());
    for (const auto& run : all) {
      EXPECT_NE(run["state"], "running") << run["id"];
      EXPECT_NE(run["state"], "compensating") << run["id"];
      auto inspected = json({"inspect", run["id"].get<std::string>(), "--json"});
      EXPECT_EQ(inspected["id"], run["id"]);
    }
    json({"workflow", "status", "--json"});
    json({"saga", "status", "--all", "--json"});
    json({"saga", "list", "--json"});
    json({"pool", "status", "--json"});
    json({"audit", "--json"});
    auto verified = naos({"audit", "verify"});
    EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
  }
  // The newest top-level run.
  nlohmann::json last_run() {
    auto all = json({"runs", "--json"});
    EXPECT_FALSE(all.empty());
    return all.empty() ? nlohmann::json() : all.back();
  }

  testing::TempDir dir_;
};

TEST_F(BytesTest, RunEchoesAnyBytesExactlyFromStdinAndFromAFile) {
  for (const auto& input : hostile_inputs()) {
    auto text = naos({"run", "echo", "--input", "-"}, input);
    EXPECT_EQ(text.exit_status, 0) << text.err;
    EXPECT_EQ(text.out, input);
    auto out = json({"run", "echo", "--input", "-", "--json"}, 0, input);
    EXPECT_EQ(bytes(out["output"]), input);
    testing::write_file(root() / "input.bin", input);
    out = json({"run", "echo", "--input", "@input.bin", "--json"});
    EXPECT_EQ(bytes(out["output"]), input);
    EXPECT_EQ(out["output"].is_string(), is_utf8(input));
  }
}

TEST_F(BytesTest, AnAgentThatFailsWritingFFToStderrExitsOneAndIsAudited) {
  auto out = json({"run", "failff", "--input", "-", "--json"}, 1, "caf\xe9");
  EXPECT_EQ(out["ok"], false);
  auto failed = json({"audit", "--action", "agent.failed", "--json"});
  ASSERT_EQ(failed.size(), 1u);
}

TEST_F(BytesTest, WorkflowCarriesBytesThroughAStepThatWritesFF) {
  for (const auto& input : hostile_inputs()) {
    testing::write_file(root() / "input.bin", input);
    auto out = json({"workflow", "run", "pipe", "--input", "@input.bin", "--json"});
    EXPECT_EQ(out["state"], "completed");
    EXPECT_EQ(bytes(out["output"]), input + "\xff");
    auto text = naos({"workflow", "run", "pipe", "--input", "-"}, input);
    EXPECT_EQ(text.exit_status, 0) << text.err;
    EXPECT_EQ(text.out, input + "\xff\n");
    // The run's record and journal keep the bytes exactly.
    auto run = last_run();
    EXPECT_EQ(bytes(run["input"]), input);
    EXPECT_EQ(bytes(run["output"]), input + "\xff");
    auto inspected = json({"inspect", run["id"].get<std::string>(), "--json"});
    bool saw_ff_output = false;
    for (const auto& entry : inspected["journal"]) {
      if (entry["event"] == "step.completed" && entry["step_name"] == "ff") {
        EXPECT_EQ(bytes(entry["data"]["output"]), input + "\xff");
        saw_ff_output = true;
      }
    }
    EXPECT_TRUE(saw_ff_output);
    EXPECT_EQ(naos({"inspect", run["id"].get<std::string>()}).exit_status, 0);
  }
  auto status = json({"workflow", "status", "pipe", "--json"});
  EXPECT_EQ(bytes(status["last_run"]["output"]), hostile_inputs().back() + "\xff");
}

TEST_F(BytesTest, SagaWithBytesRollsBackAndCanRunAgain) {
  const std::string input = "caf\xe9";
  for (int round = 0; round < 2; ++round) {  // the second is not SAGA_ALREADY_RUNNING
    auto out = json({"saga", "run", "order", "--input", "-", "--json"}, 1, input);
    EXPECT_EQ(out["state"], "rolled_back");
  }
  // The compensation got the step's input and output as bytes_json.
  auto inspected = json({"inspect", last_run()["id"].get<std::string>(), "--json"});
  bool compensated = false;
  for (const auto& entry : inspected["journal"]) {
    if (entry["event"] != "compensation.completed") continue;
    auto given = nlohmann::json::parse(bytes(entry["data"]["output"]));
    EXPECT_EQ(bytes(given["input"]), input);
    EXPECT_EQ(bytes(given["output"]), input);
    compensated = true;
  }
  EXPECT_TRUE(compensated);
  for (const auto& bytes_in : hostile_inputs()) {
    auto fine = json({"saga", "run", "fine", "--input", "-", "--json"}, 0, bytes_in);
    EXPECT_EQ(fine["state"], "completed");
    EXPECT_EQ(bytes(fine["output"]), bytes_in + "\xff");
  }
}

TEST_F(BytesTest, FanOutPoolMergesBytesLosslessly) {
  for (const auto& input : hostile_inputs()) {
    auto out = json({"pool", "run", "fan", "--input", "-", "--json"}, 0, input);
    EXPECT_EQ(out["state"], "completed");
    // merge: all is a JSON array of the members' outputs, each as bytes_json.
    auto merged = nlohmann::json::parse(bytes(out["output"]));
    ASSERT_EQ(merged.size(), 2u);
    EXPECT_EQ(bytes(merged[0]), input);
    EXPECT_EQ(bytes(merged[1]), input + "\xff");
    EXPECT_EQ(bytes(out["items"][1]["output"]), input + "\xff");
    auto first = json({"pool", "run", "first", "--input", "-", "--json"}, 0, input);
    EXPECT_EQ(bytes(first["output"]), input + "\xff");
    auto text = naos({"pool", "run", "first", "--input", "-"}, input);
    EXPECT_EQ(text.exit_status, 0) << text.err;
    EXPECT_EQ(text.out, input + "\xff");
  }
}

TEST_F(BytesTest, ClonePoolTakesBytesAsBase64TasksAndRefusesNonJsonInputCleanly) {
  const std::string raw = random_bytes(1000, 3);
  // Not a JSON array: a clear error, exit 2, nothing started.
  auto refused = naos({"pool", "run", "clones", "--input", "-"}, raw);
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("JSON array"), std::string::npos) << refused.err;
  nlohmann::json tasks = {bytes_json(raw), "text", bytes_json("\xff")};
  auto out = json({"pool", "run", "clones", "--input", "-", "--json"}, 0, tasks.dump());
  EXPECT_EQ(out["state"], "completed");
  auto merged = nlohmann::json::parse(bytes(out["output"]));
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(bytes(merged[0]), raw + "\xff");
  EXPECT_EQ(bytes(merged[1]), "text\xff");
  EXPECT_EQ(bytes(merged[2]), "\xff\xff");
  // Queued tasks with bytes, served: each task's output comes back exact.
  EXPECT_EQ(naos({"pool", "submit", "clones", "caf\xe9"}).exit_status, 0);
  auto served = json({"pool", "run", "clones", "--json"});
  EXPECT_EQ(served["state"], "completed");
  ASSERT_EQ(served["tasks"].size(), 1u);
  EXPECT_EQ(bytes(served["tasks"][0]["output"]), "caf\xe9\xff");
  // A later run is not refused (the issue: every later pool run exited 2).
  EXPECT_EQ(naos({"pool", "run", "clones"}).exit_status, 0);
}

TEST_F(BytesTest, KvRefusesAKeyThatIsNotUtf8AndInspectStateWorks) {
  auto out = json({"run", "badkey", "--json"});
  EXPECT_EQ(out["output"], "set=-4 get=-4 ok=0");
  auto state = json({"inspect", "badkey", "--state", "--json"});
  EXPECT_EQ(state["state"], (nlohmann::json{{"ok", "v"}}));
}

TEST_F(BytesTest, HttpGetOfAUrlThatIsNotUtf8IsInvalidAndTheRunIsAudited) {
  auto out = json({"run", "badurl", "--input", "http://127.0.0.1:9/x", "--json"});
  EXPECT_EQ(out["output"], "get=-4");
  auto started = json({"audit", "--action", "agent.started", "--json"});
  auto completed = json({"audit", "--action", "agent.completed", "--json"});
  EXPECT_EQ(started.size(), 1u);
  EXPECT_EQ(completed.size(), 1u);
}

TEST_F(BytesTest, CostRecordDetailWithFFKeepsItsAuditEvent) {
  auto out = json({"run", "badcost", "--json"});
  EXPECT_EQ(out["output"], "cost=0");
  auto recorded = json({"audit", "--action", "cost.recorded", "--json"});
  ASSERT_EQ(recorded.size(), 1u);
  auto history = json({"cost", "history", "--json"});
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(bytes(history[0]["detail"]), "caf\xe9 \xff");
  // The event's payload keeps the note losslessly.
  EXPECT_NE(recorded[0].dump().find(base64_encode("caf\xe9 \xff")), std::string::npos) << recorded[0];
}

// A workflow killed mid-run with bytes in its journal: `naos daemon` resumes
// it at start (the issue: the daemon aborted on every start) and finishes it.
TEST_F(BytesTest, DaemonResumesAKilledWorkflowWithBytesInItsJournal) {
  std::string input = "caf\xe9";
  testing::write_file(root() / "input.bin", input);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(root().c_str()) != 0) _exit(127);
    execl(NAOS_BINARY, NAOS_BINARY, "--quiet", "workflow", "run", "slow", "--input", "@input.bin",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the second step (the slow one) has started, then kill -9.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < deadline) {
    auto runs = nlohmann::json::parse(naos({"runs", "--json"}).out, nullptr, false);
    if (runs.is_array() && !runs.empty()) {
      auto inspected =
          nlohmann::json::parse(naos({"inspect", runs.back()["id"].get<std::string>(), "--json"}).out, nullptr, false);
      for (const auto& entry : inspected.value("journal", nlohmann::json::array())) {
        if (entry["step"] == 1 && entry["event"] == "step.started") started = true;
      }
    }
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(started);
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(last_run()["state"], "running");
  auto daemon = naos({"daemon", "--json"});
  EXPECT_EQ(daemon.exit_status, 0) << daemon.err;
  auto line = nlohmann::json::parse(daemon.out.substr(0, daemon.out.find('\n')));
  EXPECT_EQ(line["state"], "completed");
  EXPECT_EQ(bytes(last_run()["output"]), input + "\xff>slow2000-b");
}

}  // namespace
}  // namespace naos
