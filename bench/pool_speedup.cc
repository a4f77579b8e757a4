// bench_pool_speedup — does a clone pool use the cores? One CPU-bound agent
// (tests/agents/actor.c as `spinN-bench`: N million rounds of integer work,
// no I/O) is run M times one after another through the StepRunner, then the
// same M runs as tasks of a clone pool with `size` = the number of cores,
// served from the durable task queue exactly as `naos pool run` does (every
// task taken, journaled and completed in SQLite). Same process, same project,
// same warmed-up module cache.
//
// Target (from the issue): at least 1.8x on 2 cores, i.e. 0.9 x the cores
// used (min(cores, M)). Prints PASS or FAIL and exits 0 either way: it is a
// measurement. Exits non-zero when something cannot be set up, a run fails,
// or a pooled run's output differs from the sequential one.
//
// Usage: bench_pool_speedup [--spin N] [--runs M] [--size S] [--json]
//   --spin N   million rounds per run (default 40: ~125 ms a run on the 2-core dev VM)
//   --runs M   runs on each side (default 16)
//   --size S   pool size (default: std::thread::hardware_concurrency())
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/naos.h"
#include "core/pools.h"

#ifndef NAOS_BENCH_ACTOR
#define NAOS_BENCH_ACTOR "actor.wasm"
#endif

namespace {

using Steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_pool_speedup: %s\n", message.c_str());
  std::exit(1);
}

// A scratch project folder, removed at exit.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "naos-pool-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) die("cannot make a temporary folder");
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  // As naos's main() does: Wasmtime captures a Rust backtrace for every
  // error (each agent's proc_exit is one) when RUST_BACKTRACE is set.
  setenv("RUST_LIB_BACKTRACE", "0", 0);
  long spin = 40, runs = 16, size = static_cast<long>(std::thread::hardware_concurrency());
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> long {
      if (i + 1 >= argc) die(arg + " needs a value");
      return std::atol(argv[++i]);
    };
    if (arg == "--spin") {
      spin = value();
    } else if (arg == "--runs") {
      runs = value();
    } else if (arg == "--size") {
      size = value();
    } else if (arg == "--json") {
      json = true;
    } else {
      die("unknown argument " + arg + " (usage: bench_pool_speedup [--spin N] [--runs M] [--size S] [--json])");
    }
  }
  if (spin <= 0 || runs <= 0 || size <= 0) die("--spin, --runs and --size must be positive");
  if (!std::filesystem::exists(NAOS_BENCH_ACTOR)) die(std::string("no agent at ") + NAOS_BENCH_ACTOR);

  ScratchDir dir;
  std::string agent = "spin" + std::to_string(spin) + "-bench";
  {
    std::ofstream config(dir.path / "nexus.config.yaml");
    config << "name: pool-bench\n"
           << "execution: { timeout: 600s }\n"
           << "agents:\n  " << agent << ": { source: " << NAOS_BENCH_ACTOR << ", capabilities: { kv: true } }\n"
           << "pools:\n  bench: { agent: " << agent << ", size: " << size << " }\n";
  }
  std::filesystem::create_directories(dir.path / "data");
  naos::SystemClock clock;
  auto project = naos::project::Project::open(dir.path);
  if (!project) die(project.error().to_string());
  auto opened = naos::Naos::open(std::move(*project), clock,
                                 // The project's evidence (governance/evidence.h) in its own folder.
                                 [state = (dir.path / ".naos-state").string()](const std::string& name)
                                     -> std::optional<std::string> {
                                   if (name == "NAOS_STATE_DIR") return state;
                                   return std::nullopt;
                                 });
  if (!opened) die(opened.error().to_string());
  auto& naos = **opened;
  auto pools = naos::Pools::open(naos);
  if (!pools) die(pools.error().to_string());

  naos::orchestration::StepCall call;
  call.agent = agent;
  call.input = "x";
  call.actor = "bench";
  // Warm-up: compiles the module into the cache, so neither side pays for it.
  auto warm = naos.step_runner().run(call);
  if (!warm.ok) die("warm-up run failed: " + warm.error + ": " + warm.message);
  const std::string expected = warm.output;

  auto sequential_start = Steady::now();
  for (long i = 0; i < runs; ++i) {
    auto result = naos.step_runner().run(call);
    if (!result.ok || result.output != expected) die("a sequential run failed: " + result.error + result.message);
  }
  double sequential = seconds_since(sequential_start);

  std::vector<std::string> tasks(static_cast<size_t>(runs), "x");
  auto pooled_start = Steady::now();
  auto submitted = (*pools)->submit("bench", tasks, "bench");
  if (!submitted) die(submitted.error().to_string());
  auto served = (*pools)->serve("bench", {});
  double pooled = seconds_since(pooled_start);
  if (!served) die(served.error().to_string());
  if (served->completed() != static_cast<size_t>(runs)) die("the pool did not complete every task");
  for (const auto& item : served->items) {
    if (item.output != expected) die("a pooled run's output differs: " + item.output);
  }

  double speedup = sequential / pooled;
  long cores = std::min(size, runs);
  double target = 0.9 * static_cast<double>(cores);
  bool pass = speedup >= target;
  if (json) {
    std::printf("%s\n", nlohmann::json{{"spin_million_rounds", spin},
                                        {"runs", runs},
                                        {"pool_size", size},
                                        {"hardware_threads", std::thread::hardware_concurrency()},
                                        {"sequential_s", sequential},
                                        {"pooled_s", pooled},
                                        {"per_run_ms", sequential * 1000 / static_cast<double>(runs)},
                                        {"speedup", speedup},
                                        {"target", target},
                                        {"pass", pass}}
                            .dump(2)
                            .c_str());
    return 0;
  }
  std::printf("agent %s (%ld million rounds), %ld runs, pool size %ld, %u hardware threads\n", agent.c_str(), spin,
              runs, size, std::thread::hardware_concurrency());
  std::printf("sequential: %.3f s (%.1f ms per run)\n", sequential, sequential * 1000 / static_cast<double>(runs));
  std::printf("pool:       %.3f s (%.1f ms per run)\n", pooled, pooled * 1000 / static_cast<double>(runs));
  std::printf("speedup:    %.2fx\n", speedup);
  std::printf("%s: speedup %.2fx vs target %.2fx (0.9 x %ld cores; 1.8x on 2 cores)\n", pass ? "PASS" : "FAIL",
              speedup, target, cores);
  return 0;
}
