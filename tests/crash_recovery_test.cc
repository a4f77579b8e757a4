// kill -9 of the real `naos` binary at many points of durable workflows and
// sagas (orchestration/orchestrator.h), recovery with `naos workflow|saga
// resume` (or a fresh `run` when the kill came before the run existed), and
// the rules checked on what the processes left on disk:
//
//   workflow  ends `completed` with the chain of step outputs; every step has
//             exactly one step.completed and no attempt starts after it; the
//             recovering process runs exactly the steps that had not completed
//             at the kill, each once (counted in the audit log's agent.started,
//             which does not depend on the journal it checks).
//   saga      ends `completed` without compensating anything, or
//             `rolled_back` with every completed step that has a compensation
//             compensated exactly once, newest first; never half.
//   id        a killed `run --id X` is finished by the next start with that id
//             (one run, not two), and a third start returns the first result.
//   owner     a run driven by a live process cannot be resumed from another;
//             a killed driver, reaped or not, does not block the resume.
//
// Kill points: for each flow, a full run is timed first (the time until its
// run row exists and until it ends, and how many journal entries it writes).
// Then one kill after each journal entry becomes visible (so the kills land
// right after every durable transition: mid-step after each step.started, at
// each step boundary after each step.completed, in the rollback after each
// compensation entry), one as soon as the run row exists, and five after
// delays: 1 ms and half the time to the run row (before the run exists), and
// 30, 55 and 80% of the way through the steps (anywhere).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "governance/audit_log.h"
#include "orchestration/journal.h"
#include "orchestration/orchestrator.h"
#include "store/database.h"
#include "test_support.h"

namespace naos {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace en = orchestration::entry;
namespace st = orchestration::state;

constexpr auto kPollInterval = std::chrono::microseconds(200);
// No single wait in this file is near this; it only stops a hang.
constexpr auto kWatchdog = std::chrono::seconds(30);

// ---- flows -------------------------------------------------------------------

struct Step {
  std::string name;
  std::string agent;
  std::string compensate;  // empty: nothing to undo
};

struct Flow {
  std::string kind;  // workflow | saga
  std::string name;
  std::string input;
  std::vector<Step> steps;
  bool last_step_fails = false;  // the saga rolls back
};

// Every agent is actor.wasm (tests/agents/actor.c), its behaviour chosen by
// its name: slow20-* sleeps 20 ms then outputs input + ">" + name; crash20-*
// runs 20 ms then fails. Each flow has agents of its own, so the audit log's
// agent.started events say which flow ran what.
const Flow kWorkflow{"workflow",
                     "six",
                     "go",
                     {{"fetch", "slow20-fetch", ""},
                      {"parse", "slow20-parse", ""},
                      {"clean", "slow20-clean", ""},
                      {"enrich", "slow20-enrich", ""},
                      {"score", "slow20-score", ""},
                      {"store", "slow20-store", ""}},
                     false};
const Flow kRollbackSaga{"saga",
                         "rollback",
                         "order-7",
                         {{"reserve", "slow20-reserve", "slow20-release"},
                          {"notify", "slow20-notify", ""},
                          {"charge", "slow20-charge", "slow20-refund"},
                          {"ship", "crash20-ship", ""}},
                         true};
const Flow kCommitSaga{"saga",
                       "commit",
                       "order-8",
                       {{"hold", "slow20-hold", "slow20-unhold"},
                        {"bill", "slow20-bill", "slow20-unbill"},
                        {"pack", "slow20-pack", "slow20-unpack"},
                        {"send", "slow20-send", "slow20-unsend"}},
                       false};
// Gated steps (gate-*: wait for the file gate/open), for a run that is still
// being driven while another process tries it, however slow the machine.
const Flow kLongWorkflow{"workflow",
                         "long",
                         "go",
                         {{"one", "gate-l1", ""}, {"two", "gate-l2", ""}, {"three", "gate-l3", ""}},
                         false};
const Flow kLongSaga{"saga",
                     "long-saga",
                     "order-9",
                     {{"one", "gate-s1", "slow20-s1-undo"}, {"two", "gate-s2", "slow20-s2-undo"}},
                     false};

std::string project_config() {
  std::set<std::string> agents;
  for (const Flow* flow : {&kWorkflow, &kRollbackSaga, &kCommitSaga, &kLongWorkflow, &kLongSaga}) {
    for (const auto& step : flow->steps) {
      agents.insert(step.agent);
      if (!step.compensate.empty()) agents.insert(step.compensate);
    }
  }
  std::string text = "name: crash-recovery\nexecution:\n  timeout: 10s\nagents:\n";
  for (const auto& agent : agents) {
    // A gated agent waits as long as the test takes (its watchdog bounds it).
    std::string capabilities = "kv: true", execution;
    if (agent.starts_with("gate-")) {
      capabilities += ", filesystem: { read: [gate] }";
      execution = ", execution: { timeout: 10m }";
    }
    text += "  " + agent + ": { source: " + testing::agent_path("actor").string() + ", capabilities: { " +
            capabilities + " }" + execution + " }\n";
  }
  auto steps = [](const Flow& flow) {
    std::string out = "    steps:\n";
    for (const auto& step : flow.steps) {
      out += "      - { name: " + step.name + ", agent: " + step.agent;
      if (!step.compensate.empty()) out += ", compensate: " + step.compensate;
      out += " }\n";
    }
    return out;
  };
  text += "workflows:\n";
  for (const Flow* flow : {&kWorkflow, &kLongWorkflow}) text += "  " + flow->name + ":\n" + steps(*flow);
  text += "sagas:\n";
  for (const Flow* flow : {&kRollbackSaga, &kCommitSaga, &kLongSaga}) text += "  " + flow->name + ":\n" + steps(*flow);
  return text;
}

// What a run of `flow` that ends well outputs: a workflow chains its steps;
// every saga step gets the saga's input, and the saga outputs the last one's.
std::string expected_output(const Flow& flow) {
  if (flow.kind == "saga") return flow.input + ">" + flow.steps.back().agent;
  std::string out = flow.input;
  for (const auto& step : flow.steps) out += ">" + step.agent;
  return out;
}

std::string expected_state(const Flow& flow) { return flow.last_step_fails ? st::kRolledBack : st::kCompleted; }

// ---- a naos process that can be killed ----------------------------------------

// The real binary, started in the background with stdout and stderr in files.
// The destructor kills and reaps it if the test did not, so no test leaves a
// process behind.
class NaosProcess {
 public:
  NaosProcess(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
    // Everything is built before fork(): the child only calls async-signal-safe functions.
    std::vector<std::string> text = {NAOS_BINARY};
    text.insert(text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string out = (scratch_.path() / "out").string(), err = (scratch_.path() / "err").string();
    std::string dir = cwd.string();
    started_ = SteadyClock::now();
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(dir.c_str()) != 0) _exit(127);
      int in_fd = open("/dev/null", O_RDONLY);
      int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(127);
      dup2(in_fd, 0);
      dup2(out_fd, 1);
      dup2(err_fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~NaosProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  NaosProcess(const NaosProcess&) = delete;
  NaosProcess& operator=(const NaosProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  milliseconds age() const { return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started_); }

  // Whether it has ended by itself; reaps it when it has.
  bool ended() {
    if (reaped_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    reaped_ = true;
    status_ = status;
    return true;
  }
  // kill -9. The process is a zombie until reap().
  void kill_now() {
    if (!reaped_) ::kill(pid_, SIGKILL);
  }
  // Waits for it; true when a signal ended it.
  bool reap() {
    if (!reaped_) {
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    return WIFSIGNALED(status_);
  }
  int exit_status() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_); }
  std::string out() const { return testing::read_file(scratch_.path() / "out"); }
  std::string err() const { return testing::read_file(scratch_.path() / "err"); }

 private:
  testing::TempDir scratch_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  SteadyClock::time_point started_;
};

// ---- the durable state, read in this process ------------------------------------

struct Durable {
  std::optional<orchestration::RunRecord> run;
  std::vector<orchestration::Entry> entries;

  size_t count(int step, const std::string& event) const {
    size_t n = 0;
    for (const auto& e : entries) n += e.step == step && e.event == event;
    return n;
  }
};

std::string dump(const Durable& state) {
  std::ostringstream out;
  if (!state.run) return "(no run)\n";
  out << "run " << state.run->id << " state=" << state.run->state << " output=\"" << state.run->output
      << "\" error=\"" << state.run->error << "\"\n";
  for (const auto& e : state.entries) {
    out << "  #" << e.seq << " step " << e.step << " " << e.step_name << " " << e.event << " attempt " << e.attempt
        << " " << e.data.dump() << "\n";
  }
  return out.str();
}

// Reads the project's database beside the naos processes (WAL: a reader sees
// every committed transaction and never half of one).
class Probe {
 public:
  static std::unique_ptr<Probe> open(const std::filesystem::path& database_file) {
    auto probe = std::unique_ptr<Probe>(new Probe);
    auto journal = orchestration::Journal::open(database_file, probe->clock_);
    auto database = store::Database::open(database_file);
    if (!journal || !database) {
      ADD_FAILURE() << "cannot open " << database_file;
      return nullptr;
    }
    probe->journal_ = std::move(*journal);
    probe->database_ = std::move(*database);
    return probe;
  }

  Durable read(const std::string& run_id) {
    Durable state;
    auto run = journal_->find_run(run_id);
    EXPECT_TRUE(run) << run.error().to_string();
    if (!run || !*run) return state;
    state.run = std::move(**run);
    auto entries = journal_->entries(run_id);
    EXPECT_TRUE(entries) << entries.error().to_string();
    if (entries) state.entries = std::move(*entries);
    return state;
  }

  std::vector<orchestration::RunRecord> runs(const Flow& flow) {
    orchestration::RunFilter filter;
    filter.kind = flow.kind;
    filter.name = flow.name;
    auto runs = journal_->runs(filter);
    EXPECT_TRUE(runs) << runs.error().to_string();
    return runs ? std::move(*runs) : std::vector<orchestration::RunRecord>{};
  }

  int64_t last_audit_seq() {
    auto events = governance::query_audit(*database_, {.last = 1});
    EXPECT_TRUE(events) << events.error().to_string();
    return events && !events->empty() ? events->back().seq : 0;
  }

  // How often each of `flow`'s agents started after audit event `seq`.
  std::map<std::string, int> agents_started_after(int64_t seq, const Flow& flow) {
    std::set<std::string> mine;
    for (const auto& step : flow.steps) mine.insert({step.agent, step.compensate});
    std::map<std::string, int> started;
    auto events = governance::query_audit(*database_, {.action = governance::event::kAgentStarted, .after_seq = seq});
    EXPECT_TRUE(events) << events.error().to_string();
    if (!events) return started;
    for (const auto& e : *events) {
      if (mine.count(e.agent)) ++started[e.agent];
    }
    return started;
  }

 private:
  Probe() = default;
  SystemClock clock_;
  std::unique_ptr<orchestration::Journal> journal_;
  std::unique_ptr<store::Database> database_;
};

// ---- the rules ----------------------------------------------------------------

// Forward step `index` completed exactly once, and no attempt of it started afterwards.
void expect_completed_once(const Durable& state, int index) {
  std::vector<int64_t> completed;
  for (const auto& e : state.entries) {
    if (e.step == index && e.event == en::kStepCompleted) completed.push_back(e.seq);
  }
  ASSERT_EQ(completed.size(), 1u) << "step " << index << " completed " << completed.size() << " times\n"
                                  << dump(state);
  for (const auto& e : state.entries) {
    EXPECT_FALSE(e.step == index && e.event == en::kStepStarted && e.seq > completed[0])
        << "step " << index << " ran again after it completed (#" << e.seq << ")\n"
        << dump(state);
  }
}

void expect_workflow_rules(const Flow& flow, const Durable& state) {
  ASSERT_TRUE(state.run);
  EXPECT_EQ(state.run->state, st::kCompleted) << dump(state);
  EXPECT_EQ(state.run->output, expected_output(flow)) << dump(state);
  EXPECT_TRUE(state.run->owner.empty()) << "a finished run keeps owner " << state.run->owner;
  std::string previous = flow.input;
  for (size_t i = 0; i < flow.steps.size(); ++i) {
    int index = static_cast<int>(i);
    expect_completed_once(state, index);
    EXPECT_EQ(state.count(index, en::kStepFailed), 0u) << "a crash is not the step's failure\n" << dump(state);
    EXPECT_EQ(state.count(index, en::kStepSkipped), 0u) << dump(state);
    // Each step got the output its predecessor journaled.
    for (const auto& e : state.entries) {
      if (e.step != index || e.event != en::kStepCompleted) continue;
      EXPECT_EQ(e.data.value("input", ""), previous) << dump(state);
      previous = e.data.value("output", "");
    }
  }
}

void expect_saga_rules(const Flow& flow, const Durable& state) {
  ASSERT_TRUE(state.run);
  EXPECT_EQ(state.run->state, expected_state(flow)) << dump(state);
  EXPECT_TRUE(state.run->owner.empty()) << "a finished run keeps owner " << state.run->owner;
  if (!flow.last_step_fails) {
    EXPECT_EQ(state.run->output, expected_output(flow)) << dump(state);
  }
  size_t forward = flow.last_step_fails ? flow.steps.size() - 1 : flow.steps.size();
  for (size_t i = 0; i < forward; ++i) expect_completed_once(state, static_cast<int>(i));
  int64_t first_compensation = INT64_MAX;
  for (const auto& e : state.entries) {
    if (e.event.starts_with("compensation.")) first_compensation = std::min(first_compensation, e.seq);
  }
  if (flow.last_step_fails) {
    int last = static_cast<int>(flow.steps.size() - 1);
    EXPECT_EQ(state.count(last, en::kStepCompleted), 0u) << dump(state);
    ASSERT_EQ(state.count(last, en::kStepFailed), 1u) << "only the step itself fails, not the crash\n" << dump(state);
    for (const auto& e : state.entries) {
      if (e.step == last && e.event == en::kStepFailed) {
        EXPECT_TRUE(e.data.value("final", false)) << dump(state);
      }
      // The rollback began: nothing goes forward any more.
      EXPECT_FALSE(e.event.starts_with("step.") && e.seq > first_compensation)
          << "forward entry #" << e.seq << " after the rollback began\n"
          << dump(state);
    }
  }
  // Compensations: exactly once for every completed step that has one when
  // the saga rolls back, never otherwise; newest first.
  int64_t older_must_start_after = 0;
  for (int i = static_cast<int>(flow.steps.size()) - 1; i >= 0; --i) {
    const Step& step = flow.steps[i];
    bool undo = flow.last_step_fails && !step.compensate.empty() && state.count(i, en::kStepCompleted) == 1;
    if (!undo) {
      EXPECT_EQ(state.count(i, en::kCompensationStarted) + state.count(i, en::kCompensationCompleted) +
                    state.count(i, en::kCompensationFailed),
                0u)
          << "step " << step.name << " must not be compensated\n"
          << dump(state);
      continue;
    }
    ASSERT_EQ(state.count(i, en::kCompensationCompleted), 1u) << "step " << step.name << "\n" << dump(state);
    EXPECT_EQ(state.count(i, en::kCompensationFailed), 0u) << dump(state);
    int64_t done = 0, first = INT64_MAX;
    for (const auto& e : state.entries) {
      if (e.step != i) continue;
      if (e.event == en::kCompensationCompleted) done = e.seq;
      if (e.event.starts_with("compensation.")) first = std::min(first, e.seq);
    }
    for (const auto& e : state.entries) {
      EXPECT_FALSE(e.step == i && e.event == en::kCompensationStarted && e.seq > done)
          << "the compensation of " << step.name << " ran again after it completed\n"
          << dump(state);
    }
    EXPECT_GT(first, older_must_start_after) << step.name << " was compensated before a newer step\n" << dump(state);
    older_must_start_after = done;
  }
}

void expect_rules(const Flow& flow, const Durable& state) {
  if (flow.kind == "workflow") {
    expect_workflow_rules(flow, state);
  } else {
    expect_saga_rules(flow, state);
  }
}

// The agents a recovery must run, once each, given what was durable at the
// kill: the forward steps that had not completed (unless the saga had failed
// for good already), and, when a saga rolls back, the compensations not done.
std::map<std::string, int> expected_reruns(const Flow& flow, const Durable& at_kill) {
  bool failed_for_good = false;
  for (const auto& e : at_kill.entries) {
    if (e.event == en::kStepFailed && e.data.value("final", false)) failed_for_good = true;
  }
  std::map<std::string, int> out;
  for (size_t i = 0; i < flow.steps.size(); ++i) {
    int index = static_cast<int>(i);
    if (!failed_for_good && at_kill.count(index, en::kStepCompleted) == 0) ++out[flow.steps[i].agent];
    bool undone = at_kill.count(index, en::kCompensationCompleted) > 0;
    if (flow.last_step_fails && !flow.steps[i].compensate.empty() && i + 1 < flow.steps.size() && !undone) {
      ++out[flow.steps[i].compensate];
    }
  }
  return out;
}

std::string where(const Durable& at_kill) {
  if (!at_kill.run) return "before the run existed";
  if (orchestration::is_terminal(at_kill.run->state)) return "after the run ended";
  for (const auto& e : at_kill.entries) {
    if (e.event.starts_with("compensation.")) return "during compensation";
  }
  if (at_kill.run->state == st::kCompensating) return "during compensation";
  // The newest entry is a step.started: that attempt had not ended. (Its
  // step.started rides on the next commit, so a kill just after it began may
  // count as a boundary; the recovery rules are the same.)
  if (!at_kill.entries.empty() && at_kill.entries.back().event == en::kStepStarted) return "mid-step";
  return "at a step boundary";
}

std::string describe(const std::map<std::string, int>& agents) {
  std::string out;
  for (const auto& [agent, n] : agents) out += agent + " x" + std::to_string(n) + " ";
  return out.empty() ? "(none)" : out;
}

// ---- the harness ----------------------------------------------------------------

struct KillPoint {
  enum class When { kAfterDelay, kWhenRunExists, kAfterEntries };
  When when;
  int64_t value = 0;  // the delay in ms, or the number of journal entries
  std::string text() const {
    switch (when) {
      case When::kAfterDelay: return "after " + std::to_string(value) + " ms";
      case When::kWhenRunExists: return "when the run row exists";
      case When::kAfterEntries: return "after journal entry " + std::to_string(value);
    }
    return "";
  }
};

// How long a full run of a flow takes, measured by running it once.
struct Timing {
  milliseconds until_run_exists{0};
  milliseconds until_end{0};
  size_t entries = 0;
};

class CrashRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "gate");  // closed until a test writes gate/open
    testing::write_file(dir_.path() / "nexus.config.yaml", project_config());
    // The first process makes the database and compiles actor.wasm into the
    // module cache, so the timed run starts as fast as the runs after a crash.
    auto warm = testing::run_naos({"run", kWorkflow.steps[0].agent, "--input", "warm"}, dir_.path());
    ASSERT_EQ(warm.exit_status, 0) << warm.err;
    probe_ = Probe::open(dir_.path() / "data" / "nexus.db");
    ASSERT_NE(probe_, nullptr);
  }

  std::vector<std::string> start_args(const Flow& flow, const std::string& id) {
    return {flow.kind, "run", flow.name, "--input", flow.input, "--id", id, "--json"};
  }

  // Polls until `ready` holds for the durable state of `run_id`; false if the
  // process ended first.
  template <typename Ready>
  bool wait_until(NaosProcess& process, const std::string& run_id, Ready ready) {
    auto deadline = SteadyClock::now() + kWatchdog;
    while (SteadyClock::now() < deadline) {
      if (ready(probe_->read(run_id))) return true;
      if (process.ended()) return ready(probe_->read(run_id));
      std::this_thread::sleep_for(kPollInterval);
    }
    ADD_FAILURE() << "timed out waiting on run " << run_id;
    return false;
  }

  // One uninterrupted run, which must obey the rules too.
  Timing time_full_run(const Flow& flow) {
    Timing timing;
    std::string id = flow.name + "-timing";
    NaosProcess process(start_args(flow, id), dir_.path());
    EXPECT_TRUE(process.started());
    wait_until(process, id, [](const Durable& state) { return state.run.has_value(); });
    timing.until_run_exists = process.age();
    while (!process.ended()) std::this_thread::sleep_for(kPollInterval);
    timing.until_end = process.age();
    EXPECT_EQ(process.exit_status(), flow.last_step_fails ? 1 : 0) << process.err();
    Durable state = probe_->read(id);
    expect_rules(flow, state);
    timing.entries = state.entries.size();
    return timing;
  }

  std::vector<KillPoint> kill_points(const Timing& timing) {
    using When = KillPoint::When;
    std::vector<KillPoint> points;
    int64_t row = timing.until_run_exists.count(), end = timing.until_end.count();
    points.push_back({When::kAfterDelay, 1});                               // still starting up
    points.push_back({When::kAfterDelay, std::max<int64_t>(2, row / 2)});  // opening the project
    points.push_back({When::kWhenRunExists, 0});
    for (size_t n = 1; n <= timing.entries; ++n) points.push_back({When::kAfterEntries, static_cast<int64_t>(n)});
    // Spread across the steps, wherever the time falls.
    for (int64_t percent : {30, 55, 80}) points.push_back({When::kAfterDelay, row + (end - row) * percent / 100});
    return points;
  }

  // Starts `flow`, kills it at `point`, recovers it with the CLI and checks
  // the rules. Returns where the kill landed.
  std::string kill_and_recover(const Flow& flow, const KillPoint& point, const std::string& id) {
    SCOPED_TRACE(flow.kind + " " + flow.name + " killed " + point.text() + " (run " + id + ")");
    NaosProcess process(start_args(flow, id), dir_.path());
    if (!process.started()) {
      ADD_FAILURE() << "fork failed";
      return "";
    }
    switch (point.when) {
      case KillPoint::When::kAfterDelay:
        while (!process.ended() && process.age() < milliseconds(point.value)) {
          std::this_thread::sleep_for(kPollInterval);
        }
        break;
      case KillPoint::When::kWhenRunExists:
        wait_until(process, id, [](const Durable& state) { return state.run.has_value(); });
        break;
      case KillPoint::When::kAfterEntries:
        wait_until(process, id, [&](const Durable& state) { return state.entries.size() >= size_t(point.value); });
        break;
    }
    process.kill_now();
    bool killed = process.reap();  // a zombie would still own the run

    Durable at_kill = probe_->read(id);
    std::string landed = killed ? where(at_kill) : "after the process ended";
    std::map<std::string, int> expected = expected_reruns(flow, at_kill);
    int64_t audit_before = probe_->last_audit_seq();
    bool finished = at_kill.run && orchestration::is_terminal(at_kill.run->state);
    if (!finished) {
      // The documented recovery: resume the latest run, or start it again if
      // it never got as far as existing.
      auto recovered = at_kill.run ? testing::run_naos({flow.kind, "resume", flow.name, "--json"}, dir_.path())
                                   : testing::run_naos(start_args(flow, id), dir_.path());
      EXPECT_EQ(recovered.exit_status, flow.last_step_fails ? 1 : 0) << recovered.out << recovered.err;
      auto result = nlohmann::json::parse(recovered.out, nullptr, false);
      EXPECT_TRUE(result.is_object()) << recovered.out << recovered.err;
      if (result.is_object()) {
        EXPECT_EQ(result.value("id", ""), id) << "resume took another run";
        EXPECT_EQ(result.value("state", ""), expected_state(flow)) << recovered.err;
      }
      if (flow.last_step_fails) {
        EXPECT_NE(recovered.err.find("SAGA_STEP_FAILED"), std::string::npos) << recovered.err;
      }
    } else {
      expected.clear();
    }
    Durable after = probe_->read(id);
    expect_rules(flow, after);
    // The recovery ran exactly what had not finished at the kill, once each.
    EXPECT_EQ(describe(probe_->agents_started_after(audit_before, flow)), describe(expected))
        << "landed " << landed << "; journal at the kill:\n"
        << dump(at_kill) << "after:\n"
        << dump(after);
    return landed;
  }

  // Kills `flow` at every kill point and recovers it; returns how many kills
  // landed where.
  std::map<std::string, int> kill_everywhere(const Flow& flow) {
    Timing timing = time_full_run(flow);
    RecordProperty(flow.name + "_full_run_ms", std::to_string(timing.until_end.count()));
    std::map<std::string, int> landed;
    int n = 0;
    for (const auto& point : kill_points(timing)) {
      ++landed[kill_and_recover(flow, point, flow.name + "-kill-" + std::to_string(++n))];
      if (HasFailure()) break;  // later kills would only repeat the first failure
    }
    std::string summary;
    for (const auto& [place, count] : landed) summary += place + ": " + std::to_string(count) + "; ";
    RecordProperty(flow.name + "_kills", summary);
    std::cout << "[ kills    ] " << flow.kind << " " << flow.name << " (run row after "
              << timing.until_run_exists.count() << " ms, end after " << timing.until_end.count()
              << " ms): " << summary << "\n";
    return landed;
  }

  testing::TempDir dir_;
  std::unique_ptr<Probe> probe_;
};

TEST_F(CrashRecovery, AWorkflowKilledAnywhereResumesToItsOutputAndNeverRerunsACompletedStep) {
  auto landed = kill_everywhere(kWorkflow);
  if (HasFailure()) return;  // the kills stopped early; where they landed says nothing more
  EXPECT_GE(landed["before the run existed"], 1);
  EXPECT_GE(landed["mid-step"], 3);
  EXPECT_GE(landed["at a step boundary"], 1);
}

TEST_F(CrashRecovery, AFailingSagaKilledAnywhereEndsRolledBackWithEveryCompletedStepCompensatedOnce) {
  auto landed = kill_everywhere(kRollbackSaga);
  if (HasFailure()) return;
  EXPECT_GE(landed["before the run existed"], 1);
  EXPECT_GE(landed["mid-step"], 2);
  EXPECT_GE(landed["during compensation"], 2);
}

TEST_F(CrashRecovery, ASucceedingSagaKilledAnywhereEndsCompletedAndCompensatesNothing) {
  auto landed = kill_everywhere(kCommitSaga);
  if (HasFailure()) return;
  EXPECT_GE(landed["before the run existed"], 1);
  EXPECT_GE(landed["mid-step"], 2);
}

TEST_F(CrashRecovery, AKilledStartWithAnIdIsFinishedByTheNextStartAndAThirdReturnsTheFirstResult) {
  const std::string id = "order-42";
  {
    NaosProcess first(start_args(kWorkflow, id), dir_.path());
    ASSERT_TRUE(first.started());
    // Two steps done, the third maybe under way.
    ASSERT_TRUE(wait_until(first, id, [](const Durable& state) { return state.count(1, en::kStepCompleted) == 1; }));
    first.kill_now();
    ASSERT_TRUE(first.reap()) << "the workflow ended before the kill";
  }
  Durable at_kill = probe_->read(id);
  ASSERT_TRUE(at_kill.run);
  ASSERT_EQ(at_kill.run->state, st::kRunning);
  int64_t audit_before = probe_->last_audit_seq();

  auto second = testing::run_naos(start_args(kWorkflow, id), dir_.path());
  ASSERT_EQ(second.exit_status, 0) << second.err;
  auto result = nlohmann::json::parse(second.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << second.out;
  EXPECT_EQ(result.value("id", ""), id);
  EXPECT_EQ(result.value("state", ""), st::kCompleted);
  EXPECT_EQ(result.value("output", ""), expected_output(kWorkflow));
  EXPECT_FALSE(result.value("reused", true)) << "the second start finished the run, it did not find it finished";
  Durable finished = probe_->read(id);
  expect_workflow_rules(kWorkflow, finished);
  EXPECT_EQ(describe(probe_->agents_started_after(audit_before, kWorkflow)),
            describe(expected_reruns(kWorkflow, at_kill)));
  auto runs = probe_->runs(kWorkflow);
  ASSERT_EQ(runs.size(), 1u) << "the second start made a run of its own";
  EXPECT_EQ(runs[0].id, id);

  int64_t audit_finished = probe_->last_audit_seq();
  auto third = testing::run_naos(start_args(kWorkflow, id), dir_.path());
  ASSERT_EQ(third.exit_status, 0) << third.err;
  result = nlohmann::json::parse(third.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << third.out;
  EXPECT_EQ(result.value("id", ""), id);
  EXPECT_EQ(result.value("state", ""), st::kCompleted);
  EXPECT_EQ(result.value("output", ""), expected_output(kWorkflow));
  EXPECT_TRUE(result.value("reused", false));
  EXPECT_EQ(probe_->read(id).entries.size(), finished.entries.size()) << "the third start ran steps";
  EXPECT_TRUE(probe_->agents_started_after(audit_finished, kWorkflow).empty());
  EXPECT_EQ(probe_->runs(kWorkflow).size(), 1u);
}

// /proc/PID/stat says Z: killed, not yet reaped by its parent (this process).
bool is_zombie(pid_t pid) {
  std::string stat;
  try {
    stat = testing::read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::exception&) {
    return false;
  }
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

// The first steps wait at a closed gate, so both runs are still driven by
// their process through every refusal below, however slow the machine.
TEST_F(CrashRecovery, AResumeIsRefusedWhileALiveProcessDrivesTheRunAndAllowedOnceItIsKilled) {
  const std::string workflow_id = "long-1", saga_id = "long-saga-1";
  NaosProcess workflow(start_args(kLongWorkflow, workflow_id), dir_.path());
  NaosProcess saga(start_args(kLongSaga, saga_id), dir_.path());
  ASSERT_TRUE(workflow.started() && saga.started());
  auto first_step_running = [](const Durable& state) { return state.count(0, en::kStepStarted) > 0; };
  ASSERT_TRUE(wait_until(workflow, workflow_id, first_step_running));
  ASSERT_TRUE(wait_until(saga, saga_id, first_step_running));
  EXPECT_EQ(probe_->read(workflow_id).run->owner, std::to_string(workflow.pid()));

  auto resumed = testing::run_naos({"workflow", "resume", "long"}, dir_.path());
  EXPECT_NE(resumed.exit_status, 0) << resumed.out;
  EXPECT_NE(resumed.err.find("error:"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find(std::to_string(workflow.pid())), std::string::npos)
      << "the error names the driving process: " << resumed.err;
  auto restarted = testing::run_naos(start_args(kLongWorkflow, workflow_id), dir_.path());
  EXPECT_NE(restarted.exit_status, 0) << "a start with the id of a live run took it over: " << restarted.out;
  auto saga_resumed = testing::run_naos({"saga", "resume", "long-saga"}, dir_.path());
  EXPECT_NE(saga_resumed.exit_status, 0) << saga_resumed.out;
  EXPECT_NE(saga_resumed.err.find(std::to_string(saga.pid())), std::string::npos) << saga_resumed.err;
  auto saga_again = testing::run_naos(start_args(kLongSaga, "long-saga-2"), dir_.path());
  EXPECT_NE(saga_again.exit_status, 0);
  EXPECT_NE(saga_again.err.find("SAGA_ALREADY_RUNNING"), std::string::npos) << saga_again.err;

  // The refusals changed nothing: both runs are still driven by their process.
  EXPECT_FALSE(workflow.ended()) << workflow.err();
  EXPECT_FALSE(saga.ended()) << saga.err();
  for (const auto& [process, id] : {std::pair{&workflow, workflow_id}, std::pair{&saga, saga_id}}) {
    Durable state = probe_->read(id);
    ASSERT_TRUE(state.run);
    EXPECT_EQ(state.run->state, st::kRunning) << dump(state);
    EXPECT_EQ(state.run->owner, std::to_string(process->pid()));
  }

  // Killed but not reaped, a driver is a zombie that kill(pid, 0) still
  // finds; the owner check must see through it.
  workflow.kill_now();
  saga.kill_now();
  auto deadline = SteadyClock::now() + kWatchdog;
  while (!(is_zombie(workflow.pid()) && is_zombie(saga.pid())) && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_TRUE(is_zombie(workflow.pid()) && is_zombie(saga.pid()));
  testing::write_file(dir_.path() / "gate" / "open", "");  // the resumed steps may finish
  auto recovered = testing::run_naos({"workflow", "resume", "long"}, dir_.path());
  EXPECT_EQ(recovered.exit_status, 0) << recovered.err;
  expect_workflow_rules(kLongWorkflow, probe_->read(workflow_id));
  auto saga_recovered = testing::run_naos({"saga", "resume", "long-saga"}, dir_.path());
  EXPECT_EQ(saga_recovered.exit_status, 0) << saga_recovered.err;
  expect_saga_rules(kLongSaga, probe_->read(saga_id));
  EXPECT_TRUE(workflow.reap());
  EXPECT_TRUE(saga.reap());
}

}  // namespace
}  // namespace naos
