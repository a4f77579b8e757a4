// bench_budget_reserve: what a budget costs a priced call.
//
// A priced call is BudgetEnforcer::reserve then Reservation::settle. Without
// a budget, reserve writes nothing and settle writes one durable ledger row.
// With one, reserve also inserts a reservation row (committed without an
// fsync) in a write transaction that reads the ledger and every process's
// reservations, and settle deletes the row in its own durable transaction.
// This measures priced calls per second and their p50/p99 latency, both ways,
// at 1 and 16 threads in one process, and with the budget at 4 processes x 4
// threads on one database (forked before any thread starts).
//
// Target: with a budget, calls/s at least **half** of the same calls without
// one, at every concurrency (the reservation is one more transaction and
// every call pays an fsync either way). Prints PASS or FAIL; exits 0 either
// way: it is a measurement.
//
// Usage: bench_budget_reserve [--calls N] [--dir PATH] [--json]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "governance/budget.h"

namespace {

using Clock = std::chrono::steady_clock;
using naos::governance::BudgetEnforcer;

struct Result {
  std::string name;
  int processes = 1, threads = 1;
  int64_t calls = 0;
  double seconds = 0, calls_per_second = 0, p50_us = 0, p99_us = 0;
};

naos::project::CostConfig config(bool with_budget) {
  naos::project::CostConfig out;
  // Large enough never to refuse: this measures admission, not refusal.
  if (with_budget) out.budgets["bot"] = {"bot", naos::project::kMaxCents / 2, naos::project::BudgetPeriod::kDay,
                                         naos::project::OnExceed::kPause, 0};
  return out;
}

// `threads` threads each make `calls` priced calls; returns their latencies (µs).
std::vector<double> drive(BudgetEnforcer& budget, int threads, int64_t calls) {
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  std::atomic<bool> failed{false};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t i = 0; i < calls; ++i) {
        auto start = Clock::now();
        auto reservation = budget.reserve("bot", 100);
        auto settled = reservation ? reservation->settle(100, "agent", "bench") : naos::Status(reservation.error());
        if (!settled) {
          std::fprintf(stderr, "bench_budget_reserve: %s\n", settled.error().to_string().c_str());
          failed = true;
          return;
        }
        latencies[static_cast<size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
    });
  }
  for (auto& w : workers) w.join();
  if (failed) {
    std::fprintf(stderr, "bench_budget_reserve: a priced call failed\n");
    std::exit(1);
  }
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return all;
}

std::unique_ptr<BudgetEnforcer> open(const std::filesystem::path& db, bool with_budget, naos::SystemClock& clock) {
  auto budget = BudgetEnforcer::open(db, nullptr, clock, config(with_budget));
  if (!budget) {
    std::fprintf(stderr, "bench_budget_reserve: %s\n", budget.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*budget);
}

Result summarize(std::string name, int processes, int threads, std::vector<double> latencies, double seconds) {
  Result r{std::move(name), processes, threads, static_cast<int64_t>(latencies.size()), seconds};
  std::sort(latencies.begin(), latencies.end());
  r.calls_per_second = static_cast<double>(r.calls) / seconds;
  if (!latencies.empty()) {
    r.p50_us = latencies[latencies.size() / 2];
    r.p99_us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  return r;
}

Result in_process(const std::filesystem::path& dir, bool with_budget, int threads, int64_t calls) {
  std::string name = std::string(with_budget ? "budget" : "no-budget") + " " + std::to_string(threads) + "t";
  std::filesystem::path db = dir / (name + ".db");
  std::replace(name.begin(), name.end(), ' ', '-');
  naos::SystemClock clock;
  auto budget = open(db, with_budget, clock);
  drive(*budget, threads, std::max<int64_t>(1, calls / 20));  // warm up: statements, pages
  auto start = Clock::now();
  auto latencies = drive(*budget, threads, calls);
  return summarize(name, 1, threads, std::move(latencies),
                   std::chrono::duration<double>(Clock::now() - start).count());
}

// `processes` forked processes x `threads` threads on one database. Children
// report their latencies through a pipe as raw doubles.
Result across_processes(const std::filesystem::path& dir, bool with_budget, int processes, int threads,
                        int64_t calls) {
  std::filesystem::path db = dir / (std::string(with_budget ? "budget" : "no-budget") + "-processes.db");
  {
    naos::SystemClock clock;
    open(db, with_budget, clock);  // created and migrated before the children race to open it
  }
  std::vector<std::pair<pid_t, int>> children;
  auto start = Clock::now();
  for (int p = 0; p < processes; ++p) {
    int fds[2];
    if (pipe(fds) != 0) std::exit(1);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      naos::SystemClock clock;
      auto budget = open(db, with_budget, clock);
      auto latencies = drive(*budget, threads, calls);
      const char* bytes = reinterpret_cast<const char*>(latencies.data());
      size_t left = latencies.size() * sizeof(double);
      while (left > 0) {
        ssize_t n = write(fds[1], bytes, left);
        if (n <= 0) _exit(1);
        bytes += n;
        left -= static_cast<size_t>(n);
      }
      _exit(0);
    }
    close(fds[1]);
    children.emplace_back(pid, fds[0]);
  }
  std::vector<double> all;
  for (auto& [pid, fd] : children) {
    std::vector<char> bytes;
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "bench_budget_reserve: a child process failed\n");
      std::exit(1);
    }
    size_t count = bytes.size() / sizeof(double);
    size_t old = all.size();
    all.resize(old + count);
    std::memcpy(all.data() + old, bytes.data(), count * sizeof(double));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::string name = std::string(with_budget ? "budget" : "no-budget") + "-" + std::to_string(processes) + "p" +
                     std::to_string(threads) + "t";
  return summarize(name, processes, threads, std::move(all), seconds);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t calls = 400;
  std::filesystem::path dir;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--calls" && i + 1 < argc) {
      calls = std::stoll(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "usage: bench_budget_reserve [--calls N per thread] [--dir PATH] [--json]\n");
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    char pattern[] = "/tmp/naos-bench-budget-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  std::filesystem::create_directories(dir);

  std::vector<std::pair<Result, Result>> pairs;  // (no budget, budget)
  for (int threads : {1, 16}) {
    pairs.emplace_back(in_process(dir, false, threads, calls), in_process(dir, true, threads, calls));
  }
  pairs.emplace_back(across_processes(dir, false, 4, 4, calls), across_processes(dir, true, 4, 4, calls));
  if (own_dir) std::filesystem::remove_all(dir);

  bool pass = true;
  nlohmann::json out = {{"benchmark", "budget_reserve"}, {"calls_per_thread", calls}, {"results", nlohmann::json::array()}};
  if (!json) {
    std::printf("%-18s %9s %8s %12s %10s %10s\n", "variant", "processes", "threads", "calls/s", "p50 µs", "p99 µs");
  }
  for (const auto& [plain, budgeted] : pairs) {
    double ratio = budgeted.calls_per_second / plain.calls_per_second;
    bool ok = ratio >= 0.5;
    pass = pass && ok;
    for (const Result* r : {&plain, &budgeted}) {
      if (json) {
        out["results"].push_back({{"variant", r->name}, {"processes", r->processes}, {"threads", r->threads},
                                  {"calls", r->calls}, {"calls_per_second", r->calls_per_second},
                                  {"p50_us", r->p50_us}, {"p99_us", r->p99_us}});
      } else {
        std::printf("%-18s %9d %8d %12.0f %10.0f %10.0f\n", r->name.c_str(), r->processes, r->threads,
                    r->calls_per_second, r->p50_us, r->p99_us);
      }
    }
    if (json) {
      out["results"].back()["ratio_to_no_budget"] = ratio;
    } else {
      std::printf("  with a budget: %.2fx the calls/s without one (target >= 0.5x): %s\n", ratio,
                  ok ? "PASS" : "FAIL");
    }
  }
  if (json) {
    out["pass"] = pass;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", pass ? "PASS" : "FAIL");
  }
  return 0;
}
