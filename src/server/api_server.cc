#include "server/api_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "base/printable.h"
#include "base/units.h"
#include "core/axis.h"
#include "core/log_tail.h"
#include "core/pools.h"
#include "governance/audit_log.h"
#include "governance/budget_change.h"
#include "orchestration/journal.h"
#include "server/event_hub.h"
#include "server/metrics.h"
#include "server/openapi.h"
#include "store/database.h"
#include "views/agent_run.h"
#include "views/agents.h"
#include "views/cost.h"
#include "views/pools.h"
#include "views/audit.h"
#include "views/runs.h"
#include "views/trust.h"

namespace naos::server {
namespace {

// An error's code in the API: a product code (PRODUCT.md "Error codes",
// with its number), or one of the API's own (no number).
struct ApiCode {
  const char* name;
  int number = 0;
};

int http_status(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kAborted: return 409;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(dump_lossless(body) + "\n", "application/json");
}

// {"error": {"code", "number", "message"}}: the product code when one
// applies, else the error's kind in capitals (NOT_FOUND, INVALID_ARGUMENT).
void send_error(httplib::Response& res, const Error& error, std::optional<ApiCode> code = std::nullopt) {
  nlohmann::json detail = {{"code", code ? std::string(code->name) : upper(code_name(error.code()))},
                           {"message", error.to_string()}};
  if (code && code->number != 0) detail["number"] = code->number;
  send_json(res, http_status(error.code()), {{"error", detail}});
}

constexpr ApiCode kBudgetNotFound{"BUDGET_NOT_FOUND", 301};

// AGENT_NOT_FOUND for an error that says no such agent.
std::optional<ApiCode> agent_code(const Error& error) {
  if (error.code() == Code::kNotFound) return ApiCode{"AGENT_NOT_FOUND", 100};
  return std::nullopt;
}
constexpr ApiCode kInvalidAmount{"INVALID_AMOUNT", 302};

bool unfinished(const orchestration::RunRecord& run) {
  return run.state == orchestration::state::kRunning || run.state == orchestration::state::kCompensating;
}

// A Last-Event-ID, ?after= or ?last= value: a non-negative integer.
std::optional<int64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Constant time in the length of `given`, so the answer's timing does not
// tell how much of a guess was right.
bool same_secret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

// An idempotency key is a run id: printable ASCII, no '/' or '#' (nested
// runs use those), at most 128 bytes.
bool valid_run_key(const std::string& key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '#') return false;
  }
  return true;
}

}  // namespace

bool is_loopback(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

struct ApiServer::Impl {
  Impl(std::shared_ptr<Naos> naos, ServerOptions options) : naos_(std::move(naos)), options(std::move(options)) {}

  // The Naos requests are served by: replaced when the config changes
  // (ApiServer::replace). A request, and a run it started, keep the one
  // they began with.
  std::mutex naos_mutex;
  std::shared_ptr<Naos> naos_;
  std::shared_ptr<Naos> current() {
    std::lock_guard lock(naos_mutex);
    return naos_;
  }
  ServerOptions options;
  httplib::Server http;
  uint16_t port = 0;
  int listen_socket = -1;
  std::atomic<bool> stopping{false};

  // The server's own connection for audit reads: the Naos's is used by its
  // writers' threads.
  std::mutex reads_mutex;
  std::unique_ptr<store::Database> reads;

  std::unique_ptr<EventHub> hub;
  ApiMetrics metrics;

  // Runs started over HTTP, each on a thread of its own until it ends.
  std::mutex runs_mutex;
  std::condition_variable runs_done;
  int runs_in_flight = 0;

  std::string host_for_url() const { return options.bind.find(':') != std::string::npos ? "[" + options.bind + "]" : options.bind; }

  // The Host header names this server: the bound address, localhost (on
  // loopback), or a configured name, with this port.
  bool host_allowed(const std::string& host) const {
    std::string port_suffix = ":" + std::to_string(port);
    std::string name = host;
    if (name.ends_with(port_suffix)) name.resize(name.size() - port_suffix.size());
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    if (name == options.bind) return true;
    if (is_loopback(options.bind) && is_loopback(name)) return true;
    for (const auto& allowed : options.host_names) {
      if (name == allowed) return true;
    }
    return false;
  }

  httplib::Server::HandlerResponse check_request(const httplib::Request& req, httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    if (!host_allowed(req.get_header_value("Host"))) {
      send_error(res, Error(Code::kPermissionDenied, "the Host header does not name this server"),
                 ApiCode{"FORBIDDEN_HOST"});
      return R::Handled;
    }
    if (!options.token.empty()) {
      std::string auth = req.get_header_value("Authorization");
      if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), options.token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, Error(Code::kUnauthenticated, "a valid token is required (Authorization: Bearer TOKEN)"),
                   ApiCode{"UNAUTHORIZED"});
        return R::Handled;
      }
    }
    if (req.method != "GET" && req.method != "HEAD" && req.has_header("Origin")) {
      std::string origin = req.get_header_value("Origin");
      if (origin != "http://" + req.get_header_value("Host")) {
        send_error(res, Error(Code::kPermissionDenied, "a request from another origin may not change anything"),
                   ApiCode{"FORBIDDEN_ORIGIN"});
        return R::Handled;
      }
    }
    return R::Unhandled;
  }

  // The routes, as (method, OpenAPI path template): each is a path of
  // openapi_document(), and a test holds the two equal.
  std::vector<std::pair<std::string, std::string>> registered;

  using Handler =
      std::function<void(const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res)>;
  void on(const std::string& method, const std::string& path_template, Handler handler) {
    registered.emplace_back(method, path_template);
    std::string pattern = route_pattern(path_template);
    auto serve = [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
      handler(current(), req, res);
    };
    if (method == "GET") {
      http.Get(pattern, std::move(serve));
    } else {
      http.Post(pattern, std::move(serve));
    }
  }

  void routes() {
    on("GET", "/api/v1/health", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      const auto* project = naos->project();
      send_json(res, 200,
                {{"ok", true}, {"project", project ? project->config().name : ""}, {"pid", ::getpid()}});
    });
    on("GET", "/api/v1/agents", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      auto agents = naos->agents();
      if (!agents) return send_error(res, agents.error());
      nlohmann::json all = nlohmann::json::array();
      for (const auto& view : *agents) all.push_back(views::agent_json(view));
      send_json(res, 200, all);
    });
    on("GET", "/api/v1/agents/{name}", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      auto view = naos->agent(req.matches[1].str());
      if (!view) return send_error(res, view.error(), ApiCode{"AGENT_NOT_FOUND", 100});
      std::lock_guard lock(reads_mutex);
      auto detail = views::agent_detail_json(*view, *reads);
      if (!detail) return send_error(res, detail.error());
      send_json(res, 200, *detail);
    });
    // ?force&no_restart&timeout=5s, as `naos stop NAME`; answers when the
    // run has ended (at most the timeout).
    on("POST", "/api/v1/agents/{name}/stop", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      StopOptions options;
      options.force = req.has_param("force");
      options.no_restart = req.has_param("no_restart");
      options.actor = "api";
      if (req.has_param("timeout")) {
        auto timeout = parse_duration(req.get_param_value("timeout"));
        if (!timeout) return send_error(res, Error(Code::kInvalidArgument, timeout.error().message(), "timeout"));
        options.timeout = *timeout;
      }
      auto stopped = naos->stop_agent(req.matches[1].str(), options);
      if (!stopped) {
        std::optional<ApiCode> code;
        if (stopped.error().code() == Code::kDeadlineExceeded) code = ApiCode{"AGENT_TIMEOUT", 104};
        if (stopped.error().code() == Code::kNotFound) code = ApiCode{"AGENT_NOT_FOUND", 100};
        return send_error(res, stopped.error(), code);
      }
      send_json(res, 200, views::stop_report_json(*stopped));
    });
    // ?tail=N: the newest N lines, as `naos logs NAME --tail N`.
    on("GET", "/api/v1/agents/{name}/logs", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.matches[1].str();
      auto view = naos->agent(name);
      if (!view) return send_error(res, view.error(), ApiCode{"AGENT_NOT_FOUND", 100});
      size_t tail = 0;
      if (req.has_param("tail")) {
        auto parsed = parse_count(req.get_param_value("tail"));
        if (!parsed) return send_error(res, Error(Code::kInvalidArgument, "expected a count", "tail"));
        tail = static_cast<size_t>(*parsed);
      }
      send_json(res, 200, {{"agent", name}, {"lines", log_tail(naos->project()->log_file(name), tail)}});
    });
    on("POST", "/api/v1/agents/{name}/runs",
              [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) { run_agent(naos, req, res); });
    on("POST", "/api/v1/workflows/{name}/runs",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) { start_run(naos, "workflow", req, res); });
    on("POST", "/api/v1/sagas/{name}/runs",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) { start_run(naos, "saga", req, res); });
    on("GET", "/api/v1/openapi.json", [](const std::shared_ptr<Naos>&, const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(openapi_document()), "application/json");
    });
    on("GET", "/api/v1/runs", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      orchestration::RunFilter filter;
      if (req.has_param("kind")) filter.kind = req.get_param_value("kind");
      if (req.has_param("name")) filter.name = req.get_param_value("name");
      for (size_t i = 0; i < req.get_param_value_count("state"); ++i) {
        filter.states.push_back(req.get_param_value("state", i));
      }
      filter.top_level_only = !req.has_param("nested");
      filter.limit = 50;  // as `naos runs`
      if (req.has_param("last")) {
        auto last = parse_count(req.get_param_value("last"));
        if (!last) return send_error(res, Error(Code::kInvalidArgument, "expected a count", "last"));
        filter.limit = static_cast<size_t>(*last);
      }
      auto runs = naos->journal()->runs(filter);
      if (!runs) return send_error(res, runs.error());
      nlohmann::json all = nlohmann::json::array();
      for (const auto& run : *runs) all.push_back(views::run_json(run));
      send_json(res, 200, all);
    });
    on("POST", "/api/v1/runs/{id}/resume",
              [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) { resume_run(naos, req, res); });
    // Nested run ids contain '/' (PARENT/STEP#ATTEMPT): the rest of the path.
    on("GET", "/api/v1/runs/{id}", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      std::string id = req.matches[1].str();
      auto run = naos->journal()->find_run(id);
      if (!run) return send_error(res, run.error());
      if (!*run) return send_error(res, Error(Code::kNotFound, "no run with this id", id), ApiCode{"RUN_NOT_FOUND"});
      auto entries = naos->journal()->entries(id);
      if (!entries) return send_error(res, entries.error());
      nlohmann::json out = views::run_json(**run);
      out["journal"] = nlohmann::json::array();
      for (const auto& entry : *entries) out["journal"].push_back(views::entry_json(entry));
      send_json(res, 200, out);
    });
    on("GET", "/api/v1/audit", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      governance::AuditQuery query;
      if (req.has_param("agent")) query.agent = req.get_param_value("agent");
      if (req.has_param("filter")) query.category = req.get_param_value("filter");
      if (req.has_param("action")) query.action = req.get_param_value("action");
      for (const char* name : {"last", "after"}) {
        if (!req.has_param(name)) continue;
        auto value = parse_count(req.get_param_value(name));
        if (!value) return send_error(res, Error(Code::kInvalidArgument, "expected a count", name));
        (std::string_view(name) == "last" ? query.last : query.after_seq) = *value;
      }
      if (!req.has_param("last") && !req.has_param("after")) query.last = 20;  // as `naos audit`
      auto events = read_audit(query);
      if (!events) return send_error(res, events.error());
      nlohmann::json all = nlohmann::json::array();
      for (const auto& e : *events) all.push_back(views::audit_event_json(e));
      send_json(res, 200, all);
    });
    on("GET", "/api/v1/cost", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      auto all = naos->budget()->status();
      if (!all) return send_error(res, all.error());
      int64_t now = naos->clock().now_ms();
      nlohmann::json out = nlohmann::json::array();
      for (const auto& status : *all) out.push_back(views::budget_status_json(status, now));
      send_json(res, 200, out);
    });
    on("GET", "/api/v1/cost/{name}",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         const std::string name = req.matches[1].str();
         auto all = naos->budget()->status();
         if (!all) return send_error(res, all.error());
         for (const auto& status : *all) {
           if (status.target == name) return send_json(res, 200, views::budget_status_json(status, naos->clock().now_ms()));
         }
         send_error(res, Error(Code::kNotFound, "no budget and no spending for this agent", name), kBudgetNotFound);
       });
    on("POST", "/api/v1/cost/{name}/budget",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         set_budget(*naos, req, res);
       });
    on("POST", "/api/v1/cost/{name}/reset",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         const std::string name = req.matches[1].str();
         auto reset = naos->reset_cost(name, "api");
         if (!reset) {
           return send_error(res, reset.error(),
                             reset.error().code() == Code::kNotFound ? std::optional(kBudgetNotFound) : std::nullopt);
         }
         send_json(res, 200, {{"ok", true}, {"reset", {name}}});
       });
    // ?days=7&agent=: the spending ledger, oldest first (`naos cost history --json`).
    on("GET", "/api/v1/ledger", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
      int64_t days = 7;
      if (req.has_param("days")) {
        auto parsed = parse_count(req.get_param_value("days"));
        // Bounded so that days * a day's ms cannot overflow.
        if (!parsed || *parsed < 1 || *parsed > 36'500) {
          return send_error(res, Error(Code::kInvalidArgument, "expected 1 to 36500", "days"));
        }
        days = *parsed;
      }
      const std::string agent = req.has_param("agent") ? req.get_param_value("agent") : "";
      constexpr int64_t kDayMs = 86'400'000;
      auto rows = naos->budget()->ledger().rows_since(agent, naos->clock().now_ms() - days * kDayMs);
      if (!rows) return send_error(res, rows.error());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row : *rows) out.push_back(views::ledger_row_json(row));
      send_json(res, 200, out);
    });
    // Pools (core/pools.h): `naos pool status/submit/scale/drain`. Serving a
    // clone pool's queue is `naos pool run NAME` (a process of its own).
    on("GET", "/api/v1/pools", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& [name, pool] : naos->project()->config().pools) {
        auto status = naos->pools()->status(name);
        if (!status) return send_error(res, status.error());
        out.push_back(views::pool_status_json(*status));
      }
      send_json(res, 200, out);
    });
    on("GET", "/api/v1/pools/{name}",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         auto status = naos->pools()->status(req.matches[1].str());
         if (!status) return send_error(res, status.error());
         send_json(res, 200, views::pool_status_json(*status));
       });
    // The body: a JSON array of tasks (application/json), else one task (any bytes).
    on("POST", "/api/v1/pools/{name}/tasks",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         const std::string name = req.matches[1].str();
         std::vector<std::string> tasks;
         if (req.get_header_value("Content-Type").starts_with("application/json")) {
           auto body = nlohmann::json::parse(req.body, nullptr, false);
           bool strings = body.is_array() && !body.empty();
           for (const auto& task : body.is_array() ? body : nlohmann::json::array()) strings = strings && task.is_string();
           if (!strings) return send_error(res, Error(Code::kInvalidArgument, "expected a JSON array of tasks (strings)"));
           for (const auto& task : body) tasks.push_back(task.get<std::string>());
         } else {
           tasks.push_back(req.body);
         }
         auto ids = naos->pools()->submit(name, tasks, "api");
         if (!ids) return send_error(res, ids.error());
         send_json(res, 202, {{"ok", true}, {"pool", name}, {"ids", *ids}});
       });
    on("POST", "/api/v1/pools/{name}/scale",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         const std::string name = req.matches[1].str();
         auto size = parse_count(req.has_param("size") ? req.get_param_value("size") : "");
         if (!size || *size > std::numeric_limits<uint32_t>::max()) return send_error(res, Error(Code::kInvalidArgument, "expected a count", "size"));
         auto scaled = naos->pools()->scale(name, static_cast<uint32_t>(*size), "api");
         if (!scaled) return send_error(res, scaled.error());
         send_json(res, 200, {{"ok", true}, {"pool", name}, {"size", *size}});
       });
    on("POST", "/api/v1/pools/{name}/drain",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         const std::string name = req.matches[1].str();
         auto serving = naos->pools()->drain(name, "api");
         if (!serving) return send_error(res, serving.error());
         send_json(res, 200, {{"ok", true}, {"pool", name}, {"serving", *serving}});
       });
    // AXIS trust (core/axis.h): `naos axis list/status/verify/register/directory`.
    on("GET", "/api/v1/trust", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      auto agents = naos->agents();
      if (!agents) return send_error(res, agents.error());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& view : *agents) {
        auto report = axis::refresh(*naos, view, false);
        if (!report) return send_error(res, report.error());
        out.push_back(governance::to_json(*report));
      }
      send_json(res, 200, out);
    });
    on("GET", "/api/v1/trust/{name}",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         auto standing = axis::standing(*naos, req.matches[1].str());
         if (!standing) return send_error(res, standing.error(), agent_code(standing.error()));
         send_json(res, 200, views::standing_json(*standing));
       });
    on("POST", "/api/v1/trust/{name}/verify",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         auto view = naos->agent(req.matches[1].str());
         if (!view) return send_error(res, view.error(), agent_code(view.error()));
         auto verified = axis::verify(*naos, *view);
         if (!verified) return send_error(res, verified.error());
         send_json(res, 200, views::verification_json(*verified));
       });
    on("POST", "/api/v1/trust/{name}/register",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         auto registered = axis::register_agent(*naos, req.matches[1].str());
         if (!registered) return send_error(res, registered.error(), agent_code(registered.error()));
         send_json(res, 200, views::registration_json(*registered));
       });
    // ?search=&tier=T3: the registered agents (`naos axis directory --json`).
    on("GET", "/api/v1/directory",
       [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
         std::optional<governance::Tier> at_least;
         if (req.has_param("tier")) {
           at_least = governance::parse_tier(req.get_param_value("tier"));
           if (!at_least) return send_error(res, Error(Code::kInvalidArgument, "expected T1 (best) to T5", "tier"));
         }
         auto entries = axis::directory(*naos, req.has_param("search") ? req.get_param_value("search") : "", at_least);
         if (!entries) return send_error(res, entries.error());
         nlohmann::json out = nlohmann::json::array();
         for (const auto& entry : *entries) out.push_back(views::directory_entry_json(entry));
         send_json(res, 200, out);
       });
    on("GET", "/api/v1/events", [this](const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) { stream_events(req, res); });
    on("GET", "/metrics", [this](const std::shared_ptr<Naos>& naos, const httplib::Request&, httplib::Response& res) {
      int64_t in_flight;
      {
        std::lock_guard lock(runs_mutex);
        in_flight = runs_in_flight;
      }
      res.set_content(metrics.render(*naos, hub->newest(), in_flight), "text/plain; version=0.0.4; charset=utf-8");
    });
  }

  Result<std::vector<governance::AuditEvent>> read_audit(const governance::AuditQuery& query) {
    std::lock_guard lock(reads_mutex);
    return governance::query_audit(*reads, query);
  }

  // POST /api/v1/cost/NAME/budget, body {"budget": "$10/day", "period",
  // "alert_at", "action"} (as `naos cost set NAME --budget ...`): the budget
  // in force changed by the fields given. NAME is an agent or `global`.
  void set_budget(Naos& naos, const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1].str();
    if (name != project::kGlobalBudget) {
      auto agent = naos.agent(name);
      if (!agent) return send_error(res, agent.error(), ApiCode{"AGENT_NOT_FOUND", 100});
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      return send_error(res, Error(Code::kInvalidArgument, "expected a JSON object: {\"budget\": \"$10/day\", ...}"));
    }
    governance::BudgetChange change;
    for (const auto& [key, value] : body.items()) {
      bool text = value.is_string();
      if (key == "budget" && (text || value.is_number_integer())) {
        change.amount = text ? value.get<std::string>() : std::to_string(value.get<int64_t>());
      } else if (key == "period" && text) {
        change.period = value.get<std::string>();
      } else if (key == "action" && text) {
        change.action = value.get<std::string>();
      } else if (key == "alert_at" && value.is_number_unsigned() && value.get<uint64_t>() <= 100) {
        change.alert_at = static_cast<uint32_t>(value.get<uint64_t>());
      } else {
        return send_error(res, Error(Code::kInvalidArgument,
                                     "expected budget (text or cents), period, action (text), alert_at (0 to 100)",
                                     printable(key)));
      }
    }
    if (change.amount.empty()) return send_error(res, Error(Code::kInvalidArgument, "the budget is required", "budget"));
    auto* enforcer = naos.budget();
    auto existing = enforcer->budget(name);
    if (!existing) return send_error(res, existing.error());
    project::BudgetConfig base = existing->value_or(project::BudgetConfig{});
    base.target = name;
    auto budget = governance::apply_budget_change(base, change);
    if (!budget) {
      return send_error(res, budget.error(),
                        budget.error().context() == "budget" ? std::optional(kInvalidAmount) : std::nullopt);
    }
    if (auto set = enforcer->set_budget(*budget, "api"); !set) return send_error(res, set.error(), kInvalidAmount);
    send_json(res, 200, views::budget_json(*budget));
  }

  // POST /api/v1/agents/NAME/runs?timeout=&memory=&fuel=&verify_trust, body
  // = the input (any bytes), as `naos run NAME --json`. An agent run has no
  // journal to resume it from, so the answer comes when it ends (within its
  // timeout): 200 and how it ran, a failed run included (ok: false, with its
  // code); an error when naos refused to run it (BUDGET_EXCEEDED,
  // TRUST_SCORE_LOW, ...).
  void run_agent(const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
    RunOptions run;
    run.input = req.body;
    run.actor = "api";
    run.cancel = options.cancel;
    run.verify_trust = req.has_param("verify_trust");
    if (req.has_param("timeout")) {
      auto timeout = parse_duration(req.get_param_value("timeout"));
      if (!timeout) return send_error(res, Error(Code::kInvalidArgument, timeout.error().message(), "timeout"));
      run.timeout = *timeout;
    }
    if (req.has_param("memory")) {
      auto memory = parse_size(req.get_param_value("memory"));
      if (!memory) return send_error(res, Error(Code::kInvalidArgument, memory.error().message(), "memory"));
      run.memory_bytes = *memory;
    }
    if (req.has_param("fuel")) {
      auto fuel = parse_count(req.get_param_value("fuel"));
      if (!fuel) return send_error(res, Error(Code::kInvalidArgument, "expected a count", "fuel"));
      run.fuel = static_cast<uint64_t>(*fuel);
    }
    // Only agents of the config: a path to a .wasm file is the CLI's.
    const std::string name = req.matches[1].str();
    if (naos->project()->config().agents.count(name) == 0) {
      return send_error(res, Error(Code::kNotFound, "no agent of this name in the config", name),
                        ApiCode{"AGENT_NOT_FOUND", 100});
    }
    auto started = std::chrono::steady_clock::now();
    auto ran = naos->run(name, run);
    if (!ran) {
      auto code = views::refusal_code(ran.error());
      return send_error(res, ran.error(), code ? std::optional(ApiCode{code->name, code->number}) : std::nullopt);
    }
    const auto& outcome = ran->outcome;
    metrics.run_ended("agent",
                      outcome.ok()                                          ? "completed"
                      : outcome.failure == sandbox::Failure::kCancelled ? "stopped"
                                                                            : "failed",
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    send_json(res, 200, views::agent_run_json(*ran));
  }

  // POST /api/v1/{workflows,sagas}/NAME/runs, body = the input (any bytes),
  // Idempotency-Key = the run id (a new one when absent). 202 and the run
  // once it is in the journal; 200 and the run when the key names a run that
  // has finished already.
  void start_run(const std::shared_ptr<Naos>& naos, const std::string& kind, const httplib::Request& req,
                 httplib::Response& res) {
    const std::string name = req.matches[1].str();
    const auto& config = naos->project()->config();
    bool exists = kind == "workflow" ? config.workflows.count(name) > 0 : config.sagas.count(name) > 0;
    std::optional<ApiCode> not_found;
    if (kind == "saga") not_found = ApiCode{"SAGA_NOT_FOUND", 200};
    if (!exists) return send_error(res, Error(Code::kNotFound, "no " + kind + " named " + name + " in the config"), not_found);
    std::string id = req.get_header_value("Idempotency-Key");
    if (req.has_header("Idempotency-Key") && !valid_run_key(id)) {
      return send_error(res, Error(Code::kInvalidArgument,
                                   "expected 1 to 128 printable ASCII characters without '/' or '#'",
                                   "Idempotency-Key"));
    }
    if (id.empty()) id = orchestration::new_run_id(kind, name);
    auto earlier = naos->journal()->find_run(id);
    if (!earlier) return send_error(res, earlier.error());
    if (*earlier && !unfinished(**earlier)) {
      if ((*earlier)->kind != kind || (*earlier)->name != name) {
        return send_error(res, Error(Code::kAlreadyExists, "the key names a run of another " + (*earlier)->kind, id));
      }
      nlohmann::json out = views::run_json(**earlier);
      out["reused"] = true;
      return send_json(res, 200, out);
    }

    const std::atomic<bool>* cancel = options.cancel;
    launch(
        naos, id,
        [naos, kind, name, id, input = req.body, cancel](const orchestration::OnDriving& driving) {
          auto* orchestrator = naos->orchestrator();
          return kind == "workflow" ? orchestrator->run_workflow(name, input, id, cancel, driving)
                                    : orchestrator->run_saga(name, input, id, cancel, driving);
        },
        res, [&](const Error& error) -> std::optional<ApiCode> {
          if (error.code() == Code::kNotFound) return not_found;
          if (kind == "saga" && error.code() == Code::kFailedPrecondition) return ApiCode{"SAGA_ALREADY_RUNNING", 204};
          return std::nullopt;
        });
  }

  // POST /api/v1/runs/ID/resume: continues an unfinished run (one a killed
  // naos left), or restarts a failed workflow at its failed step; 202 once
  // this process drives it.
  void resume_run(const std::shared_ptr<Naos>& naos, const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    auto run = naos->journal()->find_run(id);
    if (!run) return send_error(res, run.error());
    if (!*run) return send_error(res, Error(Code::kNotFound, "no run with this id", id), ApiCode{"RUN_NOT_FOUND"});
    if (unfinished(**run) && orchestration::Journal::owner_alive((*run)->owner)) {
      return send_error(res, Error(Code::kFailedPrecondition,
                                   "the run is being driven by process " + (*run)->owner, id));
    }
    const std::atomic<bool>* cancel = options.cancel;
    launch(
        naos, id,
        [naos, id, cancel](const orchestration::OnDriving& driving) {
          return naos->orchestrator()->resume(id, cancel, driving);
        },
        res,
        [](const Error&) -> std::optional<ApiCode> { return std::nullopt; });
  }

  // Drives a run (`drive`) on a thread of its own. Answers 202 and the run
  // as soon as the orchestrator says run `id` is in the journal with this
  // process driving it (durable), else how `drive` ended: its error (with
  // the product code `code_of` gives), or the run, 202 when this request
  // started it, 200 when it was an earlier run (reused).
  using Drive = std::function<Result<orchestration::RunResult>(const orchestration::OnDriving&)>;
  void launch(const std::shared_ptr<Naos>& naos, const std::string& id, Drive drive, httplib::Response& res,
              const std::function<std::optional<ApiCode>(const Error&)>& code_of) {
    // Shared with the run's thread, which outlives this request.
    struct Launch {
      std::mutex mutex;
      std::condition_variable changed;
      bool driving = false;
      std::optional<Result<orchestration::RunResult>> ended;
    };
    auto launch = std::make_shared<Launch>();
    {
      std::lock_guard lock(runs_mutex);
      ++runs_in_flight;
    }
    std::thread([this, drive = std::move(drive), launch] {
      auto started = std::chrono::steady_clock::now();
      auto ended = drive([&launch](const orchestration::RunRecord&) {
        std::lock_guard lock(launch->mutex);
        launch->driving = true;
        launch->changed.notify_all();
      });
      if (ended) {
        metrics.run_ended(ended->kind, ended->state,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      {
        std::lock_guard lock(launch->mutex);
        launch->ended = std::move(ended);
        launch->changed.notify_all();
      }
      std::lock_guard lock(runs_mutex);
      if (--runs_in_flight == 0) runs_done.notify_all();
    }).detach();

    std::unique_lock lock(launch->mutex);
    launch->changed.wait(lock, [&] { return launch->driving || launch->ended.has_value(); });
    if (!launch->ended) {
      lock.unlock();
      auto run = naos->journal()->find_run(id);
      if (!run) return send_error(res, run.error());
      if (*run) return send_json(res, 202, views::run_json(**run));
      return send_error(res, Error(Code::kInternal, "the run being driven is not in the journal", id));
    }
    auto ended = std::move(*launch->ended);
    lock.unlock();
    if (!ended) return send_error(res, ended.error(), code_of(ended.error()));
    int status = ended->reused ? 200 : 202;
    auto run = naos->journal()->find_run(id);
    if (!run || !*run) return send_json(res, status, views::result_json(*ended));
    nlohmann::json out = views::run_json(**run);
    if (ended->reused) out["reused"] = true;
    send_json(res, status, out);
  }

  // GET /api/v1/events: every audit event from the one after Last-Event-ID
  // (or ?after=N), else from now on (server/event_hub.h).
  void stream_events(const httplib::Request& req, httplib::Response& res) {
    std::string from = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                       : req.has_param("after")        ? req.get_param_value("after")
                                                       : "";
    int64_t after = hub->newest();
    if (!from.empty()) {
      auto parsed = parse_count(from);
      if (!parsed) return send_error(res, Error(Code::kInvalidArgument, "expected an event id", "Last-Event-ID"));
      after = *parsed;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [this, after](size_t, httplib::DataSink& sink) mutable {
      // A comment after 15 quiet seconds: a client that went away is found
      // out by the write failing, and proxies keep the stream open.
      auto messages = hub->next(after, std::chrono::seconds(15));
      if (!messages) return false;
      if (hub->stopped()) {
        sink.done();
        return true;
      }
      const std::string text = messages->empty() ? ": keep-alive\n\n" : std::move(*messages);
      return sink.write(text.data(), text.size());
    });
  }
};

Result<std::unique_ptr<ApiServer>> ApiServer::create(std::shared_ptr<Naos> naos, ServerOptions options) {
  if (naos->project() == nullptr) return Error(Code::kFailedPrecondition, "naos serve needs a project");
  if (!is_loopback(options.bind) && options.token.empty()) {
    return Error(Code::kInvalidArgument,
                 "serving on " + options.bind +
                     " (not loopback) needs a token: set NEXUS_DASH_TOKEN, or bind to 127.0.0.1",
                 "--bind");
  }
  const auto database_file = naos->project()->database_file();
  auto impl = std::make_unique<Impl>(std::move(naos), std::move(options));
  NAOS_ASSIGN_OR_RETURN(impl->reads, store::Database::open(database_file));
  NAOS_ASSIGN_OR_RETURN(impl->hub, EventHub::start(database_file));
  Impl& s = *impl;
  int threads = s.options.threads;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.http.set_payload_max_length(static_cast<size_t>(s.options.max_body_bytes));
  s.http.set_read_timeout(10, 0);
  s.http.set_write_timeout(10, 0);
  s.http.set_keep_alive_timeout(5);
  // cpp-httplib closes a kept-alive connection after 5 requests by default,
  // and each reconnection costs a handshake.
  s.http.set_keep_alive_max_count(10000);
  // Remembered so that bind() can raise the listen backlog.
  s.http.set_socket_options([&s](int socket) {
    httplib::default_socket_options(socket);
    s.listen_socket = socket;
  });
  s.http.set_pre_routing_handler(
      [&s](const httplib::Request& req, httplib::Response& res) { return s.check_request(req, res); });
  s.http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // an answer of ours
    Code code = res.status == 404 ? Code::kNotFound : res.status == 413 ? Code::kResourceExhausted : Code::kInvalidArgument;
    std::string what = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
                       : res.status == 413 ? "the request body is too large"
                                           : "the request could not be served (HTTP " + std::to_string(res.status) + ")";
    int status = res.status;
    send_error(res, Error(code, what));
    res.status = status;
  });
  s.http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    std::string what = "an exception of unknown type";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, Error(Code::kInternal, what));
  });
  s.routes();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { stop(); }

Result<uint16_t> ApiServer::bind() {
  Impl& s = *impl_;
  int port = s.options.port == 0 ? s.http.bind_to_any_port(s.options.bind)
                                 : (s.http.bind_to_port(s.options.bind, s.options.port) ? s.options.port : -1);
  if (port <= 0) {
    return Error(Code::kUnavailable, "cannot listen on " + s.options.bind + ":" + std::to_string(s.options.port) +
                                         " (in use, or not an address of this machine)");
  }
  s.port = static_cast<uint16_t>(port);
  // Debian's cpp-httplib listens with a backlog of 5 (compiled into the
  // library): 64 clients connecting at once overflowed it, and the refused
  // ones waited out a 1 s SYN retransmission (bench_api_server's p99).
  // listen() again on a listening socket only changes its backlog.
  if (s.listen_socket >= 0) ::listen(s.listen_socket, SOMAXCONN);
  return s.port;
}

Status ApiServer::serve() {
  Impl& s = *impl_;
  bool ok = s.http.listen_after_bind();
  std::unique_lock lock(s.runs_mutex);
  s.runs_done.wait(lock, [&s] { return s.runs_in_flight == 0; });
  if (!ok && !s.stopping) return Error(Code::kUnavailable, "the server stopped accepting connections", url());
  return naos::ok();
}

void ApiServer::stop() {
  impl_->stopping = true;
  impl_->hub->stop();  // ends the event streams' waits
  impl_->http.stop();
}

void ApiServer::replace(std::shared_ptr<Naos> naos) {
  std::lock_guard lock(impl_->naos_mutex);
  impl_->naos_ = std::move(naos);
}

std::vector<std::pair<std::string, std::string>> ApiServer::routes() const { return impl_->registered; }

std::string ApiServer::url() const { return "http://" + impl_->host_for_url() + ":" + std::to_string(impl_->port); }

}  // namespace naos::server
