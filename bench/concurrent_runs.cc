// bench_concurrent_runs — many processes, one project. `naos run` of a
// trivial agent from 1, 8 and 32 concurrent streams of processes on one
// project, beside the same number of streams of plain `sqlite3` processes,
// each inserting one row into one database with the same durability
// settings (WAL, synchronous=FULL, a long busy timeout), in the same run.
//
// Each stream starts its next process when the last one ended, until the
// level's runs are done; a run's latency is from spawn to exit. Every naos
// run goes through the whole CLI: open the project, load the cached module,
// run it, write agent.started and agent.completed durably. Every sqlite3 run
// is one process that opens the database and commits one INSERT.
//
// Target (issue 11): at 32 processes naos reaches at least half the sqlite3
// peer's rate, with zero errors (any exit status but 0, or "locked" in
// stderr). Prints PASS or FAIL and exits 0 either way: it is a measurement.
// Exits non-zero when something cannot be set up.
//
// Usage: bench_concurrent_runs [--runs N] [--levels 1,8,32] [--naos PATH]
//                              [--sqlite3 PATH] [--json]
//   --runs N   runs per level on each side (default 256)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_process.h"

#ifndef NAOS_BENCH_NAOS
#define NAOS_BENCH_NAOS "naos"
#endif
#ifndef NAOS_BENCH_AGENT
#define NAOS_BENCH_AGENT "trivial.wasm"
#endif

namespace {

using Steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_concurrent_runs: %s\n", message.c_str());
  std::exit(1);
}

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "naos-concurrent-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) die("cannot make a temporary folder");
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Runs argv in cwd with stdout to /dev/null and stderr to `err_file`; its
// exit status (128 + signal when killed).
int spawn_and_wait(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                   const std::filesystem::path& err_file) {
  return naos::bench::wait_exit(naos::bench::spawn_process(argv, cwd, -1, err_file));
}

struct Level {
  std::string side;
  int processes = 0;
  int runs = 0;
  double seconds = 0;
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  int errors = 0;
  int locked = 0;
  std::string first_error;
};

// `processes` streams share `runs` runs of argv_for(i).
Level measure(const std::string& side, int processes, int runs, const std::filesystem::path& cwd,
              const std::filesystem::path& scratch, const std::function<std::vector<std::string>(int)>& argv_for) {
  std::atomic<int> next{0};
  std::mutex mutex;
  std::vector<double> latencies;
  Level level{side, processes, runs};
  auto start = Steady::now();
  std::vector<std::thread> streams;
  for (int s = 0; s < processes; ++s) {
    streams.emplace_back([&, s] {
      auto err_file = scratch / ("err-" + side + "-" + std::to_string(s));
      std::vector<double> mine;
      for (int i; (i = next.fetch_add(1)) < runs;) {
        auto begun = Steady::now();
        int status = spawn_and_wait(argv_for(i), cwd, err_file);
        mine.push_back(std::chrono::duration<double, std::milli>(Steady::now() - begun).count());
        // A success that still said "locked" counts as an error too.
        std::string err = slurp(err_file);
        if (status != 0 || err.find("locked") != std::string::npos) {
          std::lock_guard lock(mutex);
          ++level.errors;
          if (err.find("locked") != std::string::npos) ++level.locked;
          if (level.first_error.empty()) level.first_error = "exit " + std::to_string(status) + ": " + err;
        }
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& stream : streams) stream.join();
  level.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  level.per_second = runs / level.seconds;
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) { return latencies[std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()))]; };
  level.p50_ms = at(0.50);
  level.p99_ms = at(0.99);
  level.max_ms = latencies.back();
  return level;
}

std::vector<int> parse_levels(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 256;
  std::vector<int> levels = {1, 8, 32};
  std::string naos = NAOS_BENCH_NAOS, sqlite3 = "/usr/bin/sqlite3", agent = NAOS_BENCH_AGENT;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--runs") {
      runs = std::atoi(value().c_str());
    } else if (arg == "--levels") {
      levels = parse_levels(value());
    } else if (arg == "--naos") {
      naos = value();
    } else if (arg == "--sqlite3") {
      sqlite3 = value();
    } else if (arg == "--json") {
      json = true;
    } else {
      die("unknown argument " + arg);
    }
  }
  if (runs < 1 || levels.empty()) die("--runs and --levels must be positive");
  if (access(naos.c_str(), X_OK) != 0) die("no naos binary at " + naos + " (--naos PATH)");
  if (access(sqlite3.c_str(), X_OK) != 0) die("no sqlite3 at " + sqlite3 + " (apt-get install sqlite3, or --sqlite3)");
  if (!std::filesystem::exists(agent)) die("no agent at " + agent);

  ScratchDir scratch;
  // The projects' evidence (governance/evidence.h) in the scratch folder,
  // removed with it, not in the home of whoever runs the bench.
  setenv("NAOS_STATE_DIR", (scratch.path / "state").c_str(), 1);
  std::vector<Level> results;
  for (size_t index = 0; index < levels.size(); ++index) {
    int processes = levels[index];
    // A fresh project and a fresh peer database per level, so each level
    // starts from the same size of log and table.
    auto project = scratch.path / ("project-" + std::to_string(processes));
    std::filesystem::create_directories(project);
    std::ofstream(project / "nexus.config.yaml") << "name: bench\nagents:\n  trivial:\n    source: " << agent << "\n";
    // One run first: creates the database and compiles the module into the cache.
    if (spawn_and_wait({naos, "run", "trivial"}, project, scratch.path / "warmup") != 0) {
      die("naos run trivial failed: " + slurp(scratch.path / "warmup"));
    }
    auto db = scratch.path / ("peer-" + std::to_string(processes) + ".db");
    if (spawn_and_wait({sqlite3, db.string(),
                        "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, stream INTEGER, at INTEGER);"},
                       scratch.path, scratch.path / "warmup") != 0) {
      die("sqlite3 could not create the peer database: " + slurp(scratch.path / "warmup"));
    }
    // The peer's durability is naos's (store/database.cc): WAL (kept by
    // the file), synchronous=FULL and a busy timeout as long as naos's wait.
    auto peer = [&](int i) {
      return std::vector<std::string>{sqlite3, "-cmd", ".timeout 600000", "-cmd", "PRAGMA synchronous=FULL;",
                                      db.string(),
                                      "INSERT INTO t(stream, at) VALUES (" + std::to_string(i) + ", strftime('%s', 'now'));"};
    };
    auto run = [&](int) { return std::vector<std::string>{naos, "run", "trivial"}; };
    // Alternate which side goes first, so drift on the machine hits both.
    if (index % 2 == 0) {
      results.push_back(measure("naos", processes, runs, project, scratch.path, run));
      results.push_back(measure("sqlite3", processes, runs, project, scratch.path, peer));
    } else {
      Level first = measure("sqlite3", processes, runs, project, scratch.path, peer);
      results.push_back(measure("naos", processes, runs, project, scratch.path, run));
      results.push_back(first);
    }
  }

  bool pass = true;
  nlohmann::json out = nlohmann::json::array();
  if (!json) {
    std::printf("%-8s %5s %6s %9s %9s %9s %9s %7s\n", "side", "procs", "runs", "runs/s", "p50 ms", "p99 ms", "max ms",
                "errors");
  }
  for (size_t i = 0; i + 1 < results.size(); i += 2) {
    const Level& n = results[i];
    const Level& s = results[i + 1];
    double ratio = n.per_second / s.per_second;
    bool level_pass = n.errors == 0 && s.errors == 0 && ratio >= 0.5;
    if (n.processes == levels.back()) pass = level_pass;
    for (const Level* l : {&n, &s}) {
      if (json) {
        out.push_back({{"side", l->side},
                       {"processes", l->processes},
                       {"runs", l->runs},
                       {"seconds", l->seconds},
                       {"per_second", l->per_second},
                       {"p50_ms", l->p50_ms},
                       {"p99_ms", l->p99_ms},
                       {"max_ms", l->max_ms},
                       {"errors", l->errors},
                       {"locked", l->locked}});
      } else {
        std::printf("%-8s %5d %6d %9.1f %9.1f %9.1f %9.1f %7d\n", l->side.c_str(), l->processes, l->runs,
                    l->per_second, l->p50_ms, l->p99_ms, l->max_ms, l->errors);
        if (!l->first_error.empty()) std::printf("  first error: %s\n", l->first_error.c_str());
      }
    }
    if (!json) std::printf("  %d processes: naos/sqlite3 = %.2fx\n", n.processes, ratio);
  }
  if (json) {
    std::printf("%s\n", nlohmann::json{{"levels", out}, {"pass", pass}}.dump(2).c_str());
  } else {
    std::printf("%s: at %d processes naos reaches %s half the sqlite3 peer's rate with zero errors\n",
                pass ? "PASS" : "FAIL", levels.back(), pass ? "at least" : "NOT");
  }
  return 0;
}
