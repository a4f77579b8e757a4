// bench_api_server — `naos serve` under load, beside the CLI in the same run.
//
// A scratch project with one agent (trivial.wasm) and a one-step workflow
// `one` that runs it. Then, against a real `naos serve --port 0`:
//   1. GET /api/v1/agents from 1, 16 and 64 concurrent keep-alive clients;
//      peer: `naos list --json` processes from as many streams.
//   2. POST /api/v1/workflows/one/runs (a trivial run, durable and audited:
//      202 once it is journaled) from 1, 16 and 64 clients, and the time
//      until every run is completed; peer: `naos workflow run one`.
//   3. 100 clients on GET /api/v1/events while this process appends a burst
//      of 10,000 audit events to the project's log (durably, through the
//      same AuditLog naos uses): the time until every client has every event,
//      and how many events any client missed.
//
// Targets (issue 17): 5,000 GET requests/s; 1,000 trivial runs/s through the
// API; p99 under 20 ms at concurrency 16; no SSE client missing an event.
// Prints PASS or FAIL for each and exits 0 either way (a measurement); exits
// non-zero only when something cannot be set up.
//
// Usage: bench_api_server [--requests N] [--runs N] [--cli N] [--clients N]
//                         [--events N] [--json]
//   --requests N  GET requests per level (default 20000)
//   --runs N      API runs per level (default 2000)
//   --cli N       CLI processes per level on the peer side (default 64)
//   --clients N   SSE clients (default 100)   --events N  burst size (default 10000)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "bench_process.h"
#include "core/naos.h"

#ifndef NAOS_BENCH_NAOS
#define NAOS_BENCH_NAOS "naos"
#endif
#ifndef NAOS_BENCH_AGENT
#define NAOS_BENCH_AGENT "trivial.wasm"
#endif

namespace {

using naos::bench::spawn_process;
using naos::bench::wait_exit;
using Steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_api_server: %s\n", message.c_str());
  std::exit(1);
}

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

struct Level {
  std::string what;
  int concurrency = 0;
  int count = 0;
  double seconds = 0;
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  int errors = 0;
};

// `concurrency` workers share `count` calls of `one(worker)`, which says
// whether the call succeeded.
Level measure(const std::string& what, int concurrency, int count, const std::function<bool(int)>& one) {
  std::atomic<int> next{0};
  std::mutex mutex;
  std::vector<double> latencies;
  Level level{what, concurrency, count};
  auto start = Steady::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      std::vector<double> mine;
      int errors = 0;
      while (next.fetch_add(1) < count) {
        auto begun = Steady::now();
        if (!one(w)) ++errors;
        mine.push_back(ms_since(begun));
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      level.errors += errors;
    });
  }
  for (auto& worker : workers) worker.join();
  level.seconds = ms_since(start) / 1000;
  level.per_second = count / level.seconds;
  level.p50_ms = percentile(latencies, 0.50);
  level.p99_ms = percentile(latencies, 0.99);
  return level;
}

nlohmann::json to_json(const Level& l) {
  return {{"what", l.what},        {"concurrency", l.concurrency}, {"count", l.count},
          {"seconds", l.seconds},  {"per_second", l.per_second},   {"p50_ms", l.p50_ms},
          {"p99_ms", l.p99_ms},    {"errors", l.errors}};
}

void print(const Level& l) {
  std::printf("  %-28s c=%-3d %7d in %7.2f s  %9.0f/s  p50 %7.2f ms  p99 %7.2f ms  errors %d\n", l.what.c_str(),
              l.concurrency, l.count, l.seconds, l.per_second, l.p50_ms, l.p99_ms, l.errors);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000, runs = 2000, cli = 64, clients = 100, burst = 10000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) die(arg + " needs a value");
      return std::atoi(argv[++i]);
    };
    if (arg == "--requests") requests = value();
    else if (arg == "--runs") runs = value();
    else if (arg == "--cli") cli = value();
    else if (arg == "--clients") clients = value();
    else if (arg == "--events") burst = value();
    else if (arg == "--json") json = true;
    else die("unknown argument " + arg);
  }
  std::signal(SIGPIPE, SIG_IGN);
  const std::string naos_binary = NAOS_BENCH_NAOS;

  // The project.
  std::string pattern = (std::filesystem::temp_directory_path() / "naos-api-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) die("cannot make a temporary folder");
  const std::filesystem::path scratch = pattern;
  if (wait_exit(spawn_process({naos_binary, "init", "bench"}, scratch)) != 0) die("naos init failed");
  const std::filesystem::path root = scratch / "bench";
  {
    std::ofstream config(root / "nexus.config.yaml", std::ios::trunc);
    config << "name: bench\nagents:\n  trivial: { source: " << NAOS_BENCH_AGENT << " }\n"
           << "workflows:\n  one: { steps: [ {agent: trivial} ] }\n";
  }
  if (wait_exit(spawn_process({naos_binary, "workflow", "run", "one"}, root)) != 0) die("a first run through the CLI failed");

  // The server, and its address from its first line.
  int out[2];
  if (pipe(out) != 0) die("pipe");
  int server = spawn_process({naos_binary, "serve", "--port", "0"}, root, out[1]);
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  auto start_at = line.find("http://"), end_at = line.find("/api/v1");
  if (server < 0 || start_at == std::string::npos || end_at == std::string::npos) die("naos serve did not start: " + line);
  const std::string url = line.substr(start_at, end_at - start_at);

  nlohmann::json report = {{"levels", nlohmann::json::array()}};
  auto record = [&](const Level& level) {
    report["levels"].push_back(to_json(level));
    if (!json) print(level);
  };
  std::vector<int> levels = {1, 16, 64};
  if (!json) std::printf("bench_api_server: %s, agent %s\n", url.c_str(), NAOS_BENCH_AGENT);

  // 1. GET /api/v1/agents.
  Level get16;
  for (int concurrency : levels) {
    std::vector<std::unique_ptr<httplib::Client>> pool;
    for (int i = 0; i < concurrency; ++i) pool.push_back(std::make_unique<httplib::Client>(url));
    auto level = measure("api GET /agents", concurrency, requests, [&](int w) {
      auto res = pool[w]->Get("/api/v1/agents");
      return res && res->status == 200;
    });
    if (concurrency == 16) get16 = level;
    record(level);
  }
  for (int concurrency : {1, 16}) {
    record(measure("cli naos list --json", concurrency, cli,
                   [&](int) { return wait_exit(spawn_process({naos_binary, "list", "--json"}, root)) == 0; }));
  }

  // 2. POST a trivial workflow run; then until every run is completed.
  Level post16;
  double best_completed_per_second = 0;
  for (int concurrency : levels) {
    std::vector<std::unique_ptr<httplib::Client>> pool;
    for (int i = 0; i < concurrency; ++i) pool.push_back(std::make_unique<httplib::Client>(url));
    std::mutex ids_mutex;
    std::vector<std::string> ids;
    std::string first_error;
    auto started = Steady::now();
    auto level = measure("api POST run (202)", concurrency, runs, [&](int w) {
      auto res = pool[w]->Post("/api/v1/workflows/one/runs", "x", "text/plain");
      if (!res || res->status != 202) {
        std::lock_guard lock(ids_mutex);
        if (first_error.empty()) {
          first_error = res ? std::to_string(res->status) + " " + res->body : httplib::to_string(res.error());
        }
        return false;
      }
      std::lock_guard lock(ids_mutex);
      ids.push_back(nlohmann::json::parse(res->body)["id"]);
      return true;
    });
    if (concurrency == 16) post16 = level;
    record(level);
    if (!first_error.empty() && !json) std::printf("    first error: %s\n", first_error.c_str());
    // Completed: poll the newest runs until none of ours is running.
    httplib::Client poller(url);
    for (;;) {
      auto res = poller.Get("/api/v1/runs?kind=workflow&state=running&last=1");
      if (res && res->status == 200 && nlohmann::json::parse(res->body).empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    double completed = static_cast<double>(ids.size()) / (ms_since(started) / 1000);
    if (!json) std::printf("  %-28s c=%-3d %7zu completed: %9.0f runs/s\n", "api run completed", concurrency, ids.size(), completed);
    report["levels"].push_back({{"what", "api run completed"}, {"concurrency", concurrency},
                                {"count", ids.size()}, {"per_second", completed}});
    best_completed_per_second = std::max(best_completed_per_second, completed);
  }
  for (int concurrency : {1, 16}) {
    record(measure("cli naos workflow run", concurrency, cli, [&](int) {
      return wait_exit(spawn_process({naos_binary, "workflow", "run", "one", "--input", "x"}, root)) == 0;
    }));
  }

  // 3. 100 SSE clients, a burst of events.
  int64_t after = 0;
  {
    httplib::Client client(url);
    auto res = client.Get("/api/v1/audit?last=1");
    if (!res || res->status != 200) die("GET /api/v1/audit failed");
    auto newest = nlohmann::json::parse(res->body);
    if (!newest.empty()) after = newest.back()["id"];
  }
  std::atomic<int> connected{0};
  std::vector<int64_t> received(clients, 0);
  std::vector<int64_t> gaps(clients, 0);
  std::vector<double> finished_ms(clients, 0);
  auto burst_start = std::make_shared<std::atomic<int64_t>>(0);
  std::vector<std::thread> readers;
  for (int i = 0; i < clients; ++i) {
    readers.emplace_back([&, i] {
      httplib::Client client(url);
      client.set_read_timeout(120, 0);
      std::string buffer;
      int64_t expect = after + 1;
      bool counted = false;
      client.Get("/api/v1/events", {{"Last-Event-ID", std::to_string(after)}}, [&](const char* data, size_t length) {
        if (!counted) counted = true, ++connected;
        buffer.append(data, length);
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          std::string frame = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          if (frame.rfind("id: ", 0) != 0) continue;
          int64_t id = std::stoll(frame.substr(4));
          if (id != expect) ++gaps[i];
          expect = id + 1;
          if (++received[i] == burst) {
            finished_ms[i] = static_cast<double>(Steady::now().time_since_epoch().count() - burst_start->load()) / 1e6;
            return false;
          }
        }
        return true;
      });
    });
  }
  // The first event lets every client count itself connected.
  naos::SystemClock clock;
  auto project = naos::project::Project::open(root);
  if (!project) die(project.error().to_string());
  auto naos = naos::Naos::open(std::move(*project), clock, [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  if (!naos) die(naos.error().to_string());
  burst_start->store(Steady::now().time_since_epoch().count());
  std::vector<std::future<naos::Result<int64_t>>> pending;
  for (int i = 0; i < burst; ++i) {
    pending.push_back((*naos)->audit()->append_async({"bench", "", "bench.event", {{"i", i}}}));
  }
  for (auto& p : pending) {
    if (!p.get()) die("an append failed");
  }
  double written_ms = static_cast<double>(Steady::now().time_since_epoch().count() - burst_start->load()) / 1e6;
  for (auto& reader : readers) reader.join();
  int missing = 0;
  double slowest = 0;
  for (int i = 0; i < clients; ++i) {
    if (received[i] != burst || gaps[i] != 0) ++missing;
    slowest = std::max(slowest, finished_ms[i]);
  }
  if (!json) {
    std::printf("  sse: %d clients, %d events written in %.0f ms; every client had every event after %.0f ms; "
                "clients missing an event: %d\n",
                clients, burst, written_ms, slowest, missing);
  }
  report["sse"] = {{"clients", clients}, {"events", burst}, {"written_ms", written_ms},
                   {"all_delivered_ms", slowest}, {"clients_missing_events", missing}};

  ::kill(server, SIGTERM);
  wait_exit(server);
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);

  double best_get = 0;
  for (const auto& l : report["levels"]) {
    if (l["what"] == "api GET /agents") best_get = std::max(best_get, l["per_second"].get<double>());
  }
  bool get_ok = best_get >= 5000, runs_ok = best_completed_per_second >= 1000,
       p99_ok = get16.p99_ms < 20 && post16.p99_ms < 20,
       sse_ok = missing == 0;
  report["targets"] = {{"get_per_second", best_get},   {"get_pass", get_ok},
                       {"runs_per_second", best_completed_per_second}, {"runs_pass", runs_ok},
                       {"get_p99_ms_at_16", get16.p99_ms}, {"post_p99_ms_at_16", post16.p99_ms},
                       {"p99_pass", p99_ok},
                       {"sse_pass", sse_ok}};
  if (json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::printf("%s GET: %.0f requests/s (target 5000)\n", get_ok ? "PASS" : "FAIL", best_get);
    std::printf("%s runs: %.0f trivial runs/s completed through the API (target 1000)\n", runs_ok ? "PASS" : "FAIL",
                best_completed_per_second);
    std::printf("%s p99 at concurrency 16: GET %.2f ms, POST run %.2f ms (target < 20)\n", p99_ok ? "PASS" : "FAIL",
                get16.p99_ms, post16.p99_ms);
    std::printf("%s sse: %d of %d clients missed an event\n", sse_ok ? "PASS" : "FAIL", missing, clients);
  }
  return 0;
}
