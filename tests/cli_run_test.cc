// `naos run` end to end: the real binary, a real project folder with a real
// SQLite database, real agents, and a real HTTP server on 127.0.0.1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::read_file;
using testing::run_naos;
using testing::write_file;

class CliRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hi there", "text/plain");
    });
    server_.server().Post("/shout", [](const httplib::Request& req, httplib::Response& res) {
      std::string body = req.body;
      for (auto& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      res.set_content(body + " (" + req.get_header_value("Content-Type") + ")", "text/plain");
    });
    server_.server().Get("/go-home", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/hello");
    });
    server_.server().Get("/go-away", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://127.0.0.1:1/elsewhere");
    });
    server_.start();
    port_ = std::to_string(server_.port());
    write_config("");
  }

  // The project's config; `extra` is appended under `agents:`.
  void write_config(const std::string& extra) {
    auto agent = [](const std::string& name) { return agent_path(name).string(); };
    write_file(dir_.path() / "nexus.config.yaml", R"(name: cli-test
execution:
  timeout: 10s
agents:
  counter:
    source: )" + agent("kv-counter") + R"(
    capabilities: { kv: true }
  other-counter:
    source: )" + agent("kv-counter") + R"(
    capabilities: { kv: true }
  fetcher:
    source: )" + agent("fetch") + R"(
    capabilities:
      network: restricted
      allowedHosts: ["127.0.0.1:)" + port_ + R"("]
  by-name:
    source: )" + agent("fetch") + R"(
    capabilities: { network: restricted, allowedHosts: ["localhost:)" + port_ + R"("] }
  logger:
    source: )" + agent("logger") + R"(
  traversal:
    source: )" + agent("path_traversal") + R"(
    capabilities: { filesystem: { read: [inputs] } }
  writer:
    source: )" + agent("write_output") + R"(
    capabilities: { filesystem: { write: [outputs] } }
  env-reader:
    source: )" + agent("read_env") + R"(
    capabilities: { env: [LANG] }
)" + extra);
  }

  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "",
                              const std::map<std::string, std::string>& env = {}) {
    return run_naos(args, dir_.path(), input, env);
  }

  testing::TempDir dir_;
  testing::LocalHttpServer server_;
  std::string port_;
};

// ---- kv ---------------------------------------------------------------------

TEST_F(CliRunTest, KvRoundTripSurvivesARestartOfNaos) {
  auto first = naos({"run", "counter"});
  ASSERT_EQ(first.exit_status, 0) << first.err;
  EXPECT_EQ(first.out, "1\n");
  auto second = naos({"run", "counter"});  // a new process: only the database remembers
  EXPECT_EQ(second.out, "2\n") << second.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "nexus.db"));
}

TEST_F(CliRunTest, KvIsPrivateToEachAgent) {
  naos({"run", "counter"});
  naos({"run", "counter"});
  auto other = naos({"run", "other-counter"});
  EXPECT_EQ(other.out, "1\n") << other.err;
}

// ---- http -------------------------------------------------------------------

TEST_F(CliRunTest, HttpGetReachesAServerOnTheAllowList) {
  auto result = naos({"run", "fetcher", "--input", server_.url("/hello")});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "status 200\nhi there");
}

TEST_F(CliRunTest, HttpPostSendsTheBodyAndContentType) {
  auto result = naos({"run", "fetcher", "--input", "POST " + server_.url("/shout") + " quiet words"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "status 200\nQUIET WORDS (text/plain)");
}

TEST_F(CliRunTest, HttpToAHostNotOnTheListIsDeniedAndRecorded) {
  auto result = naos({"run", "fetcher", "--json", "--input", "http://127.0.0.1:1/hello"});
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["output"], "error: denied\n");
  ASSERT_EQ(json["denials"].size(), 1u);
  EXPECT_EQ(json["denials"][0]["capability"], "http");
  EXPECT_NE(json["denials"][0]["detail"].get<std::string>().find("not on the agent's allowedHosts"),
            std::string::npos);
}

TEST_F(CliRunTest, HttpToLoopbackThroughAListedHostnameIsDenied) {
  auto result = naos({"run", "by-name", "--json", "--input", "http://localhost:" + port_ + "/hello"});
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["output"], "error: denied\n");
  ASSERT_EQ(json["denials"].size(), 1u);
  EXPECT_NE(json["denials"][0]["detail"].get<std::string>().find("internal address 127.0.0.1"), std::string::npos)
      << json.dump();
}

TEST_F(CliRunTest, RedirectsAreFollowedOnlyToAllowedTargets) {
  auto home = naos({"run", "fetcher", "--input", server_.url("/go-home")});
  EXPECT_EQ(home.out, "status 200\nhi there") << home.err;
  auto away = naos({"run", "fetcher", "--json", "--input", server_.url("/go-away")});
  auto json = nlohmann::json::parse(away.out);
  EXPECT_EQ(json["output"], "error: denied\n");
  EXPECT_NE(json["denials"][0]["detail"].get<std::string>().find("127.0.0.1:1"), std::string::npos);
}

// ---- logs -------------------------------------------------------------------

TEST_F(CliRunTest, LogLinesReachTheAgentsLogFileAndTheTerminal) {
  auto result = naos({"run", "logger"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.err.find("[warn] level warn"), std::string::npos) << result.err;
  std::string log = read_file(dir_.path() / "data" / "logs" / "logger.log");
  for (auto line : {"info line 1", "info line 3", "debug level debug", "warn level warn", "error level error"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << " not in:\n" << log;
  }
}

// ---- filesystem and environment ----------------------------------------------

TEST_F(CliRunTest, GrantedFolderIsReadableAndNothingOutsideItIs) {
  write_file(dir_.path() / "inputs" / "ok.txt", "fine");
  write_file(dir_.path() / "secret.txt", "TOPSECRET");
  std::filesystem::create_directories(dir_.path() / "inputs" / "sub");
  std::filesystem::create_directory_symlink(dir_.path(), dir_.path() / "inputs" / "link");
  auto result = naos({"run", "traversal"});
  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("/inputs/ok.txt: READ fine"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("TOPSECRET"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("write /inputs/new.txt: denied"), std::string::npos) << result.out;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "inputs" / "new.txt"));
}

TEST_F(CliRunTest, WritableGrantLetsTheAgentWriteThere) {
  std::filesystem::create_directories(dir_.path() / "outputs");
  auto result = naos({"run", "writer", "--input", "result!"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_EQ(read_file(dir_.path() / "outputs" / "result.txt"), "result!");
}

TEST_F(CliRunTest, MissingGrantedFolderIsAClearError) {
  auto result = naos({"run", "writer", "--input", "x"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("granted folder outputs does not exist"), std::string::npos) << result.err;
}

TEST_F(CliRunTest, OnlyGrantedEnvironmentVariablesPassThrough) {
  auto result = naos({"run", "env-reader"}, "", {{"LANG", "C.UTF-8"}, {"SECRET", "hunter2"}});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("environ: 1\nLANG=C.UTF-8"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("hunter2"), std::string::npos);
}

// ---- command line -------------------------------------------------------------

TEST_F(CliRunTest, InputComesFromTextFileOrStdin) {
  auto echo = agent_path("echo").string();
  EXPECT_EQ(naos({"run", echo, "--input", "text"}).out, "text");
  write_file(dir_.path() / "in.txt", "from a file");
  EXPECT_EQ(naos({"run", echo, "--input", "@in.txt"}).out, "from a file");
  EXPECT_EQ(naos({"run", echo, "--input", "-"}, "from stdin").out, "from stdin");
}

TEST_F(CliRunTest, JsonOutcomeHasTheDocumentedFields) {
  auto result = naos({"run", agent_path("echo").string(), "--input", "x", "--json"});
  ASSERT_EQ(result.exit_status, 0);
  auto json = nlohmann::json::parse(result.out);
  // Named by its module's hash, not its file name (which could be any agent's).
  EXPECT_EQ(json["agent"], "module:" + json["module_hash"].get<std::string>().substr(0, 12));
  EXPECT_EQ(json["ok"], true);
  EXPECT_TRUE(json["error"].is_null());
  EXPECT_EQ(json["output"], "x");
  EXPECT_EQ(json["module_hash"].get<std::string>().size(), 64u);
  for (auto key : {"elapsed_us", "fuel_consumed", "memory_bytes", "exit_status", "denials"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
}

TEST_F(CliRunTest, NaosAlonePrintsItsCommands) {
  auto result = naos({});
  EXPECT_EQ(result.exit_status, 2);
  for (auto command : {"run", "create", "audit", "cost", "axis", "daemon"}) {
    EXPECT_NE(result.out.find(std::string("  ") + command + " "), std::string::npos) << command;
  }
}

TEST_F(CliRunTest, MissingFileIsAgentNotFound) {
  auto result = naos({"run", "nowhere/missing.wasm"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("error: AGENT_NOT_FOUND (100)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("missing.wasm"), std::string::npos);
}

TEST_F(CliRunTest, UnknownAgentNameIsAgentNotFound) {
  auto result = naos({"run", "no-such-agent"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("AGENT_NOT_FOUND"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("no-such-agent"), std::string::npos);
}

TEST_F(CliRunTest, NonWasmFileIsAOneLineError) {
  write_file(dir_.path() / "fake.wasm", "this is not wasm");
  auto result = naos({"run", "fake.wasm"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("not a WebAssembly module"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST_F(CliRunTest, ModuleWithoutStartIsAOneLineError) {
  auto result = naos({"run", agent_path("no_start").string()});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_NE(result.err.find("invalid_module"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST_F(CliRunTest, TimeoutFlagStopsAnInfiniteLoop) {
  auto result = naos({"run", agent_path("infinite_loop").string(), "--timeout", "300ms"});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_NE(result.err.find("AGENT_TIMEOUT (104)"), std::string::npos) << result.err;
}

TEST_F(CliRunTest, MemoryFlagLimitsMemory) {
  auto result = naos({"run", agent_path("memory_bomb").string(), "--memory", "4MB", "--json"});
  EXPECT_EQ(result.exit_status, 1);
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["error"], "memory_limit_exceeded");
  EXPECT_EQ(json["code"], 105);
  EXPECT_LE(json["memory_bytes"].get<uint64_t>(), 4u << 20);
}

TEST_F(CliRunTest, BadFlagValuesAreRefused) {
  auto echo = agent_path("echo").string();
  auto memory = naos({"run", echo, "--memory", "lots"});
  EXPECT_EQ(memory.exit_status, 2);
  EXPECT_NE(memory.err.find("--memory: expected a size"), std::string::npos) << memory.err;
  auto timeout = naos({"run", echo, "--timeout", "30"});
  EXPECT_NE(timeout.err.find("--timeout: expected a duration"), std::string::npos) << timeout.err;
  auto input = naos({"run", echo, "--input", "@does-not-exist"});
  EXPECT_EQ(input.exit_status, 2);
  EXPECT_NE(input.err.find("cannot read the input file"), std::string::npos) << input.err;
}

TEST_F(CliRunTest, MalformedConfigIsReportedWithItsPosition) {
  write_file(dir_.path() / "nexus.config.yaml", "name: x\nexecution:\n  memoryLimt: 64MB\n");
  auto result = naos({"run", "counter"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("nexus.config.yaml:3:3: execution.memoryLimt: unknown key; did you mean memoryLimit?"),
            std::string::npos)
      << result.err;
}

// ---- module cache -------------------------------------------------------------

TEST_F(CliRunTest, CompiledModulesAreCachedOnDiskAndACorruptEntryIsRebuilt) {
  auto echo = agent_path("echo").string();
  ASSERT_EQ(naos({"run", echo, "--input", "a"}).exit_status, 0);
  auto cache = dir_.path() / "data" / "cache" / "modules";
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) entries.push_back(entry.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].extension(), ".cwasm");
  write_file(entries[0], "garbage, not a compiled module");
  auto rerun = naos({"run", echo, "--input", "b"});
  EXPECT_EQ(rerun.exit_status, 0) << rerun.err;
  EXPECT_EQ(rerun.out, "b");
  EXPECT_GT(std::filesystem::file_size(entries[0]), 1000u);
}

}  // namespace
}  // namespace naos
