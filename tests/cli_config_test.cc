// nexus.config.yaml as the real `naos` binary reads it: every command that
// loads the config refuses what validation refuses, fast, with the
// documented "error: file:line:col: key.path: message" and exit status 2
// (docs/config.md). Issue 19.5 (bounded YAML), 19.11 (validation says no)
// and 11.10 (the documented forms of the reference's files).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "reference_configs.h"
#include "test_support.h"

namespace naos {
namespace {

using testing::run_naos;

class CliConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = run_naos({"init", "proj"}, dir_.path());
    ASSERT_EQ(init.exit_status, 0) << init.err;
  }
  std::filesystem::path root() const { return dir_.path() / "proj"; }
  std::filesystem::path config_file() const { return root() / "nexus.config.yaml"; }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }

  // `naos config validate` and `naos status` both refuse the config within
  // `limit`, exit 2, and print `needle` in the error. (Each takes well under
  // a second of CPU; the old main took minutes on the alias bomb and the
  // deep chain. The limit is wall time on a shared, busy machine.)
  void ExpectRefused(const std::string& config, const std::string& needle,
                     std::chrono::seconds limit = std::chrono::seconds(30)) {
    testing::write_file(config_file(), config);
    for (const auto& command : {std::vector<std::string>{"config", "validate"}, std::vector<std::string>{"status"}}) {
      auto started = std::chrono::steady_clock::now();
      auto result = naos(command);
      auto took = std::chrono::steady_clock::now() - started;
      EXPECT_EQ(result.exit_status, 2) << command[0] << ": " << result.err;
      EXPECT_NE(result.err.find(needle), std::string::npos) << command[0] << ": " << result.err;
      EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
      EXPECT_LT(took, limit) << command[0];
    }
  }

  testing::TempDir dir_;
};

// ---- bounded YAML (issue 19.5) ---------------------------------------------

// The 643-byte config of the issue: aliases 9 deep, 10 wide, under metadata:.
std::string AliasBomb() {
  std::string text = "name: bomb\nagents:\n  a:\n    metadata:\n      l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n";
  for (int level = 1; level < 9; ++level) {
    std::string previous = "*l" + std::to_string(level - 1);
    text += "      l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? "," : "") + previous;
    text += "]\n";
  }
  return text;
}

TEST_F(CliConfigTest, TheAliasBombIsRefusedFastByEveryCommand) {
  std::string bomb = AliasBomb();
  EXPECT_LT(bomb.size(), 700u);
  ExpectRefused(bomb, "nexus.config.yaml:9:44: agents.a.metadata.l4[7]: the aliases up to here stand for more than "
                      "100000 nodes once expanded");
}

TEST_F(CliConfigTest, ATwentyThousandDeepSupervisorChainIsRefusedFast) {
  std::string text = "agents: { a: {} }\nsupervisors:\n";
  for (int i = 1; i < 20'000; ++i) {
    text += "  s" + std::to_string(i) + ": { children: [s" + std::to_string(i + 1) + "] }\n";
  }
  text += "  s20000: { children: [a] }\n";
  ExpectRefused(text, "supervisors.s11: the supervision tree is 11 levels deep here");
}

TEST_F(CliConfigTest, ASecondDocumentIsRefusedNotIgnored) {
  ExpectRefused("name: one\n---\nagents: { evil: { source: x.wasm } }\n",
                "nexus.config.yaml:2:1: a second YAML document (after ---) is not allowed");
}

TEST_F(CliConfigTest, AConfigOverOneMebibyteIsRefusedUnread) {
  ExpectRefused("name: big\n#" + std::string(2 << 20, 'x') + "\n", "a config may be at most 1MiB");
}

TEST_F(CliConfigTest, NestingDeeperThanSixtyFourLevelsIsRefused) {
  std::string deep = "agents:\n  a:\n    metadata: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  ExpectRefused(deep + "\n", "nested more than 64 levels deep");
}

// ---- validation says no (issue 19.11) --------------------------------------

TEST_F(CliConfigTest, EnvGrantsThatAreNotVariableNamesAreRefused) {
  std::string agent = "agents:\n  a:\n    capabilities: { env: ";
  ExpectRefused(agent + "['*'] }\n",
                "nexus.config.yaml:3:27: agents.a.capabilities.env[0]: \"*\" is a pattern; list each variable");
  ExpectRefused(agent + "[''] }\n", "agents.a.capabilities.env[0]: an environment variable name cannot be empty");
  ExpectRefused(agent + "['A=B'] }\n", "\"A=B\" is an assignment; env lists the names of host variables passed "
                                       "through, not values; did you mean A?");
  ExpectRefused(agent + "[\"HOME\\0PATH\"] }\n", "got \"HOME\\x00PATH\"");
}

TEST_F(CliConfigTest, ASourceOutsideTheProjectIsRefused) {
  ExpectRefused("agents:\n  a: { source: /etc/passwd }\n",
                "nexus.config.yaml:2:16: agents.a.source: must be a module inside the project");
  ExpectRefused("agents:\n  a: { source: ../../../bin/ls }\n",
                "agents.a.source: must stay inside the project (a project-relative path without ..)");
}

TEST_F(CliConfigTest, TimeoutsSchedulesAndSizesBeyondTheirLimitsAreRefused) {
  ExpectRefused("execution: { timeout: 9223372036854775807ms }\n",
                "nexus.config.yaml:1:23: execution.timeout: duration \"9223372036854775807ms\" is too long; "
                "at most 365d");
  ExpectRefused("agents:\n  a: { schedule: \"@every 1000d\" }\n",
                "agents.a.schedule: duration \"1000d\" is too long; at most 365d");
  ExpectRefused("execution: { maxOutput: 99999999999999999999 }\n",
                "execution.maxOutput: size \"99999999999999999999\" is too large");
}

// ---- the documented forms of the reference's files (issue 11.10) ------------

using testing::kReadmeConfig;  // reference/nexus-docs.md 4.1, verbatim

// Bytes that are not text in the file: a clear error with where they are,
// and `--json` that is JSON (it was an "internal" nlohmann type_error).
TEST_F(CliConfigTest, AConfigThatIsNotUtf8IsRefusedWithWhereInTextAndJson) {
  ExpectRefused("name: proj\nexecution: { timeout: \"\xff\" }\n",
                "nexus.config.yaml:2:24: not UTF-8 text: byte 0xFF (save the file as UTF-8)");
  auto json = naos({"config", "validate", "--json"});
  EXPECT_EQ(json.exit_status, 2) << json.err;
  auto error = nlohmann::json::parse(json.out)["error"];
  EXPECT_EQ(error["kind"], "invalid_argument") << json.out;
  EXPECT_EQ(error["line"], 2) << json.out;
  EXPECT_EQ(error["column"], 24) << json.out;
}

TEST_F(CliConfigTest, AnErrorNeverSendsTheFilesEscapeSequencesToTheTerminal) {
  ExpectRefused("name: proj\nexecution: { timeout: \"\\e]0;pwned\\a\" }\n", "\\x1b]0;pwned\\x07");
  auto status = naos({"status"});
  EXPECT_EQ(status.err.find('\x1b'), std::string::npos) << status.err;
  auto json = naos({"config", "validate", "--json"});
  EXPECT_EQ(json.exit_status, 2) << json.err;
  EXPECT_NE(nlohmann::json::parse(json.out)["error"]["message"].get<std::string>().find("\\x1b]0;pwned"),
            std::string::npos)
      << json.out;
}

TEST_F(CliConfigTest, TheReadmesConfigIsValidWithOneWarningForEdge) {
  testing::write_file(config_file(), kReadmeConfig);
  const std::string warning =
      "warning: nexus.config.yaml:8:1: edge: Cloudflare edge deployment is out of scope for naos (PRODUCT.md); the "
      "section is ignored\n";
  auto validated = naos({"config", "validate"});
  EXPECT_EQ(validated.exit_status, 0) << validated.err;
  EXPECT_EQ(validated.out, "ok: nexus.config.yaml is valid (2 agents, 3 budgets, 1 skill)\n");
  EXPECT_EQ(validated.err, warning);
  auto json = naos({"config", "validate", "--json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["warnings"],
            nlohmann::json::array({"nexus.config.yaml:8:1: edge: Cloudflare edge deployment is out of scope for naos "
                                   "(PRODUCT.md); the section is ignored"}));
  auto status = naos({"status"});
  EXPECT_EQ(status.exit_status, 0) << status.err;
  EXPECT_NE(status.err.find("edge: Cloudflare edge deployment is out of scope"), std::string::npos) << status.err;
  EXPECT_EQ(naos({"--quiet", "status"}).err, "");
}

TEST_F(CliConfigTest, TrustRequirementsMinTScoreGatesARun) {
  auto created = naos({"create", "worker", "--source", testing::agent_path("trivial").string()});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  std::string config = testing::read_file(config_file());
  testing::write_file(config_file(), config + "trust:\n  provider: axis\n  requirements: { minTScore: 100 }\n"
                                              "  enforcement: { onUntrusted: reject }\n");
  auto refused = naos({"run", "worker"});
  EXPECT_EQ(refused.exit_status, 2) << refused.err;
  EXPECT_NE(refused.err.find("TRUST_SCORE_LOW"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("under trust.requirements.minTScore 100"), std::string::npos) << refused.err;
  testing::write_file(config_file(), config + "trust: { requirements: { minTScore: 0 } }\n");
  auto allowed = naos({"run", "worker"});
  EXPECT_EQ(allowed.exit_status, 0) << allowed.err;
}

TEST_F(CliConfigTest, ADocumentedFormThatNamesNoFolderIsRefusedWithWhatToWrite) {
  ExpectRefused("agents:\n  a: { capabilities: { fileWrite: true } }\n",
                "nexus.config.yaml:2:35: agents.a.capabilities.fileWrite: names no folder; grant folders with "
                "filesystem: { write: [folder] }");
}

}  // namespace
}  // namespace naos
