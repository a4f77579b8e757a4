// `naos serve` (issue 17): the real binary as a server on a free loopback
// port, spoken to over real HTTP. What the API shows equals what `--json`
// shows; runs started over HTTP are durable (202 once journaled, resumed
// after kill -9); the event stream resumes with Last-Event-ID without losing
// or repeating an event; the lock keeps one resident process per project;
// and the server refuses what it must (no token off loopback, a wrong token,
// a foreign Host or Origin).
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;

// A `naos serve --port 0` child and an HTTP client for it.
class Server {
 public:
  explicit Server(const std::filesystem::path& project, std::vector<std::string> extra = {},
                  const std::string& token = "") {
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "NEXUS_DASH_TOKEN"};
    if (!token.empty()) argv.push_back("NEXUS_DASH_TOKEN=" + token);
    for (const auto& word : {std::string(NAOS_BINARY), std::string("--project"), project.string(),
                             std::string("serve"), std::string("--port"), std::string("0")}) {
      argv.push_back(word);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<testing::ChildProcess>(argv);
    first_line_ = process_->read_line();
    auto start = first_line_.find("http://");
    auto end = first_line_.find("/api/v1");
    if (start != std::string::npos && end != std::string::npos) url_ = first_line_.substr(start, end - start);
    auto json = nlohmann::json::parse(first_line_, nullptr, false);  // --json
    if (json.is_object() && json.contains("listening")) url_ = json["listening"];
  }
  ~Server() {
    // Never kill(-1, ...): a reaped ChildProcess's pid is -1.
    if (process_ && process_->pid() > 0) ::kill(process_->pid(), SIGTERM);
  }

  bool up() const { return !url_.empty(); }
  const std::string& first_line() const { return first_line_; }
  const std::string& url() const { return url_; }
  int port() const { return std::stoi(url_.substr(url_.rfind(':') + 1)); }
  testing::ChildProcess& process() { return *process_; }
  std::unique_ptr<httplib::Client> client() const {
    auto client = std::make_unique<httplib::Client>(url_);
    client->set_read_timeout(30, 0);
    return client;
  }
  // SIGTERM and the exit status.
  int stop() {
    if (process_->pid() > 0) ::kill(process_->pid(), SIGTERM);
    int status = process_->wait();
    process_.reset();
    return status;
  }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  std::string first_line_;
  std::string url_;
};

nlohmann::json body(const httplib::Result& result) {
  if (!result) return nullptr;
  return nlohmann::json::parse(result->body, nullptr, false);
}

// Where `value` does not fit `schema`, or "" when it does: the part of JSON
// Schema that openapi.json uses ($ref, allOf, oneOf, type, required,
// properties, items, enum).
std::string Misfit(const nlohmann::json& value, const nlohmann::json& schema, const nlohmann::json& doc,
                   const std::string& at = "$") {
  if (schema.contains("$ref")) {
    std::string name = schema["$ref"].get<std::string>().substr(std::string("#/components/schemas/").size());
    return Misfit(value, doc["components"]["schemas"][name], doc, at);
  }
  for (const auto& part : schema.value("allOf", nlohmann::json::array())) {
    if (auto misfit = Misfit(value, part, doc, at); !misfit.empty()) return misfit;
  }
  if (schema.contains("oneOf")) {
    int fits = 0;
    for (const auto& part : schema["oneOf"]) fits += Misfit(value, part, doc, at).empty() ? 1 : 0;
    if (fits != 1) return at + ": fits " + std::to_string(fits) + " of oneOf";
  }
  if (schema.contains("type")) {
    auto is = [&](const std::string& type) {
      return type == "object"    ? value.is_object()
             : type == "array"   ? value.is_array()
             : type == "string"  ? value.is_string()
             : type == "integer" ? value.is_number_integer()
             : type == "number"  ? value.is_number()
             : type == "boolean" ? value.is_boolean()
                                 : value.is_null();
    };
    bool fits = false;
    if (schema["type"].is_array()) {
      for (const auto& type : schema["type"]) fits |= is(type);
    } else {
      fits = is(schema["type"]);
    }
    if (!fits) return at + ": not of type " + schema["type"].dump() + ": " + value.dump().substr(0, 200);
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    return at + ": " + value.dump() + " is not one of " + schema["enum"].dump();
  }
  if (value.is_object()) {
    for (const auto& name : schema.value("required", nlohmann::json::array())) {
      if (!value.contains(name.get<std::string>())) return at + ": has no " + name.get<std::string>();
    }
    const auto properties = schema.value("properties", nlohmann::json::object());
    for (const auto& [name, property] : properties.items()) {
      if (!value.contains(name)) continue;
      if (auto misfit = Misfit(value[name], property, doc, at + "." + name); !misfit.empty()) return misfit;
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto misfit = Misfit(value[i], schema["items"], doc, at + "[" + std::to_string(i) + "]"); !misfit.empty()) {
        return misfit;
      }
    }
  }
  return "";
}

class CliServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string actor = agent_path("actor").string();
    std::string config = "name: served\nagents:\n";
    for (const char* name : {"ok-a", "ok-b", "fail-c", "flaky1-e"}) {
      config += std::string("  ") + name + ": { source: " + actor + ", capabilities: { kv: true } }\n";
    }
    config += "  gate-d: { source: " + actor + ", capabilities: { kv: true, filesystem: { read: [gate] } } }\n";
    config += "  forger: { source: " + agent_path("log_forger").string() + " }\n";
    config +=
        "workflows:\n  pipe: { steps: [ {agent: ok-a}, {agent: ok-b} ] }\n"
        "  flaky: { steps: [ {agent: ok-a}, {agent: flaky1-e} ] }\n"
        "  logged: { steps: [ {agent: forger} ] }\n"
        "sagas:\n  order:\n    steps:\n      - { name: reserve, agent: ok-a }\n      - { name: wait, agent: gate-d }\n"
        "  refund:\n    steps:\n      - { name: reserve, agent: ok-a, compensate: ok-b }\n"
        "      - { name: charge, agent: fail-c }\n"
        "cost:\n  budgets:\n    ok-a: { limit: 100, period: day }\n";
    testing::write_file(root() / "nexus.config.yaml", config);
    std::filesystem::create_directories(root() / "data");
    std::filesystem::create_directories(root() / "gate");
  }
  std::filesystem::path root() const { return dir_.path(); }
  testing::CommandResult naos(const std::vector<std::string>& args) { return run_naos(args, root()); }

  // Polls GET /api/v1/runs/ID until the run is finished (neither running nor compensating).
  nlohmann::json WaitForRun(httplib::Client& client, const std::string& id) {
    nlohmann::json run;
    testing::poll_until(
        [&] {
          run = body(client.Get(("/api/v1/runs/" + id).c_str()));
          std::string state = run.is_object() ? run.value("state", "") : "";
          return !state.empty() && state != "running" && state != "compensating";
        },
        std::chrono::seconds(60));
    return run;
  }

  testing::TempDir dir_;
};

TEST_F(CliServeTest, HealthAndAgentsEqualWhatTheCliPrints) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto health = client->Get("/api/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body(health)["project"], "served");
  EXPECT_EQ(body(health)["pid"], server.process().pid());

  auto agents = client->Get("/api/v1/agents");
  ASSERT_TRUE(agents);
  EXPECT_EQ(agents->status, 200);
  EXPECT_EQ(agents->get_header_value("Content-Type"), "application/json");
  auto listed = naos({"list", "--json"});
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_EQ(body(agents), nlohmann::json::parse(listed.out));
  EXPECT_EQ(body(agents).size(), 6u);

  auto one = client->Get("/api/v1/agents/gate-d");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  auto inspected = naos({"inspect", "gate-d", "--json"});
  ASSERT_EQ(inspected.exit_status, 0) << inspected.err;
  EXPECT_EQ(body(one), nlohmann::json::parse(inspected.out));

  auto missing = client->Get("/api/v1/agents/nobody");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body(missing)["error"]["code"], "AGENT_NOT_FOUND");
  EXPECT_EQ(body(missing)["error"]["number"], 100);

  auto unknown = client->Get("/api/v1/no-such-thing");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(body(unknown)["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(CliServeTest, AnAgentsLogsAndItsStopAreWhatTheCliShows) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto started = client->Post("/api/v1/workflows/logged/runs", "", "text/plain");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  WaitForRun(*client, body(started)["id"]);

  auto logs = client->Get("/api/v1/agents/forger/logs");
  ASSERT_TRUE(logs);
  ASSERT_EQ(logs->status, 200) << logs->body;
  auto lines = body(logs)["lines"];
  auto cli = naos({"logs", "forger"});
  ASSERT_EQ(cli.exit_status, 0) << cli.err;
  std::string joined;
  for (const auto& line : lines) joined += line.get<std::string>() + "\n";
  EXPECT_EQ(joined, cli.out);
  EXPECT_GE(lines.size(), 2u) << logs->body;                   // the forged newline is a line of its own
  EXPECT_EQ(logs->body.find("\\u001b"), std::string::npos);  // no escape survives, not even as JSON
  auto last = body(client->Get("/api/v1/agents/forger/logs?tail=1"))["lines"];
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0], lines.back());

  auto not_created = client->Post("/api/v1/agents/ok-b/stop", "", "text/plain");
  ASSERT_TRUE(not_created);
  EXPECT_EQ(not_created->status, 409) << not_created->body;
  EXPECT_NE(not_created->body.find("(naos create --from-config)"), std::string::npos) << not_created->body;
  auto created = naos({"create", "--from-config"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  auto stopped = client->Post("/api/v1/agents/ok-b/stop", "", "text/plain");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->status, 200) << stopped->body;
  EXPECT_EQ(body(stopped)["agent"], "ok-b");
  EXPECT_EQ(body(stopped)["how"], "was_not_running");
  EXPECT_EQ(body(client->Get("/api/v1/agents/ok-b"))["status"], "stopped");
  // The same report as `naos stop NAME --json` gives for its twin.
  auto cli_stop = naos({"stop", "ok-a", "--json"});
  ASSERT_EQ(cli_stop.exit_status, 0) << cli_stop.err;
  auto cli_report = nlohmann::json::parse(cli_stop.out)[0];
  auto api_report = body(stopped);
  cli_report.erase("agent"), api_report.erase("agent");
  EXPECT_EQ(api_report, cli_report);
  auto missing = client->Post("/api/v1/agents/nobody/stop", "", "text/plain");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body(missing)["error"]["code"], "AGENT_NOT_FOUND");
  auto bad = client->Post("/api/v1/agents/ok-b/stop?timeout=soon", "", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(CliServeTest, AWorkflowStartedOverHttpIsAcceptedAtOnceAndRunsToItsOutput) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto started = client->Post("/api/v1/workflows/pipe/runs", "in", "application/octet-stream");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 202) << started->body;
  std::string id = body(started)["id"];
  EXPECT_EQ(body(started)["kind"], "workflow");
  EXPECT_EQ(body(started)["input"], "in");

  auto run = WaitForRun(*client, id);
  EXPECT_EQ(run["state"], "completed") << run.dump();
  EXPECT_EQ(run["output"], "in>ok-a>ok-b");
  EXPECT_GE(run["journal"].size(), 4u) << run.dump();  // two steps, started and completed each
  // The same run as the CLI shows it.
  auto listed = naos({"runs", "--json"});
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_EQ(body(client->Get("/api/v1/runs")), nlohmann::json::parse(listed.out));

  auto missing = client->Post("/api/v1/workflows/nope/runs", "x", "text/plain");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto no_run = client->Get("/api/v1/runs/workflow-pipe-000000000000");
  ASSERT_TRUE(no_run);
  EXPECT_EQ(no_run->status, 404);
  EXPECT_EQ(body(no_run)["error"]["code"], "RUN_NOT_FOUND");
}

TEST_F(CliServeTest, AnAgentRunOverHttpAnswersWhatNaosRunJsonPrints) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto ran = client->Post("/api/v1/agents/ok-b/runs", "in", "application/octet-stream");
  ASSERT_TRUE(ran);
  EXPECT_EQ(ran->status, 200) << ran->body;
  auto over_http = body(ran);
  EXPECT_EQ(over_http["ok"], true);
  EXPECT_EQ(over_http["output"], "in>ok-b");
  // The same object as `naos run --json` (its timings and sizes aside).
  auto cli = naos({"run", "ok-b", "--input", "in", "--json"});
  ASSERT_EQ(cli.exit_status, 0) << cli.err;
  auto printed = nlohmann::json::parse(cli.out);
  for (auto* json : {&over_http, &printed}) {
    for (const char* varies : {"elapsed_us", "fuel_consumed", "memory_bytes"}) {
      EXPECT_TRUE(json->contains(varies)) << varies;
      json->erase(varies);
    }
  }
  EXPECT_EQ(over_http, printed);

  // Bytes that are not text go in and come out intact.
  auto bytes = client->Post("/api/v1/agents/ok-b/runs", "\xff\xfe", "application/octet-stream");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(body(bytes)["output"]["base64"], "//4+b2stYg==") << bytes->body;  // ff fe ">ok-b"

  // A run that fails is still a run: 200, not ok, with its product code.
  auto failed = client->Post("/api/v1/agents/fail-c/runs", "", "application/octet-stream");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 200);
  EXPECT_EQ(body(failed)["ok"], false);
  EXPECT_EQ(body(failed)["code"], 103);
  EXPECT_EQ(body(failed)["code_name"], "AGENT_CRASHED");

  auto missing = client->Post("/api/v1/agents/nope/runs", "", "application/octet-stream");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body(missing)["error"]["code"], "AGENT_NOT_FOUND");
  EXPECT_EQ(body(missing)["error"]["number"], 100);
  auto bad = client->Post("/api/v1/agents/ok-b/runs?timeout=soon", "", "application/octet-stream");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(body(bad)["error"]["message"].get<std::string>().find("timeout"), std::string::npos) << bad->body;
  // Both runs are audited, the one over HTTP as the API's.
  auto started = nlohmann::json::parse(naos({"audit", "--agent", "ok-b", "--action", "agent.started", "--json"}).out);
  EXPECT_EQ(started.size(), 3u) << started.dump();
}

// The document at /api/v1/openapi.json, checked against the server: every
// operation it lists answers with a status it documents, and a JSON answer
// fits the schema documented for that status. (That every route of the
// server is in the document is src/server/openapi_test.cc.)
TEST_F(CliServeTest, EveryOperationOfTheOpenApiDocumentAnswersAsItSays) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto served = client->Get("/api/v1/openapi.json");
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  auto doc = body(served);
  ASSERT_EQ(doc["openapi"], "3.1.0");
  // A finished run to ask about, and an event to have.
  auto pipe = client->Post("/api/v1/workflows/pipe/runs", "in", "application/octet-stream");
  ASSERT_TRUE(pipe);
  std::string run_id = body(pipe)["id"];
  WaitForRun(*client, run_id);

  int checked = 0;
  for (const auto& [path_template, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string path = path_template;
      auto fill = [&](const std::string& param, const std::string& value) {
        if (auto at = path.find(param); at != std::string::npos) path.replace(at, param.size(), value);
      };
      fill("{name}", path.starts_with("/api/v1/workflows") ? "pipe" : path.starts_with("/api/v1/sagas") ? "refund" : "ok-b");
      fill("{id}", run_id);
      SCOPED_TRACE(method + " " + path);
      if (path == "/api/v1/events") {
        // A stream: its first message is enough.
        std::string first;
        auto stream = client->Get("/api/v1/events?after=0", [&](const char* data, size_t size) {
          first.append(data, size);
          return false;
        });
        EXPECT_NE(first.find("event: audit"), std::string::npos) << first;
        ++checked;
        continue;
      }
      auto answer =
          method == "get" ? client->Get(path.c_str()) : client->Post(path.c_str(), "in", "application/octet-stream");
      ASSERT_TRUE(answer);
      const auto& responses = operation["responses"];
      std::string status = std::to_string(answer->status);
      ASSERT_TRUE(responses.contains(status)) << "undocumented status " << status << ": " << answer->body;
      const auto& documented = responses[status];
      if (!documented.contains("content")) continue;
      const auto& content = documented["content"];
      std::string type = answer->get_header_value("Content-Type");
      std::string media = type.substr(0, type.find(';'));
      ASSERT_TRUE(content.contains(media)) << "undocumented Content-Type " << type;
      if (media == "application/json") {
        auto json = nlohmann::json::parse(answer->body, nullptr, false);
        ASSERT_FALSE(json.is_discarded()) << answer->body;
        EXPECT_EQ(Misfit(json, content[media]["schema"], doc), "");
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 14);
}

// An edit of nexus.config.yaml while serving: one that loads is applied
// (audited config.changed) and the next requests see it; one that does not
// load is reported and the config in force kept.
TEST_F(CliServeTest, AConfigEditWhileServingIsAppliedAndAnInvalidOneIsRefused) {
  Server server(root(), {"--json"});
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  ASSERT_EQ(body(client->Get("/api/v1/agents")).size(), 6u);
  auto changes = [&] {
    return nlohmann::json::parse(naos({"audit", "--action", "config.changed", "--json"}).out).size();
  };
  size_t changes_before = changes();
  const std::string config = testing::read_file(root() / "nexus.config.yaml");

  // Valid: a new agent.
  std::string added = config;
  added.insert(added.find("agents:\n") + 8, "  ok-new: { source: " + agent_path("actor").string() +
                                                 ", capabilities: { kv: true } }\n");
  testing::write_file(root() / "nexus.config.yaml", added);
  EXPECT_EQ(nlohmann::json::parse(server.process().read_line()), (nlohmann::json{{"config", "reloaded"}}));
  EXPECT_EQ(body(client->Get("/api/v1/agents")).size(), 7u);
  EXPECT_EQ(changes(), changes_before + 1);
  auto ran = client->Post("/api/v1/agents/ok-new/runs", "x", "application/octet-stream");
  ASSERT_TRUE(ran);
  EXPECT_EQ(body(ran)["output"], "x>ok-new") << ran->body;

  // Invalid: refused with where and why; the config in force stays.
  testing::write_file(root() / "nexus.config.yaml", added + "workflows: [unclosed\n");
  auto refused = nlohmann::json::parse(server.process().read_line(), nullptr, false);
  EXPECT_EQ(refused.value("config", ""), "refused") << refused.dump();
  EXPECT_NE(refused.value("error", "").find("nexus.config.yaml"), std::string::npos) << refused.dump();
  EXPECT_EQ(body(client->Get("/api/v1/agents")).size(), 7u);
  auto still = client->Post("/api/v1/workflows/pipe/runs", "in", "application/octet-stream");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 202) << still->body;
  EXPECT_EQ(WaitForRun(*client, body(still)["id"])["output"], "in>ok-a>ok-b");
  EXPECT_EQ(changes(), changes_before + 1);

  // Mended: applied again, back to six agents.
  testing::write_file(root() / "nexus.config.yaml", config);
  EXPECT_EQ(nlohmann::json::parse(server.process().read_line()), (nlohmann::json{{"config", "reloaded"}}));
  EXPECT_EQ(body(client->Get("/api/v1/agents")).size(), 6u);
  EXPECT_EQ(changes(), changes_before + 2);
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(CliServeTest, CostOverHttpIsWhatNaosCostPrintsAndSetsAndResetsBudgets) {
  // An agent that records a cost of $0.05 a run, for the ledger.
  std::string config = testing::read_file(root() / "nexus.config.yaml");
  config.insert(config.find("agents:\n") + 8, "  spender: { source: " + agent_path("cost_user").string() + " }\n");
  testing::write_file(root() / "nexus.config.yaml", config);
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto post_json = [&](const std::string& path, const nlohmann::json& json) {
    return client->Post(path.c_str(), json.dump(), "application/json");
  };
  auto set = post_json("/api/v1/cost/ok-a/budget", {{"budget", "$2/day"}, {"alert_at", 50}, {"action", "pause"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(body(set), (nlohmann::json{{"agent", "ok-a"}, {"limit_cents", 200}, {"limit", "$2.00"},
                                       {"period", "day"}, {"action", "pause"}, {"alert_at", 50}}));
  // A change of one field keeps the others.
  auto cents = post_json("/api/v1/cost/ok-a/budget", {{"budget", 150}});
  ASSERT_TRUE(cents);
  EXPECT_EQ(body(cents)["limit"], "$1.50");
  EXPECT_EQ(body(cents)["action"], "pause");

  auto spent = client->Post("/api/v1/agents/spender/runs", "", "application/octet-stream");
  ASSERT_TRUE(spent);
  EXPECT_EQ(body(spent)["output"], "0") << spent->body;  // the cost was recorded
  auto without_clock = [](nlohmann::json rows) {
    for (auto& row : rows) row.erase("resets_in_ms");
    return rows;
  };
  auto status = naos({"cost", "status", "--json"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  EXPECT_EQ(without_clock(body(client->Get("/api/v1/cost"))), without_clock(nlohmann::json::parse(status.out)));
  auto one = body(client->Get("/api/v1/cost/ok-a"));
  EXPECT_EQ(one["budget"]["limit_cents"], 150);
  EXPECT_EQ(body(client->Get("/api/v1/cost/spender"))["spent"], "$0.05");
  auto history = naos({"cost", "history", "--json"});
  auto ledger = body(client->Get("/api/v1/ledger?days=1&agent=spender"));
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0]["amount_microcents"], 5'000'000);
  EXPECT_EQ(ledger, nlohmann::json::parse(history.out));

  auto reset = client->Post("/api/v1/cost/ok-a/reset", "", "text/plain");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  auto resets = nlohmann::json::parse(naos({"audit", "--action", "cost.reset", "--json"}).out);
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_EQ(resets[0]["actor"], "api");

  // Errors, with the product's codes where it has one.
  auto expect_error = [&](const httplib::Result& answer, int status, const std::string& code) {
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, status) << answer->body;
    EXPECT_EQ(body(answer)["error"]["code"], code) << answer->body;
  };
  expect_error(post_json("/api/v1/cost/ok-a/budget", {{"budget", "$1.001/day"}}), 400, "INVALID_AMOUNT");
  expect_error(post_json("/api/v1/cost/ok-a/budget", {{"budget", "$1"}, {"period", "fortnight"}}), 400,
               "INVALID_ARGUMENT");
  expect_error(post_json("/api/v1/cost/ok-a/budget", {{"budget", "$1"}, {"colour", "red"}}), 400, "INVALID_ARGUMENT");
  expect_error(client->Post("/api/v1/cost/ok-a/budget", "$1/day", "text/plain"), 400, "INVALID_ARGUMENT");
  expect_error(post_json("/api/v1/cost/ghost/budget", {{"budget", "$1"}}), 404, "AGENT_NOT_FOUND");
  expect_error(client->Get("/api/v1/cost/ok-b"), 404, "BUDGET_NOT_FOUND");
  expect_error(client->Post("/api/v1/cost/ok-b/reset", "", "text/plain"), 404, "BUDGET_NOT_FOUND");
  expect_error(client->Get("/api/v1/ledger?days=0"), 400, "INVALID_ARGUMENT");
  EXPECT_EQ(body(client->Get("/api/v1/cost/ok-a"))["budget"]["limit_cents"], 150);  // unchanged by the refusals
}

TEST_F(CliServeTest, TrustOverHttpIsWhatNaosAxisPrints) {
  // An agent with declared tests: two pass, one fails.
  std::string config = testing::read_file(root() / "nexus.config.yaml");
  config.insert(config.find("agents:\n") + 8,
                "  checked:\n    source: " + agent_path("actor").string() +
                    "\n    capabilities: { kv: true }\n    tests:\n      - { input: a, expect: a>checked }\n"
                    "      - { input: b, expect: b>checked }\n      - { input: c, expect: wrong }\n");
  testing::write_file(root() / "nexus.config.yaml", config);
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();

  auto registered = client->Post("/api/v1/trust/checked/register", "", "text/plain");
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->status, 200) << registered->body;
  EXPECT_TRUE(body(registered)["auid"].get<std::string>().starts_with("axis://agent/checked/")) << registered->body;
  EXPECT_EQ(body(registered)["trust"]["registered"], true);

  auto verified = client->Post("/api/v1/trust/checked/verify", "", "text/plain");
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, 200) << verified->body;
  EXPECT_EQ(body(verified)["passed"], 2);
  EXPECT_EQ(body(verified)["total"], 3);
  ASSERT_EQ(body(verified)["failures"].size(), 1u);
  EXPECT_EQ(body(verified)["failures"][0]["output"], "c>checked");

  // What the API shows equals what the CLI prints (the time it was computed aside).
  auto without_time = [](nlohmann::json report) {
    for (const char* varies : {"computed", "computed_ms"}) report.erase(varies);
    return report;
  };
  auto status = naos({"axis", "status", "checked", "--json"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  auto standing = body(client->Get("/api/v1/trust/checked"));
  EXPECT_EQ(without_time(standing), without_time(nlohmann::json::parse(status.out)));
  EXPECT_TRUE(standing.contains("may_run"));
  auto listed = body(client->Get("/api/v1/trust"));
  EXPECT_EQ(listed.size(), 7u);
  auto directory = naos({"axis", "directory", "--json"});
  auto over_http = body(client->Get("/api/v1/directory?search=CHECK"));
  ASSERT_EQ(over_http.size(), 1u);
  EXPECT_EQ(over_http[0]["agent"], "checked");
  EXPECT_EQ(over_http, nlohmann::json::parse(directory.out));
  // Audited as the CLI's are.
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--action", "axis.verified", "--json"}).out).size(), 1u);

  auto missing = client->Get("/api/v1/trust/ghost");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body(missing)["error"]["code"], "AGENT_NOT_FOUND");
  auto bad_tier = client->Get("/api/v1/directory?tier=T9");
  ASSERT_TRUE(bad_tier);
  EXPECT_EQ(bad_tier->status, 400);
}

// `naos dashboard` is the same server; --open hands its address to
// xdg-open (here a script on PATH that writes down what it was given).
TEST_F(CliServeTest, DashboardIsTheSameServerAndOpenHandsItsAddressToXdgOpen) {
  auto bin = root() / "bin";
  std::filesystem::create_directories(bin);
  testing::write_file(bin / "xdg-open", "#!/bin/sh\nprintf '%s' \"$1\" > " + (root() / "opened").string() + "\n");
  std::filesystem::permissions(bin / "xdg-open", std::filesystem::perms::owner_all);
  testing::ChildProcess dashboard({"/usr/bin/env", "-u", "NEXUS_DASH_TOKEN", "PATH=" + bin.string() + ":/usr/bin:/bin",
                                   NAOS_BINARY, "--project", root().string(), "dashboard", "--port", "0", "--open"});
  std::string line = dashboard.read_line();
  auto start = line.find("http://");
  auto end = line.find("/api/v1");
  ASSERT_TRUE(start != std::string::npos && end != std::string::npos) << line;
  const std::string url = line.substr(start, end - start);
  httplib::Client client(url);
  auto health = client.Get("/api/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(body(health)["project"], "served");
  EXPECT_TRUE(testing::poll_until([&] { return std::filesystem::exists(root() / "opened"); }, std::chrono::seconds(10)));
  EXPECT_EQ(testing::read_file(root() / "opened"), url + "/");
  if (dashboard.pid() > 0) ::kill(dashboard.pid(), SIGTERM);
  int status = dashboard.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(CliServeTest, PoolsOverHttpAreWhatNaosPoolPrintsAndTakeTasks) {
  std::string config = testing::read_file(root() / "nexus.config.yaml");
  config += "pools:\n  fan: { members: [ok-a, ok-b], merge: all }\n  queue: { agent: ok-b, size: 2 }\n";
  testing::write_file(root() / "nexus.config.yaml", config);
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();

  // Three tasks as JSON, one as bytes; they wait in the queue.
  auto queued = client->Post("/api/v1/pools/queue/tasks", R"(["t1", "t2", "t3"])", "application/json");
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->status, 202) << queued->body;
  EXPECT_EQ(body(queued)["ids"].size(), 3u);
  auto one = client->Post("/api/v1/pools/queue/tasks", "\xff raw", "application/octet-stream");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 202) << one->body;

  auto status = body(client->Get("/api/v1/pools/queue"));
  EXPECT_EQ(status["tasks"]["queued"], 4) << status.dump();
  EXPECT_EQ(status["kind"], "clone");
  auto cli = naos({"pool", "status", "--json"});
  ASSERT_EQ(cli.exit_status, 0) << cli.err;
  EXPECT_EQ(body(client->Get("/api/v1/pools")), nlohmann::json::parse(cli.out));
  EXPECT_EQ(nlohmann::json::parse(naos({"audit", "--action", "pool.submitted", "--json"}).out)[0]["actor"], "api");

  // Nobody serves the queue: a drain finds no process, a scale is refused.
  auto drained = client->Post("/api/v1/pools/queue/drain", "", "text/plain");
  ASSERT_TRUE(drained);
  EXPECT_EQ(body(drained)["serving"], false);
  auto scaled = client->Post("/api/v1/pools/queue/scale?size=3", "", "text/plain");
  ASSERT_TRUE(scaled);
  EXPECT_EQ(scaled->status, 409) << scaled->body;

  auto fan_out = client->Post("/api/v1/pools/fan/tasks", R"(["x"])", "application/json");
  ASSERT_TRUE(fan_out);
  EXPECT_EQ(fan_out->status, 400) << fan_out->body;
  auto not_tasks = client->Post("/api/v1/pools/queue/tasks", R"({"task": 1})", "application/json");
  ASSERT_TRUE(not_tasks);
  EXPECT_EQ(not_tasks->status, 400);
  auto missing = client->Get("/api/v1/pools/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad_size = client->Post("/api/v1/pools/queue/scale?size=many", "", "text/plain");
  ASSERT_TRUE(bad_size);
  EXPECT_EQ(bad_size->status, 400);

  // A process serving the queue runs the tasks queued over HTTP.
  auto served = naos({"pool", "run", "queue"});
  EXPECT_EQ(served.exit_status, 0) << served.err;
  EXPECT_EQ(body(client->Get("/api/v1/pools/queue"))["tasks"]["completed"], 4);
}

TEST_F(CliServeTest, AFailedWorkflowIsResumedOverHttpAtItsFailedStep) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto started = client->Post("/api/v1/workflows/flaky/runs", "in", "text/plain");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  std::string id = body(started)["id"];
  auto failed = WaitForRun(*client, id);
  ASSERT_EQ(failed["state"], "failed") << failed.dump();

  auto resumed = client->Post(("/api/v1/runs/" + id + "/resume").c_str(), "", "text/plain");
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, 202) << resumed->body;
  auto run = WaitForRun(*client, id);
  EXPECT_EQ(run["state"], "completed") << run.dump();
  EXPECT_EQ(run["output"], "in>ok-a>flaky1-e");
  int ok_a_started = 0;
  for (const auto& entry : run["journal"]) ok_a_started += entry["step_name"] == "ok-a" && entry["event"] == "step.started";
  EXPECT_EQ(ok_a_started, 1) << "the completed step ran again: " << run.dump();

  auto finished = client->Post(("/api/v1/runs/" + id + "/resume").c_str(), "", "text/plain");
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, 409) << finished->body;
  auto missing = client->Post("/api/v1/runs/workflow-flaky-000000000000/resume", "", "text/plain");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(CliServeTest, AnIdempotencyKeyStartsARunOnceAndBytesAreKept) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  const std::string input("caf\xe9\xff\x00!", 7);
  httplib::Headers key = {{"Idempotency-Key", "order-1234"}};
  auto first = client->Post("/api/v1/workflows/pipe/runs", key, input, "application/octet-stream");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202) << first->body;
  EXPECT_EQ(body(first)["id"], "order-1234");
  EXPECT_TRUE(body(first)["input"].contains("base64")) << first->body;
  auto run = WaitForRun(*client, "order-1234");
  EXPECT_EQ(run["state"], "completed") << run.dump();

  auto again = client->Post("/api/v1/workflows/pipe/runs", key, "other input", "application/octet-stream");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(body(again)["reused"], true);
  EXPECT_EQ(body(again)["output"], run["output"]);
  auto runs = body(client->Get("/api/v1/runs?kind=workflow"));
  EXPECT_EQ(runs.size(), 1u) << runs.dump();

  auto bad = client->Post("/api/v1/workflows/pipe/runs", {{"Idempotency-Key", "a/b"}}, "x", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(body(bad)["error"]["code"], "INVALID_ARGUMENT");
}

TEST_F(CliServeTest, ASagaStartedOverHttpSurvivesKillNineAndTheNextServerFinishesIt) {
  std::string id;
  {
    Server server(root());
    ASSERT_TRUE(server.up()) << server.first_line();
    auto client = server.client();
    auto started = client->Post("/api/v1/sagas/order/runs", "o", "text/plain");
    ASSERT_TRUE(started);
    ASSERT_EQ(started->status, 202) << started->body;
    id = body(started)["id"];
    // The second step waits at its gate: the saga is running when the server dies.
    ASSERT_TRUE(testing::poll_until(
        [&] {
          auto run = body(client->Get(("/api/v1/runs/" + id).c_str()));
          for (const auto& entry : run.value("journal", nlohmann::json::array())) {
            if (entry["step_name"] == "wait" && entry["event"] == "step.started") return true;
          }
          return false;
        },
        std::chrono::seconds(30)));
    server.process().kill();
    server.process().wait();
  }
  testing::write_file(root() / "gate" / "open", "");
  Server restarted(root());
  ASSERT_TRUE(restarted.up()) << restarted.first_line();
  auto client = restarted.client();
  auto run = WaitForRun(*client, id);
  EXPECT_EQ(run["state"], "completed") << run.dump();
  EXPECT_EQ(run["output"], "o>gate-d");
}

TEST_F(CliServeTest, ASagaThatFailsIsRolledBackAndASecondStartIsRefusedWhileOneRuns) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto started = client->Post("/api/v1/sagas/refund/runs", "r", "text/plain");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  auto run = WaitForRun(*client, body(started)["id"]);
  EXPECT_EQ(run["state"], "rolled_back") << run.dump();

  auto waiting = client->Post("/api/v1/sagas/order/runs", "1", "text/plain");
  ASSERT_TRUE(waiting);
  ASSERT_EQ(waiting->status, 202) << waiting->body;
  auto second = client->Post("/api/v1/sagas/order/runs", "2", "text/plain");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->body;
  EXPECT_EQ(body(second)["error"]["code"], "SAGA_ALREADY_RUNNING");
  EXPECT_EQ(body(second)["error"]["number"], 204);
  testing::write_file(root() / "gate" / "open", "");
  EXPECT_EQ(WaitForRun(*client, body(waiting)["id"])["state"], "completed");
}

TEST_F(CliServeTest, MetricsCountRunsAgentsEventsAndBudgetsInThePrometheusFormat) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  auto workflow = client->Post("/api/v1/workflows/pipe/runs", "m", "text/plain");
  auto saga = client->Post("/api/v1/sagas/refund/runs", "m", "text/plain");
  ASSERT_TRUE(workflow && saga);
  ASSERT_EQ(WaitForRun(*client, body(workflow)["id"])["state"], "completed");
  ASSERT_EQ(WaitForRun(*client, body(saga)["id"])["state"], "rolled_back");
  // The newest event's seq, read before and after the metrics: a run's last
  // audit events may still be landing after its state reads ended.
  auto newest = [&]() -> int64_t { return body(client->Get("/api/v1/audit?last=1"))[0]["id"]; };

  std::string text;
  ASSERT_TRUE(testing::poll_until(
      [&] {
        int64_t before = newest();
        auto metrics = client->Get("/metrics");
        int64_t after = newest();
        text = metrics ? metrics->body : "";
        const std::string name = "\nnaos_audit_events_total ";
        auto at = text.find(name);
        if (at == std::string::npos) return false;
        int64_t counted = std::stoll(text.substr(at + name.size()));
        return before <= counted && counted <= after && text.find("naos_api_runs_in_flight 0\n") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << text;
  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {
           "naos_api_runs_total{kind=\"workflow\",state=\"completed\"} 1\n",
           "naos_api_runs_total{kind=\"saga\",state=\"rolled_back\"} 1\n",
           "naos_api_run_duration_seconds_count{kind=\"workflow\"} 1\n",
           "naos_api_run_duration_seconds_bucket{kind=\"saga\",le=\"+Inf\"} 1\n",
           "# TYPE naos_api_run_duration_seconds histogram\n",
           "naos_budget_remaining_microcents{target=\"ok-a\"} 100000000\n",  // $1.00, nothing spent
           "naos_cost_spent_microcents{target=\"ok-a\"} 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "no line " << line << " in\n" << text;
  }
  // Every sample line is NAME{LABELS} VALUE, and the agents add up.
  const std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$)");
  std::istringstream lines(text);
  int agents = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    if (line.rfind("naos_agents{", 0) == 0) agents += std::stoi(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(agents, 6) << text;
}

// Reads `count` events from GET /api/v1/events (Last-Event-ID: `after`),
// then hangs up, as a client killed mid-stream does. The ids it saw.
std::vector<int64_t> ReadEvents(const Server& server, int64_t after, size_t count,
                                std::vector<nlohmann::json>* events = nullptr) {
  auto client = server.client();
  std::vector<int64_t> ids;
  std::string buffer;
  httplib::Headers headers = {{"Last-Event-ID", std::to_string(after)}};
  client->Get("/api/v1/events", headers, [&](const char* data, size_t length) {
    buffer.append(data, length);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string frame = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (frame.rfind("id: ", 0) != 0) continue;
      ids.push_back(std::stoll(frame.substr(4, frame.find('\n') - 4)));
      auto data_at = frame.find("\ndata: ");
      if (events != nullptr && data_at != std::string::npos) {
        events->push_back(nlohmann::json::parse(frame.substr(data_at + 7)));
      }
      if (ids.size() >= count) return false;  // hang up
    }
    return true;
  });
  return ids;
}

TEST_F(CliServeTest, TheEventStreamResumesWithLastEventIdLosingAndRepeatingNothing) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  auto client = server.client();
  // Enough events: three workflow runs, each a dozen or so.
  for (int i = 0; i < 3; ++i) {
    auto started = client->Post("/api/v1/workflows/pipe/runs", "e", "text/plain");
    ASSERT_TRUE(started);
    ASSERT_EQ(WaitForRun(*client, body(started)["id"])["state"], "completed");
  }
  auto all = body(client->Get("/api/v1/audit?after=0"));
  ASSERT_GE(all.size(), 20u);
  std::vector<int64_t> expected;
  for (const auto& e : all) expected.push_back(e["id"].get<int64_t>());

  // Three clients in turn, each killed after a few events, each resuming
  // from the last id the one before saw.
  std::vector<int64_t> seen;
  std::vector<nlohmann::json> events;
  int64_t last = 0;
  while (seen.size() < expected.size()) {
    size_t want = std::min<size_t>(7, expected.size() - seen.size());
    auto ids = ReadEvents(server, last, want, &events);
    ASSERT_EQ(ids.size(), want);
    seen.insert(seen.end(), ids.begin(), ids.end());
    last = ids.back();
  }
  EXPECT_EQ(seen, expected);
  // Each event as GET /api/v1/audit (and `naos audit --json`) shows it.
  ASSERT_EQ(events.size(), all.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i], all[i]);

  // A live client sees an event written after it connected.
  std::vector<int64_t> live;
  std::thread reader([&] { live = ReadEvents(server, last, 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Written by another process: the stream reads the log, not this server's memory.
  auto other = naos({"workflow", "run", "pipe", "--input", "x"});
  reader.join();
  EXPECT_EQ(other.exit_status, 0) << other.err;
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0], last + 1);

  auto bad = client->Get("/api/v1/events", {{"Last-Event-ID", "x"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(CliServeTest, ASecondServerOrDaemonOnTheProjectIsRefusedNamingTheFirst) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  for (const std::string command : {"serve", "daemon"}) {
    auto second = naos({command, "--port", "0"});
    if (command == "daemon") second = naos({command});
    EXPECT_EQ(second.exit_status, 2) << command;
    EXPECT_NE(second.err.find("another naos daemon (pid " + std::to_string(server.process().pid()) +
                              ") is running on this project (serving " + server.url() + ")"),
              std::string::npos)
        << command << ": " << second.err;
  }
  // The first still serves.
  auto health = server.client()->Get("/api/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(CliServeTest, OffLoopbackATokenIsRequiredAndChecked) {
  auto refused = naos({"serve", "--port", "0", "--bind", "0.0.0.0"});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("needs a token: set NEXUS_DASH_TOKEN"), std::string::npos) << refused.err;

  const std::string token = "s3cret-token-for-the-test";
  Server server(root(), {"--bind", "0.0.0.0"}, token);
  ASSERT_TRUE(server.first_line().find("http://0.0.0.0:") != std::string::npos) << server.first_line();
  httplib::Client client("127.0.0.1", server.port());
  auto host = "127.0.0.1:" + std::to_string(server.port());
  auto none = client.Get("/api/v1/health", {{"Host", "0.0.0.0:" + std::to_string(server.port())}});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(body(none)["error"]["code"], "UNAUTHORIZED");
  EXPECT_EQ(none->body.find(token), std::string::npos);
  auto wrong = client.Get("/api/v1/health", {{"Host", "0.0.0.0:" + std::to_string(server.port())},
                                             {"Authorization", "Bearer s3cret-token-for-the-tesT"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = client.Get("/api/v1/health", {{"Host", "0.0.0.0:" + std::to_string(server.port())},
                                             {"Authorization", "Bearer " + token}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  // Reached by a name of the machine: only when given with --host.
  auto by_name = client.Get("/api/v1/health", {{"Host", "naos.internal:" + std::to_string(server.port())},
                                               {"Authorization", "Bearer " + token}});
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->status, 403);
  // The token is never in what the server prints or logs.
  EXPECT_EQ(naos({"audit", "--last", "50", "--json"}).out.find(token), std::string::npos);
}

TEST_F(CliServeTest, ANameGivenWithHostIsAccepted) {
  Server server(root(), {"--host", "naos.internal"});
  ASSERT_TRUE(server.up()) << server.first_line();
  httplib::Client client("127.0.0.1", server.port());
  auto named = client.Get("/api/v1/health", {{"Host", "naos.internal:" + std::to_string(server.port())}});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->status, 200);
  auto other = client.Get("/api/v1/health", {{"Host", "naos.external:" + std::to_string(server.port())}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
}

TEST_F(CliServeTest, AForeignHostOrOriginIsRefused) {
  Server server(root());
  ASSERT_TRUE(server.up()) << server.first_line();
  httplib::Client client("127.0.0.1", server.port());
  // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
  auto rebound = client.Get("/api/v1/agents", {{"Host", "evil.example:" + std::to_string(server.port())}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(body(rebound)["error"]["code"], "FORBIDDEN_HOST");
  auto local = client.Get("/api/v1/agents", {{"Host", "localhost:" + std::to_string(server.port())}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
  // Cross-site request forgery: a form on another site posting to the API.
  auto forged = client.Post("/api/v1/workflows/pipe/runs", {{"Origin", "http://evil.example"}}, "x", "text/plain");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(body(forged)["error"]["code"], "FORBIDDEN_ORIGIN");
  EXPECT_EQ(body(client.Get("/api/v1/runs")).size(), 0u);
  EXPECT_EQ(rebound->get_header_value("Access-Control-Allow-Origin"), "");
  // Bodies are capped (16 MiB).
  auto huge = client.Post("/api/v1/workflows/pipe/runs", std::string(17u << 20, 'x'), "text/plain");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
}

}  // namespace
}  // namespace naos
