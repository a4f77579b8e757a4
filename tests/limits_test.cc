// What a hostile agent can make the host do is bounded (issue 19): the real
// `naos` binary, a real project with its SQLite database, hostile modules
// from tests/agents, and a real HTTP server on 127.0.0.1. Each test names
// what the guest tried and asserts what it got.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::read_file;
using testing::run_naos;
using testing::write_file;

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Post("/post", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.has_header("Authorization")) ++injected_;
      res.set_content("got " + req.get_header_value("Content-Type"), "text/plain");
    });
    server_.start();
    std::filesystem::create_directories(dir_.path() / "out");
    port_ = std::to_string(server_.port());
    auto agent = [](const std::string& name) { return agent_path(name).string(); };
    write_file(dir_.path() / "nexus.config.yaml", R"(name: limits-test
execution:
  timeout: 20s
agents:
  stderr-flood:
    source: )" + agent("stderr_flood") + R"(
    execution: { maxLog: 1GiB }
  empty-lines:
    source: )" + agent("stderr_flood") + R"(
  empty-lines-files:
    source: )" + agent("stderr_flood") + R"(
    capabilities: { filesystem: { write: [out] } }
  log-flood:
    source: )" + agent("log_flood") + R"(
    execution: { maxLog: 1MB }
  forger:
    source: )" + agent("log_forger") + R"(
  poster:
    source: )" + agent("http_poster") + R"(
    capabilities: { network: restricted, allowedHosts: ["127.0.0.1:)" + port_ + R"("] }
  open-poster:
    source: )" + agent("http_poster") + R"(
    capabilities: { network: open }
  elsewhere-poster:
    source: )" + agent("http_poster") + R"(
    capabilities: { network: restricted, allowedHosts: [api.example.com] }
  kv-flood:
    source: )" + agent("kv_flood") + R"(
    capabilities: { kv: true }
)");
  }

  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "") {
    return run_naos(args, dir_.path(), input);
  }

  nlohmann::json run_json(const std::string& agent, const std::vector<std::string>& extra = {},
                          const std::string& input = "") {
    std::vector<std::string> args = {"run", agent, "--json"};
    if (!input.empty()) args.insert(args.end(), {"--input", "-"});  // stdin is read only when asked
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = naos(args, input);
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << result.out << result.err;
    return json;
  }

  std::string post_input(const std::string& url, const std::string& content_type) {
    return url + "\t" + content_type;
  }

  testing::TempDir dir_;
  testing::LocalHttpServer server_;
  std::string port_;
  std::atomic<int> requests_{0};
  std::atomic<int> injected_{0};
};

// ---- the deadline holds inside a host call -------------------------------------

TEST_F(LimitsTest, OneFdWriteOf64IovecsCannotOutrunTheTimeout) {
  // 64 Mi log lines from one host call: only the deadline can stop it.
  auto json = run_json("stderr-flood", {"--timeout", "1s"});
  EXPECT_EQ(json["error"], "timeout") << json.dump();
  EXPECT_EQ(json["code"], 104);
  EXPECT_EQ(json["output"], "");
}

// ---- the log of a run is bounded -------------------------------------------------

// Bytes of data/logs/<agent>.log, 0 when there is none.
uint64_t log_size(const std::filesystem::path& project, const std::string& agent) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(project / "data" / "logs" / (agent + ".log"), ec);
  return ec ? 0 : size;
}

TEST_F(LimitsTest, LongLogLinesStopAtMaxLogWithLogTooLarge) {
  auto json = run_json("log-flood");
  EXPECT_EQ(json["error"], "log_too_large") << json.dump();
  EXPECT_EQ(json["code"], 103);
  EXPECT_EQ(json["output"], "");  // never refused with a code: the run ended
  uint64_t size = log_size(dir_.path(), "log-flood");
  EXPECT_GT(size, 900u * 1024) << "the lines before the limit are kept";
  EXPECT_LE(size, 1024u * 1024);
}

TEST_F(LimitsTest, EmptyStderrLinesCountAgainstTheDefaultMaxLog) {
  // 64 Mi empty lines: free in bytes of text, but each costs its 32 bytes
  // of time and level, so the default 4MB ends the run long before its
  // timeout, on both routes of stderr.
  for (std::string agent : {"empty-lines", "empty-lines-files"}) {
    auto json = run_json(agent);
    EXPECT_EQ(json["error"], "log_too_large") << agent << ": " << json.dump();
    EXPECT_LE(log_size(dir_.path(), agent), 4u * 1024 * 1024) << agent;
    EXPECT_GT(log_size(dir_.path(), agent), 3u * 1024 * 1024) << agent;
  }
}

// ---- agents cannot forge log lines ---------------------------------------------

TEST_F(LimitsTest, AForgedLogLineIsPrintedAsOneSanitizedLine) {
  auto run = naos({"run", "forger"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.err.find('\x1b'), std::string::npos) << "the run's echo reached the terminal raw";
  auto logs = naos({"logs", "forger"});
  ASSERT_EQ(logs.exit_status, 0) << logs.err;
  for (char control : {'\x1b', '\a', '\r'}) EXPECT_EQ(logs.out.find(control), std::string::npos) << logs.out;
  std::vector<std::string> lines;
  std::istringstream in(logs.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u) << logs.out;  // one line per event: the log call and the stderr line
  EXPECT_NE(lines[0].find(" info real\\n2030-01-01T00:00:00.000Z error FORGED \\x1b[31mred\\x1b[0m"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(" info \\x1b[2Jwiped\\x07\\r"), std::string::npos) << lines[1];
  for (const auto& line : lines) EXPECT_NE(line.rfind("2030", 0), 0u) << line;
}

// ---- headers and URLs -----------------------------------------------------------

TEST_F(LimitsTest, AContentTypeWithCrLfIsRefusedAndNothingReachesTheServer) {
  std::string url = "http://127.0.0.1:" + port_ + "/post";
  auto plain = run_json("poster", {}, post_input(url, "text/plain"));
  EXPECT_EQ(plain["output"], "rc=200 body=got text/plain\n") << plain.dump();
  ASSERT_EQ(requests_.load(), 1);  // the server is reachable: what follows is a refusal

  for (std::string type : {std::string("text/plain\r\nAuthorization: Bearer X"), std::string("text/plain\nX: y"),
                           std::string("text/plain\0Authorization: Bearer X", 34)}) {
    auto json = run_json("poster", {}, post_input(url, type));
    EXPECT_EQ(json["output"], "rc=-4 body=\n") << json.dump();  // NEXUS_E_INVALID
  }
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_EQ(injected_.load(), 0);
}

TEST_F(LimitsTest, ATrailingDotHostIsJudgedAsTheHostWithoutIt) {
  // Allowed: 127.0.0.1. is the listed 127.0.0.1.
  auto listed = run_json("poster", {}, post_input("http://127.0.0.1.:" + port_ + "/post", "text/plain"));
  EXPECT_EQ(listed["output"], "rc=200 body=got text/plain\n") << listed.dump();
  // Refused: with an open network, loopback still needs an entry naming it.
  auto open = run_json("open-poster", {}, post_input("http://127.0.0.1.:" + port_ + "/post", "text/plain"));
  EXPECT_EQ(open["output"], "rc=-1 body=\n") << open.dump();
  ASSERT_EQ(open["denials"].size(), 1u);
  EXPECT_NE(open["denials"][0]["detail"].get<std::string>().find("internal address 127.0.0.1"), std::string::npos);
  // Refused by the allow-list itself, before any name is looked up.
  auto elsewhere = run_json("elsewhere-poster", {}, post_input("http://localhost.:" + port_ + "/post", "text/plain"));
  EXPECT_EQ(elsewhere["output"], "rc=-1 body=\n") << elsewhere.dump();
  ASSERT_EQ(elsewhere["denials"].size(), 1u);
  EXPECT_NE(elsewhere["denials"][0]["detail"].get<std::string>().find("not on the agent's allowedHosts"),
            std::string::npos);
  EXPECT_EQ(requests_.load(), 1);
}

// ---- memory: a refused grow is the limit's doing ----------------------------------

TEST_F(LimitsTest, AGrowRefusedFarBelowTheLimitIsMemoryLimitExceeded) {
  // Grows 16 pages (1 MiB) at a time: the grow to 64 MiB + 1 page is refused
  // with 63 MiB in use, more than a page below the limit.
  auto json = run_json(agent_path("memory_steps").string(), {"--memory", "64MB"});
  EXPECT_EQ(json["error"], "memory_limit_exceeded") << json.dump();
  EXPECT_EQ(json["code"], 105);
  EXPECT_LT(json["memory_bytes"].get<uint64_t>() + 65536, 64u << 20) << json.dump();
}

// ---- kv calls per run -----------------------------------------------------------

TEST_F(LimitsTest, KvCallsPastTenThousandInOneRunGetNexusELimit) {
  auto json = run_json("kv-flood");
  EXPECT_EQ(json["error"], nullptr) << json.dump();
  EXPECT_EQ(json["output"], "10000 -6\n");  // 10,000 answered, then NEXUS_E_LIMIT
}

}  // namespace
}  // namespace naos
