// bench_restart_latency — how long a naos supervisor takes to bring a
// crashed child back: from the moment the child's crash is known to the
// moment the restarted child's code runs again. bench/restart_latency.sh
// runs this beside the same loop under an Erlang/OTP supervisor
// (bench/restart_latency.escript) and checks the target: within 2x of OTP.
//
// What is timed (the child crashes immediately on every start):
//   crash    the sandbox run of the child returned: the guest (by default
//            tests/agents/crasher.wat, which logs one line and traps: the
//            least a wasm child can do, as the OTP child is the least an
//            Erlang process can do) has ended, and the runner is about to
//            hand the failure to the supervisor;
//   running  the restarted child's guest code made its first log call,
//            which reaches the host as AgentCalls::log.
// Given actor.wasm instead (a C program: WASI libc start-up, reading stdin,
// one stderr line, exit 1), the sandbox's share grows by the C start-up.
// So each sample covers the supervisor noticing the exit, deciding, and
// starting the child again (a thread, a fresh sandbox instance: store, WASI
// context, instantiate, `_start` reading stdin) up to the guest's first
// host call. The OTP peer times the same interval: from a gen_server's
// last act before it crashes to the restarted gen_server's init/1.
//
// By default the child runs through orchestration::Supervisor with a
// StepRunner that calls Sandbox::run directly: no registry, no audit log,
// as OTP's supervisor (with logging off) keeps nothing durable either.
// `--full` also times crash to crash through Naos::run in a real project
// (registry, trust, and agent.started/agent.failed made durable per run),
// the path `naos supervisor start` takes; that number is for information.
//
// Usage: bench_restart_latency [AGENT.wasm] [--restarts N] [--warmup N] [--full] [--json]
// Prints a `RESULT naos ...` line for bench/restart_latency.sh (not with --json). Exits 0
// whatever the numbers; non-zero only when something cannot be set up.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/naos.h"
#include "orchestration/supervisor.h"
#include "sandbox/sandbox.h"

#ifndef NAOS_BENCH_AGENT_DIR
#define NAOS_BENCH_AGENT_DIR "."
#endif

namespace {

namespace orch = naos::orchestration;
namespace sb = naos::sandbox;
using Steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_restart_latency: %s\n", message.c_str());
  std::exit(1);
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch()).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct Stats {
  size_t count = 0;
  double mean_us = 0, p50_us = 0, p99_us = 0, min_us = 0, max_us = 0;
};

Stats stats_of(std::vector<int64_t> ns) {
  Stats s;
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * static_cast<double>(ns.size()))) - 1;
    return static_cast<double>(ns[std::min(index, ns.size() - 1)]) / 1000.0;
  };
  s.count = ns.size();
  s.mean_us = static_cast<double>(std::accumulate(ns.begin(), ns.end(), int64_t{0})) / 1000.0 /
              static_cast<double>(ns.size());
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.min_us = static_cast<double>(ns.front()) / 1000.0;
  s.max_us = static_cast<double>(ns.back()) / 1000.0;
  return s;
}

nlohmann::json to_json(const Stats& s) {
  return {{"count", s.count}, {"mean_us", s.mean_us}, {"p50_us", s.p50_us},
          {"p99_us", s.p99_us}, {"min_us", s.min_us}, {"max_us", s.max_us}};
}

// Timestamps of every run, in run order.
struct Timeline {
  std::mutex mutex;
  std::vector<int64_t> entered;  // run k's StepRunner::run was called
  std::vector<int64_t> crashed;  // run k's sandbox run returned
  std::vector<int64_t> running;  // run k's guest made its first host call
};

// The host side of one run: notes when the guest first calls out, and keeps
// kv in memory (actor.wasm imports kv, so the grant must cover it).
class BenchCalls final : public sb::AgentCalls {
 public:
  explicit BenchCalls(int64_t& first_call_ns) : first_call_ns_(first_call_ns) {}
  void log(sb::LogLevel, std::string_view) override {
    if (first_call_ns_ == 0) first_call_ns_ = now_ns();
  }
  int64_t time_now_ms() override { return 0; }
  naos::Result<std::optional<std::string>> kv_get(std::string_view key) override {
    auto found = kv_.find(std::string(key));
    if (found == kv_.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  naos::Status kv_set(std::string_view key, std::string_view value) override {
    kv_[std::string(key)] = std::string(value);
    return naos::ok();
  }
  naos::Result<sb::HttpResponse> http(const sb::HttpRequest&, Steady::time_point) override {
    return naos::Error(naos::Code::kPermissionDenied, "no network in this benchmark");
  }

 private:
  int64_t& first_call_ns_;
  std::map<std::string, std::string> kv_;
};

// Runs the child straight in the sandbox. After `total` crashes it returns
// success instead of running, which (transient) ends the tree.
class SandboxRunner final : public orch::StepRunner {
 public:
  SandboxRunner(sb::Sandbox& sandbox, const sb::AgentModule& module, Timeline& timeline, size_t total)
      : sandbox_(sandbox), module_(module), timeline_(timeline), total_(total) {}

  orch::StepResult run(const orch::StepCall& call) override {
    int64_t entered = now_ns();
    if (runs_.fetch_add(1) >= total_) return orch::StepResult::success("");
    sb::RunRequest request;
    request.agent_name = call.agent;
    request.cancel = call.cancel;
    request.grants.kv = true;
    int64_t first_call = 0;
    BenchCalls calls(first_call);
    auto outcome = sandbox_.run(module_, request, calls);
    int64_t crashed = now_ns();
    if (!outcome) die("the sandbox could not run the child: " + outcome.error().to_string());
    if (outcome->ok() || first_call == 0) die("the child was expected to log a line and exit 1: " + outcome->message);
    {
      std::lock_guard lock(timeline_.mutex);
      timeline_.entered.push_back(entered);
      timeline_.running.push_back(first_call);
      timeline_.crashed.push_back(crashed);
    }
    return orch::StepResult::failure("exit_status", outcome->message);
  }

 private:
  sb::Sandbox& sandbox_;
  const sb::AgentModule& module_;
  Timeline& timeline_;
  size_t total_;
  std::atomic<size_t> runs_{0};
};

// Crash to crash through Naos::run: the return of each run is the only mark.
class TimedRunner final : public orch::StepRunner {
 public:
  TimedRunner(orch::StepRunner& inner, Timeline& timeline, size_t total)
      : inner_(inner), timeline_(timeline), total_(total) {}
  orch::StepResult run(const orch::StepCall& call) override {
    if (runs_.fetch_add(1) >= total_) return orch::StepResult::success("");
    auto result = inner_.run(call);
    int64_t crashed = now_ns();
    if (result.ok) die("the child was expected to fail");
    std::lock_guard lock(timeline_.mutex);
    timeline_.crashed.push_back(crashed);
    return result;
  }

 private:
  orch::StepRunner& inner_;
  Timeline& timeline_;
  size_t total_;
  std::atomic<size_t> runs_{0};
};

orch::SupervisorSpec crash_loop_spec(size_t total) {
  orch::SupervisorSpec spec;
  spec.name = "bench";
  spec.strategy = naos::project::SupervisorStrategy::kOneForOne;
  spec.max_restarts = static_cast<uint32_t>(total + 10);  // never the limit: this measures restarts
  spec.restart_window = std::chrono::hours(1);
  orch::ChildSpec child;
  child.name = "fail-bench";
  child.restart = naos::project::RestartType::kTransient;
  child.shutdown = std::chrono::seconds(5);
  spec.children.push_back(child);
  return spec;
}

void run_tree(orch::StepRunner& runner, size_t total) {
  orch::SteadySupervisorClock clock;
  orch::SupervisorContext context{runner, clock, nullptr, {}, {}, orch::kDefaultPausePoll, {}};
  orch::Supervisor supervisor(crash_loop_spec(total), context);
  auto outcome = supervisor.run();
  if (outcome.end != orch::SupervisorEnd::kCompleted) die("the tree ended early: " + outcome.report);
}

// Full path: a project in a temporary folder, removed at the end.
std::vector<int64_t> crash_to_crash_full(const std::string& agent, size_t total) {
  char pattern[] = "/tmp/naos-bench-restart-XXXXXX";
  if (mkdtemp(pattern) == nullptr) die("mkdtemp failed");
  std::filesystem::path dir(pattern);
  {
    std::ofstream config(dir / "nexus.config.yaml");
    config << "name: bench\nagents:\n  fail-bench: { source: " << agent << ", capabilities: { kv: true } }\n";
  }
  std::filesystem::create_directories(dir / "data");
  std::vector<int64_t> intervals;
  {
    naos::SystemClock clock;
    auto project = naos::project::Project::open(dir);
    if (!project) die(project.error().to_string());
    auto naos = naos::Naos::open(std::move(*project), clock,
                                 // The project's evidence (governance/evidence.h) in its own folder.
                                 [state = (dir / ".naos-state").string()](const std::string& name)
                                     -> std::optional<std::string> {
                                   if (name == "NAOS_STATE_DIR") return state;
                                   return std::nullopt;
                                 });
    if (!naos) die(naos.error().to_string());
    Timeline timeline;
    TimedRunner runner((*naos)->step_runner(), timeline, total);
    run_tree(runner, total);
    for (size_t k = 1; k < timeline.crashed.size(); ++k) intervals.push_back(timeline.crashed[k] - timeline.crashed[k - 1]);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return intervals;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("RUST_LIB_BACKTRACE", "0", 0);
  std::string agent = std::string(NAOS_BENCH_AGENT_DIR) + "/crasher.wasm";
  size_t restarts = 200, warmup = 20;
  bool full = false, json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> size_t {
      if (i + 1 >= argc) die(arg + " needs a number");
      return static_cast<size_t>(std::stoul(argv[++i]));
    };
    if (arg == "--restarts") {
      restarts = next();
    } else if (arg == "--warmup") {
      warmup = next();
    } else if (arg == "--full") {
      full = true;
    } else if (arg == "--json") {
      json = true;
    } else if (!arg.empty() && arg[0] != '-') {
      agent = arg;
    } else {
      die("usage: bench_restart_latency [AGENT.wasm] [--restarts N] [--warmup N] [--full] [--json]");
    }
  }
  if (restarts == 0) die("--restarts must be at least 1");
  const size_t total = warmup + restarts + 1;  // crashes; restarts between them

  auto sandbox = sb::Sandbox::create({});
  if (!sandbox) die(sandbox.error().to_string());
  auto module = (*sandbox)->load(read_file(agent));
  if (!module) die(module.error().to_string());

  Timeline timeline;
  SandboxRunner runner(**sandbox, **module, timeline, total);
  run_tree(runner, total);
  std::vector<int64_t> latency, supervising, starting, crash_to_crash;
  for (size_t k = warmup + 1; k < timeline.crashed.size(); ++k) {
    latency.push_back(timeline.running[k] - timeline.crashed[k - 1]);
    supervising.push_back(timeline.entered[k] - timeline.crashed[k - 1]);
    starting.push_back(timeline.running[k] - timeline.entered[k]);
    crash_to_crash.push_back(timeline.crashed[k] - timeline.crashed[k - 1]);
  }
  Stats restart = stats_of(latency), cycle = stats_of(crash_to_crash);
  Stats supervisor_part = stats_of(supervising), sandbox_part = stats_of(starting);
  Stats full_cycle;
  if (full) {
    auto intervals = crash_to_crash_full(agent, total);
    if (intervals.size() > warmup) intervals.erase(intervals.begin(), intervals.begin() + static_cast<long>(warmup));
    full_cycle = stats_of(intervals);
  }

  if (json) {
    nlohmann::json out = {{"agent", agent},
                          {"restart", to_json(restart)},
                          {"supervisor_part", to_json(supervisor_part)},
                          {"sandbox_part", to_json(sandbox_part)},
                          {"crash_to_crash", to_json(cycle)}};
    if (full) out["full_crash_to_crash"] = to_json(full_cycle);
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("naos restart latency, crash -> restarted child running (%zu restarts, %zu warmup)\n", restart.count,
                warmup);
    std::printf("  p50 %.1f us  p99 %.1f us  mean %.1f us  min %.1f us  max %.1f us\n", restart.p50_us,
                restart.p99_us, restart.mean_us, restart.min_us, restart.max_us);
    std::printf("  of which crash -> runner called again (the supervisor): p50 %.1f us  p99 %.1f us\n",
                supervisor_part.p50_us, supervisor_part.p99_us);
    std::printf("  and runner called -> guest running (the sandbox): p50 %.1f us  p99 %.1f us\n", sandbox_part.p50_us,
                sandbox_part.p99_us);
    std::printf("  crash -> crash (adds the guest's run): p50 %.1f us  p99 %.1f us\n", cycle.p50_us, cycle.p99_us);
    if (full) {
      std::printf("  through Naos::run (registry, trust, durable audit per run), crash -> crash: p50 %.1f us  p99 %.1f us\n",
                  full_cycle.p50_us, full_cycle.p99_us);
    }
  }
  if (!json) {
    std::printf("RESULT naos p50_us=%.1f p99_us=%.1f mean_us=%.1f count=%zu", restart.p50_us, restart.p99_us,
                restart.mean_us, restart.count);
    if (full) std::printf(" full_p50_us=%.1f full_p99_us=%.1f", full_cycle.p50_us, full_cycle.p99_us);
    std::printf("\n");
  }
  return 0;
}
