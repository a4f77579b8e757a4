// bench_workflow_steps — durable workflow steps per second, fsync on
// (store::Database: WAL, synchronous=FULL), through the real stack: a project
// in a temporary directory with a real nexus.config.yaml, naos::Naos opened on
// it, and workflows of real agents (tests/agents/actor.wasm as `ok-*`, which
// output their input + ">" + name) driven from many threads at once. A step
// counts when its step.completed entry is durable, which the orchestrator
// waits for before the next step starts (orchestration/orchestrator.h).
//
// Target (from the issue): 10,000 steps/s on the machine it runs on. The
// program prints PASS or FAIL and exits 0 either way: it is a measurement. It
// exits non-zero when setup fails, a run does not complete with the expected
// output, or the journal does not hold one step.completed per step.
//
// Variants, in one process, on one disk:
//   workflow        Naos::orchestrator()->run_workflow from --threads threads,
//                   --runs runs of a --steps-step workflow. The headline, and
//                   what PASS/FAIL is about.
//   workflow timed  the same, through an Orchestrator on Naos's config,
//                   journal and audit log, like the one Naos::open makes (less
//                   its pool runner: these workflows have no pool steps), whose
//                   StepRunner forwards to Naos::step_runner() and reads the
//                   clock around each step. Gives the per-step latency and
//                   where it goes.
//   agent runs      the agent runs alone: Naos::step_runner().run() from the
//                   same threads, with no journal (the ceiling the agents set).
//   journal         the journal writes alone: per run create_run, per step
//                   step.started (queued) and step.completed (durable), then
//                   update_run, from the same threads, with no agents (the
//                   ceiling group commit sets).
//   raw 1/txn       one thread: BEGIN, one INSERT into orch_journal, COMMIT per
//                   step, on a fresh database: what one fsync per step costs
//                   without group commit.
//
// The agents are registered first (`naos create --from-config`), as a
// project's agents usually are, so every step also goes through the registry
// lifecycle (core/naos.cc begin_run/end_run); --unregistered leaves that out.
// CPU time per step (user + system, every thread of the process) is printed
// beside each variant: on a 2-core machine 10,000 steps/s needs it under
// 200 us.
//
// Per-step latency (workflow timed): from the start of a step's agent run to
// the start of the next step's, so it holds the step's durable journaling; the
// last step's ends when run_workflow returns (it holds the run's finish).
//
// Usage: bench_workflow_steps [--threads N] [--runs N] [--steps N] [--raw-steps N]
//                             [--unregistered] [--dir PATH] [--only NAME] [--json]
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "core/naos.h"
#include "orchestration/journal.h"
#include "orchestration/orchestrator.h"
#include "project/project.h"
#include "store/database.h"

namespace {

namespace fs = std::filesystem;
namespace orch = naos::orchestration;
using Steady = std::chrono::steady_clock;

constexpr double kTargetStepsPerSecond = 10'000;
constexpr const char* kWorkflow = "steps";

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_workflow_steps: %s\n", message.c_str());
  std::exit(1);
}

double us_between(Steady::time_point a, Steady::time_point b) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) / 1000.0;
}

// A fresh directory under `parent`, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const fs::path& parent) {
    std::string pattern = (parent / "naos-bench-workflow-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("cannot create a temporary directory under " + parent.string());
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Stats {
  double mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
};

Stats summarize(std::vector<double> samples_us) {
  Stats s;
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  double sum = 0;
  for (double v : samples_us) sum += v;
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_us.size()))) - 1;
    return samples_us[std::min(i, samples_us.size() - 1)];
  };
  s.mean_us = sum / static_cast<double>(samples_us.size());
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.max_us = samples_us.back();
  return s;
}

struct Measurement {
  std::string name;
  std::string description;
  int64_t steps = 0;  // durable steps (agent runs for `agent runs`)
  double seconds = 0;
  double steps_per_s = 0;
  std::string latency_label;  // what `latency` measures
  Stats latency;
  double cpu_seconds = 0;  // user + system time of the whole process meanwhile (every thread)
};

Measurement finish(std::string name, std::string description, int64_t steps, double seconds, std::string label,
                   std::vector<double> latencies_us) {
  Measurement m{std::move(name), std::move(description), steps, seconds, 0, std::move(label),
                summarize(std::move(latencies_us))};
  m.steps_per_s = seconds > 0 ? static_cast<double>(steps) / seconds : 0;
  return m;
}

// ---------------------------------------------------------------------------
// The project

struct Options {
  int threads = 256;  // durable steps/s = workflows in flight / a step's durable latency
  int64_t runs = 2048;
  int steps = 10;
  int64_t raw_steps = 1000;
  bool registered = true;
  fs::path parent = fs::temp_directory_path();
  std::string only;
  bool json = false;
};

std::string agent_name(int step) { return "ok-s" + std::to_string(step + 1); }

void write_project(const fs::path& root, const Options& options) {
  std::string config = "name: bench-workflow\nagents:\n";
  for (int i = 0; i < options.steps; ++i) {
    config += "  " + agent_name(i) + ": { source: " + std::string(NAOS_BENCH_ACTOR) + ", capabilities: { kv: true } }\n";
  }
  config += std::string("workflows:\n  ") + kWorkflow + ":\n    steps:\n";
  for (int i = 0; i < options.steps; ++i) {
    config += "      - { name: s" + std::to_string(i + 1) + ", agent: " + agent_name(i) + " }\n";
  }
  std::ofstream(root / "nexus.config.yaml") << config;
}

std::string expected_output(const std::string& input, int steps) {
  std::string out = input;
  for (int i = 0; i < steps; ++i) out += ">" + agent_name(i);
  return out;
}

// User + system CPU time of this process so far, every thread.
double cpu_seconds_now() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Runs `run(index)` for index 0..count-1 on `threads` threads, all released at once.
template <typename Run>
double run_on_threads(int threads, int64_t count, Run run) {
  std::atomic<int64_t> next{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int64_t i; (i = next.fetch_add(1)) < count;) run(t, i);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  auto start = Steady::now();
  go.store(true, std::memory_order_release);
  for (auto& worker : workers) worker.join();
  return us_between(start, Steady::now()) / 1e6;
}

void check_run(const naos::Result<orch::RunResult>& result, const std::string& input, int steps) {
  if (!result) die("run_workflow: " + result.error().to_string());
  if (result->state != orch::state::kCompleted) die("run " + result->run_id + " ended " + result->state + ": " +
                                                    result->error);
  if (result->output != expected_output(input, steps)) {
    die("run " + result->run_id + " output \"" + result->output + "\", expected \"" + expected_output(input, steps) +
        "\"");
  }
}

// ---------------------------------------------------------------------------
// workflow: through Naos::orchestrator()

Measurement run_workflows(naos::Naos& naos, const Options& options, const std::string& tag) {
  std::vector<std::vector<double>> latencies(static_cast<size_t>(options.threads));
  double seconds = run_on_threads(options.threads, options.runs, [&](int thread, int64_t i) {
    std::string input = tag + std::to_string(i);
    auto t0 = Steady::now();
    auto result = naos.orchestrator()->run_workflow(kWorkflow, input);
    auto t1 = Steady::now();
    check_run(result, input, options.steps);
    latencies[static_cast<size_t>(thread)].push_back(us_between(t0, t1) / options.steps);
  });
  std::vector<double> merged;
  for (auto& l : latencies) merged.insert(merged.end(), l.begin(), l.end());
  return finish("workflow", std::to_string(options.threads) + " threads x Naos::orchestrator()->run_workflow",
                options.runs * options.steps, seconds, "a run's time / its steps", std::move(merged));
}

// ---------------------------------------------------------------------------
// workflow timed: the same wiring, with the clock read around each step

// Where one run's time went, per step, read on the thread that drives it
// (the orchestrator runs a workflow's steps on the calling thread).
struct RunTrace {
  std::vector<std::pair<Steady::time_point, Steady::time_point>> steps;  // agent run: call, return
};
thread_local RunTrace* current_trace = nullptr;

class TimingRunner final : public orch::StepRunner {
 public:
  explicit TimingRunner(orch::StepRunner& inner) : inner_(inner) {}
  orch::StepResult run(const orch::StepCall& call) override {
    auto t0 = Steady::now();
    auto result = inner_.run(call);
    if (current_trace) current_trace->steps.emplace_back(t0, Steady::now());
    return result;
  }

 private:
  orch::StepRunner& inner_;
};

struct Breakdown {
  Stats agent_run, between_steps, run_start, run_end;
};

Measurement run_timed_workflows(naos::Naos& naos, const Options& options, Breakdown& breakdown) {
  TimingRunner runner(naos.step_runner());
  orch::SystemWaiter waiter;
  orch::Orchestrator orchestrator(naos.project()->config(), *naos.journal(), runner, naos.audit(), waiter);
  struct PerThread {
    std::vector<double> step, agent, between, start, end;
  };
  std::vector<PerThread> per(static_cast<size_t>(options.threads));
  double seconds = run_on_threads(options.threads, options.runs, [&](int thread, int64_t i) {
    std::string input = "t" + std::to_string(i);
    RunTrace trace;
    current_trace = &trace;
    auto t0 = Steady::now();
    auto result = orchestrator.run_workflow(kWorkflow, input);
    auto t1 = Steady::now();
    current_trace = nullptr;
    check_run(result, input, options.steps);
    if (trace.steps.size() != static_cast<size_t>(options.steps)) die("a timed run did not run every step once");
    PerThread& mine = per[static_cast<size_t>(thread)];
    mine.start.push_back(us_between(t0, trace.steps.front().first));
    for (size_t k = 0; k < trace.steps.size(); ++k) {
      auto next = k + 1 < trace.steps.size() ? trace.steps[k + 1].first : t1;
      mine.step.push_back(us_between(trace.steps[k].first, next));
      mine.agent.push_back(us_between(trace.steps[k].first, trace.steps[k].second));
      if (k + 1 < trace.steps.size()) mine.between.push_back(us_between(trace.steps[k].second, next));
    }
    mine.end.push_back(us_between(trace.steps.back().second, t1));
  });
  auto merge = [&](std::vector<double> PerThread::*field) {
    std::vector<double> all;
    for (auto& p : per) all.insert(all.end(), (p.*field).begin(), (p.*field).end());
    return all;
  };
  breakdown.agent_run = summarize(merge(&PerThread::agent));
  breakdown.between_steps = summarize(merge(&PerThread::between));
  breakdown.run_start = summarize(merge(&PerThread::start));
  breakdown.run_end = summarize(merge(&PerThread::end));
  return finish("workflow timed", std::to_string(options.threads) + " threads, same wiring + a clock per step",
                options.runs * options.steps, seconds, "one step (agent run + its journaling)",
                merge(&PerThread::step));
}

// ---------------------------------------------------------------------------
// agent runs: the agents alone, as the orchestrator calls them

Measurement run_agents(naos::Naos& naos, const Options& options) {
  std::vector<std::vector<double>> latencies(static_cast<size_t>(options.threads));
  int64_t count = options.runs * options.steps;
  double seconds = run_on_threads(options.threads, count, [&](int thread, int64_t i) {
    int step = static_cast<int>(i % options.steps);
    orch::StepCall call{agent_name(step), "a" + std::to_string(i), std::nullopt, "bench/" + std::to_string(i),
                        std::string("workflow:") + kWorkflow, nullptr};
    auto t0 = Steady::now();
    auto result = naos.step_runner().run(call);
    latencies[static_cast<size_t>(thread)].push_back(us_between(t0, Steady::now()));
    if (!result.ok) die("agent run: " + result.error + ": " + result.message);
    if (result.output != call.input + ">" + call.agent) die("agent run: unexpected output " + result.output);
  });
  std::vector<double> merged;
  for (auto& l : latencies) merged.insert(merged.end(), l.begin(), l.end());
  return finish("agent runs", std::to_string(options.threads) + " threads x Naos::step_runner().run, no journal", count,
                seconds, "one agent run", std::move(merged));
}

// ---------------------------------------------------------------------------
// journal: the journal writes of a workflow run, without agents

Measurement run_journal(naos::Naos& naos, const Options& options) {
  orch::Journal& journal = *naos.journal();
  std::vector<std::vector<double>> latencies(static_cast<size_t>(options.threads));
  std::string owner = orch::Journal::this_process();
  double seconds = run_on_threads(options.threads, options.runs, [&](int thread, int64_t i) {
    orch::RunRecord run;
    run.id = orch::new_run_id("workflow", "journal-only");
    run.kind = "workflow";
    run.name = "journal-only";
    run.state = orch::state::kRunning;
    run.input = "j" + std::to_string(i);
    run.owner = owner;
    if (auto created = journal.create_run(run); !created) die("create_run: " + created.error().to_string());
    std::string current = run.input;
    for (int k = 0; k < options.steps; ++k) {
      auto t0 = Steady::now();
      std::string name = "s" + std::to_string(k + 1);
      journal.append({0, run.id, k, name, orch::entry::kStepStarted, 1, {{"input", current}}, 0}, orch::Wait::kQueued)
          .ignore_error();
      std::string output = current + ">" + agent_name(k);
      auto written = journal.append(
          {0, run.id, k, name, orch::entry::kStepCompleted, 1, {{"input", current}, {"output", output}}, 0});
      if (!written) die("append: " + written.error().to_string());
      latencies[static_cast<size_t>(thread)].push_back(us_between(t0, Steady::now()));
      current = std::move(output);
    }
    if (auto done = journal.update_run(run.id, orch::state::kCompleted, current, "", ""); !done) {
      die("update_run: " + done.error().to_string());
    }
  });
  std::vector<double> merged;
  for (auto& l : latencies) merged.insert(merged.end(), l.begin(), l.end());
  return finish("journal", std::to_string(options.threads) + " threads x Journal writes of a run, no agents",
                options.runs * options.steps, seconds, "started (queued) + completed (durable)", std::move(merged));
}

// ---------------------------------------------------------------------------
// raw 1/txn: one durable transaction per step, no group commit

Measurement run_raw(const fs::path& parent, const Options& options) {
  TempDir dir(parent);
  auto db = naos::store::Database::open(dir.path() / "nexus.db");
  if (!db) die("Database::open: " + db.error().to_string());
  auto insert = (*db)->prepare(
      "INSERT INTO orch_journal(run_id, step, step_name, event, attempt, data, ts_ms) "
      "VALUES (?1, ?2, ?3, 'step.completed', 1, ?4, ?5)");
  if (!insert) die("prepare: " + insert.error().to_string());
  naos::SystemClock clock;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(options.raw_steps));
  std::string run_id = orch::new_run_id("workflow", "raw");
  auto start = Steady::now();
  for (int64_t i = 0; i < options.raw_steps; ++i) {
    auto t0 = Steady::now();
    auto transaction = (*db)->begin();
    if (!transaction) die("BEGIN: " + transaction.error().to_string());
    int k = static_cast<int>(i % options.steps);
    nlohmann::json data = {{"input", "r" + std::to_string(i)}, {"output", "r" + std::to_string(i) + ">" + agent_name(k)}};
    insert->reset();
    insert->bind(1, run_id).bind(2, int64_t{k}).bind(3, "s" + std::to_string(k + 1)).bind(4, data.dump());
    insert->bind(5, clock.now_ms());
    if (auto status = insert->run(); !status) die("INSERT: " + status.error().to_string());
    if (auto status = transaction->commit(); !status) die("COMMIT: " + status.error().to_string());
    latencies.push_back(us_between(t0, Steady::now()));
  }
  double seconds = us_between(start, Steady::now()) / 1e6;
  return finish("raw 1/txn", "1 thread, BEGIN+INSERT+COMMIT per step", options.raw_steps, seconds,
                "one step's durable INSERT", std::move(latencies));
}

// ---------------------------------------------------------------------------

// Every timed workflow step is journaled exactly once as completed.
void check_journal(const fs::path& database_file, int64_t expected_runs, int steps) {
  auto db = naos::store::Database::open(database_file);
  if (!db) die("reopen for checking: " + db.error().to_string());
  auto count = [&](const std::string& sql) {
    auto stmt = (*db)->prepare(sql);
    if (!stmt) die("prepare: " + stmt.error().to_string());
    auto row = stmt->step();
    if (!row || !*row) die("count query failed");
    return stmt->column_int64(0);
  };
  std::string runs = "(SELECT id FROM orch_runs WHERE kind = 'workflow' AND name = '" + std::string(kWorkflow) + "')";
  int64_t completed_runs = count("SELECT count(*) FROM orch_runs WHERE kind = 'workflow' AND name = '" +
                                 std::string(kWorkflow) + "' AND state = 'completed'");
  int64_t completed_steps =
      count("SELECT count(*) FROM orch_journal WHERE event = 'step.completed' AND run_id IN " + runs);
  int64_t distinct_steps = count("SELECT count(*) FROM (SELECT DISTINCT run_id, step FROM orch_journal WHERE event = "
                                 "'step.completed' AND run_id IN " + runs + ")");
  if (completed_runs != expected_runs || completed_steps != expected_runs * steps || distinct_steps != completed_steps) {
    die("the journal does not match the runs: " + std::to_string(completed_runs) + " completed runs (expected " +
        std::to_string(expected_runs) + "), " + std::to_string(completed_steps) + " step.completed entries (" +
        std::to_string(distinct_steps) + " distinct; expected " + std::to_string(expected_runs * steps) + ")");
  }
}

int64_t parse_count(const char* flag, const char* value, int64_t min) {
  if (value == nullptr) die(std::string(flag) + " needs a value");
  char* end = nullptr;
  long long n = std::strtoll(value, &end, 10);
  if (*end != '\0' || n < min || n > 100'000'000) die(std::string("bad value for ") + flag + ": " + value);
  return n;
}

void usage() {
  std::printf(
      "usage: bench_workflow_steps [--threads N] [--runs N] [--steps N] [--raw-steps N]\n"
      "                            [--unregistered] [--dir PATH] [--only NAME] [--json]\n"
      "  --threads       threads driving workflows at once (default 256)\n"
      "  --runs          workflow runs per variant (default 2048)\n"
      "  --steps         steps per workflow (default 10)\n"
      "  --raw-steps     steps for the raw SQLite peer, one transaction each (default 1000)\n"
      "  --unregistered  do not register the agents (`naos create --from-config`): runs\n"
      "                  then skip the registry's lifecycle writes\n"
      "  --dir           where the temporary project goes (default: the system temp dir)\n"
      "  --only NAME     run one variant (workflow, workflow-timed, agent-runs, journal,\n"
      "                  raw); prints no PASS/FAIL unless it is workflow\n"
      "  --json          print the results as JSON\n");
}

nlohmann::json stats_json(const Stats& s) {
  return {{"mean", s.mean_us}, {"p50", s.p50_us}, {"p99", s.p99_us}, {"max", s.max_us}};
}

nlohmann::json to_json(const Measurement& m) {
  return {{"name", m.name},          {"description", m.description}, {"steps", m.steps},
          {"seconds", m.seconds},    {"steps_per_s", m.steps_per_s},  {"latency_of", m.latency_label},
          {"latency_us", stats_json(m.latency)}, {"cpu_seconds", m.cpu_seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  // As naos's main() does: Wasmtime captures a Rust backtrace for every
  // error (each agent's proc_exit is one) when RUST_BACKTRACE is set.
  setenv("RUST_LIB_BACKTRACE", "0", 0);
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--threads") options.threads = static_cast<int>(parse_count("--threads", next(), 1));
    else if (arg == "--runs") options.runs = parse_count("--runs", next(), 1);
    else if (arg == "--steps") options.steps = static_cast<int>(parse_count("--steps", next(), 1));
    else if (arg == "--raw-steps") options.raw_steps = parse_count("--raw-steps", next(), 1);
    else if (arg == "--unregistered") options.registered = false;
    else if (arg == "--dir") {
      const char* value = next();
      if (value == nullptr) die("--dir needs a value");
      options.parent = value;
    } else if (arg == "--only") {
      const char* value = next();
      if (value == nullptr) die("--only needs a value");
      options.only = value;
    } else if (arg == "--json") options.json = true;
    else if (arg == "-h" || arg == "--help") { usage(); return 0; }
    else { usage(); die("unknown argument " + arg); }
  }
  const std::vector<std::string> variants = {"workflow", "workflow-timed", "agent-runs", "journal", "raw"};
  if (!options.only.empty() && std::find(variants.begin(), variants.end(), options.only) == variants.end()) {
    usage();
    die("bad value for --only: " + options.only);
  }
  std::error_code ec;
  if (!fs::is_directory(options.parent, ec)) die(options.parent.string() + " is not a directory");
  auto wanted = [&](const char* name) { return options.only.empty() || options.only == name; };
  auto say = [&](const std::string& line) {
    if (options.json) return;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };

  TempDir dir(options.parent);
  write_project(dir.path(), options);
  auto project = naos::project::Project::open(dir.path());
  if (!project) die("Project::open: " + project.error().to_string());
  fs::path database_file = project->database_file();
  naos::SystemClock clock;
  auto opened = naos::Naos::open(std::move(*project), clock,
                                 // The project's evidence (governance/evidence.h) in its own folder.
                                 [state = (dir.path() / ".naos-state").string()](const std::string& name)
                                     -> std::optional<std::string> {
                                   if (name == "NAOS_STATE_DIR") return state;
                                   return std::nullopt;
                                 });
  if (!opened) die("Naos::open: " + opened.error().to_string());
  std::unique_ptr<naos::Naos> naos = std::move(*opened);
  if (options.registered) {
    auto created = naos->create_from_config("bench");
    if (!created) die("create_from_config: " + created.error().to_string());
  }
  say("bench_workflow_steps: " + std::to_string(options.runs) + " runs x " + std::to_string(options.steps) +
      " steps per variant, " + std::to_string(options.threads) + " threads, agents " +
      (options.registered ? "registered" : "unregistered") + ", in " + options.parent.string() + ", " +
      std::to_string(std::thread::hardware_concurrency()) + " hardware threads");
  // Untimed: one run compiles actor.wasm into the module cache (alone: runs
  // that all miss the cache at once would each compile it), then a round on
  // every thread grows the database and the engine's pool.
  {
    Options warm = options;
    warm.threads = 1;
    warm.runs = 1;
    run_workflows(*naos, warm, "first");
    warm.threads = options.threads;
    warm.runs = options.threads;
    run_workflows(*naos, warm, "warm");
  }
  int64_t timed_runs = 1 + options.threads;  // the warmup's

  std::vector<Measurement> results;
  Breakdown breakdown;
  auto measured = [](auto variant) {
    double before = cpu_seconds_now();
    Measurement m = variant();
    m.cpu_seconds = cpu_seconds_now() - before;
    return m;
  };
  if (wanted("workflow")) {
    say("running workflow ...");
    results.push_back(measured([&] { return run_workflows(*naos, options, "w"); }));
    timed_runs += options.runs;
  }
  if (wanted("workflow-timed")) {
    say("running workflow timed ...");
    results.push_back(measured([&] { return run_timed_workflows(*naos, options, breakdown); }));
    timed_runs += options.runs;
  }
  if (wanted("agent-runs")) {
    say("running agent runs ...");
    results.push_back(measured([&] { return run_agents(*naos, options); }));
  }
  if (wanted("journal")) {
    say("running journal ...");
    results.push_back(measured([&] { return run_journal(*naos, options); }));
  }
  if (wanted("raw")) {
    say("running raw SQLite, 1 step per transaction ...");
    results.push_back(measured([&] { return run_raw(options.parent, options); }));
  }
  naos.reset();  // commits and closes everything before the check reads the file
  check_journal(database_file, timed_runs, options.steps);
  say("");

  const Measurement* headline = nullptr;
  for (const auto& m : results) {
    if (m.name == "workflow") headline = &m;
  }
  bool pass = headline && headline->steps_per_s >= kTargetStepsPerSecond;
  bool timed = wanted("workflow-timed");

  if (options.json) {
    nlohmann::json out = {{"benchmark", "workflow_steps"},
                          {"dir", options.parent.string()},
                          {"hardware_threads", std::thread::hardware_concurrency()},
                          {"threads", options.threads},
                          {"runs", options.runs},
                          {"steps", options.steps},
                          {"registered", options.registered},
                          {"results", nlohmann::json::array()},
                          {"target_steps_per_s_min", kTargetStepsPerSecond}};
    for (const auto& m : results) out["results"].push_back(to_json(m));
    if (timed) {
      out["breakdown_us"] = {{"agent_run", stats_json(breakdown.agent_run)},
                             {"between_steps", stats_json(breakdown.between_steps)},
                             {"run_start", stats_json(breakdown.run_start)},
                             {"run_end", stats_json(breakdown.run_end)}};
    }
    if (headline) out["pass"] = pass;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  std::printf("%-15s %-58s %7s %7s %9s %9s %9s %8s  %s\n", "", "", "steps", "seconds", "steps/s", "p50 us", "p99 us",
              "cpu us", "latency of");
  for (const auto& m : results) {
    std::printf("%-15s %-58s %7lld %7.2f %9.0f %9.0f %9.0f %8.0f  %s\n", m.name.c_str(), m.description.c_str(),
                static_cast<long long>(m.steps), m.seconds, m.steps_per_s, m.latency.p50_us, m.latency.p99_us,
                m.steps > 0 ? m.cpu_seconds * 1e6 / static_cast<double>(m.steps) : 0.0, m.latency_label.c_str());
  }
  std::printf("(cpu us = user + system CPU time of the process per step, every thread)\n");
  if (timed) {
    std::printf("\nwhere a timed workflow's time goes (us, per occurrence, on the thread that drives it):\n");
    auto row = [](const char* what, const Stats& s) {
      std::printf("  %-58s mean %8.0f  p50 %8.0f  p99 %8.0f\n", what, s.mean_us, s.p50_us, s.p99_us);
    };
    row("agent run (Naos::run via the step runner), per step", breakdown.agent_run);
    row("between steps (step.completed durable, next step.started)", breakdown.between_steps);
    row("run start (create_run durable, until the first step)", breakdown.run_start);
    row("run end (last step.completed + finish, durable)", breakdown.run_end);
  }
  std::printf("\njournal checked: every timed run completed, one step.completed per step\n");
  if (headline) {
    std::printf("\n%s: durable workflow steps >= %.0f/s (workflow: %.0f steps/s, %d threads", pass ? "PASS" : "FAIL",
                kTargetStepsPerSecond, headline->steps_per_s, options.threads);
    for (const auto& m : results) {
      if (m.name == "workflow timed") std::printf("; per step p50 %.0f us, p99 %.0f us", m.latency.p50_us, m.latency.p99_us);
    }
    std::printf(")\n");
  }
  return 0;
}
