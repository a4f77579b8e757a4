// Supervisor — supervision trees, OTP style (docs/supervisors.md).
//
// A supervisor starts its children in declared order, watches them, restarts
// them by its strategy and their restart types, and stops them in reverse
// order. A child is an agent (one long StepRunner::run), another supervisor
// (a tree of any depth), or a workflow (run through a hook the workflow
// engine supplies). Everything the rules decide is in the constexpr data and
// the three pure functions below (decide_restart, restart_group,
// backoff_delay) plus RestartIntensity, so they read like the docs and are
// tested on their own (STYLE.md rule 10).
//
// How a child's run ends (classify_exit):
//   ok                     kNormal    the run completed
//   "budget_exceeded"      kPaused    a budget paused or stopped the agent
//   "stopped"              kPaused    `naos stop --no-restart` stopped it; it
//                                     stays paused while the registry says stopped
//   any other error        kAbnormal  trap, exit status, timeout, a limit, ...
//
// Child states (what `naos supervisor status` shows):
//
//                 start                exit, decide_restart:
//   pending ──────────────► running ──┬─ kRestart ──► restarting ──(backoff)──► running
//                             ▲       ├─ kPause ────► paused ──(budget lifted)──► running
//                             │       └─ kLeave ────► completed | failed
//                             │ group restart: stopped first, then restarting
//   stop (tree or group): running ──► stopped | killed (did not end within `shutdown`)
//
// Transitions and the function that performs each:
//   pending -> running                start_child (from run)
//   running -> restarting|paused|completed|failed
//                                     handle_exit
//   restarting -> running             fire_timers (restart_at reached)
//   paused -> running                 fire_timers (the still_paused hook says no)
//   running -> stopped|killed         stop_child (from stop_all or a group restart)
//   restarting|paused|pending -> stopped
//                                     stop_all
//
// The supervisor itself: starting -> running -> stopping -> stopped |
// completed (no child left to run or restart) | escalated (more than
// maxRestarts restarts within restartWindow: it stopped its children and
// reports the failure to its parent, which treats it as a failed child).
//
// Invariants (check_invariants, quoted by number there):
//   1. children are kept in start (declared) order;
//   2. a child is `running` exactly when it has a current instance;
//   3. a child is `restarting` exactly when a restart time is set, and
//      `paused` exactly when a pause check time is set;
//   4. the restart window holds only times within restartWindow of the
//      newest one, oldest first, at most maxRestarts + 1 of them.
//
// Threading: run() blocks its caller and is the only thread that changes the
// tree; each running child runs on a worker thread of the supervisor, which
// posts the child's exit and waits for the next child to run (a restart
// reuses the worker whose child ended, so it makes no thread).
// request_stop() and status() may be called from any thread. Listener events
// are delivered on the supervisor's threads with no lock held, so a listener
// may call status(). Locks nest parent before child only. A supervisor never
// blocks on a retry: restarts wait as timers, so a stop request is handled
// during a backoff (rule 11).
//
// Ownership: the SupervisorContext (runner, clock, listener, hooks) is
// borrowed and must outlive the supervisor. A child that ignores its cancel
// flag past its shutdown time is reported `killed` and abandoned: a thread
// cannot be killed, so its worker is joined when the run ends on its own,
// in the supervisor's destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "orchestration/step_runner.h"
#include "project/config.h"

namespace naos::orchestration {

// ---- the rules, as data ----------------------------------------------------

// Defaults come from project/config.h (kDefaultMaxRestarts ...), the one
// place docs/config.md quotes; these are the supervisor's own.
// How often a paused (budget_exceeded) child asks whether it may run again.
inline constexpr std::chrono::milliseconds kDefaultPausePoll{1'000};
// 2^30 * backoff.min is past any sane max; beyond it the exponent stops growing.
inline constexpr uint32_t kMaxBackoffDoublings = 30;
// How long the supervisor and an idle worker busy-wait for news before they
// sleep (see Supervisor::spin_for_news).
inline constexpr std::chrono::microseconds kSpinBeforeSleep{50};

enum class ChildKind { kAgent, kSupervisor, kWorkflow };
std::string_view child_kind_name(ChildKind kind);  // "agent", "supervisor", "workflow"

enum class ExitKind { kNormal, kAbnormal, kPaused };
enum class RestartDecision { kRestart, kLeave, kPause };

ExitKind classify_exit(const StepResult& result);

// OTP's do_restart: one switch over (restart type x how the child ended).
//   permanent: normal -> restart, abnormal -> restart, paused -> pause
//   transient: normal -> leave,   abnormal -> restart, paused -> pause
//   temporary: normal -> leave,   abnormal -> leave,   paused -> leave
RestartDecision decide_restart(project::RestartType type, ExitKind exit);

// Which children (indices in start order) a restart of child `failed` takes
// down and starts again: one-for-one {failed}; one-for-all every child;
// rest-for-one `failed` and every child started after it.
std::vector<size_t> restart_group(project::SupervisorStrategy strategy, size_t failed, size_t children);

// Delay before restart `attempt` (1-based): min * 2^(attempt-1), capped at
// max, then scaled by 1 + jitter * (2 * unit_random - 1), where unit_random
// is in [0, 1) (0.5 = no jitter). Never negative.
std::chrono::milliseconds backoff_delay(const project::BackoffConfig& backoff, uint32_t attempt, double unit_random);

// The sliding window of restart times (OTP's add_restart): at most
// `max_restarts` restarts within any `window`. Times are monotonic ms.
class RestartIntensity {
 public:
  RestartIntensity(uint32_t max_restarts, std::chrono::milliseconds window)
      : max_restarts_(max_restarts), window_(window) {}
  // Records a restart at `now_ms`; false when that makes more than
  // max_restarts within the window: the supervisor must give up.
  bool add_restart(int64_t now_ms);
  // Restarts within the window ending at `now_ms`.
  size_t in_window(int64_t now_ms) const;
  const std::deque<int64_t>& times() const { return times_; }
  uint32_t max_restarts() const { return max_restarts_; }
  std::chrono::milliseconds window() const { return window_; }

 private:
  void expire(int64_t now_ms);
  uint32_t max_restarts_;
  std::chrono::milliseconds window_;
  std::deque<int64_t> times_;  // oldest first
};

// ---- what to run ------------------------------------------------------------

struct SupervisorSpec;

struct ChildSpec {
  std::string name;
  ChildKind kind = ChildKind::kAgent;
  project::RestartType restart = project::kDefaultRestartType;
  // How long a stop waits for the child to end before reporting it killed;
  // nullopt: as long as it takes (a sub-supervisor without an explicit
  // `shutdown`, as OTP gives supervisors `infinity`).
  std::optional<std::chrono::milliseconds> shutdown;
  std::shared_ptr<const SupervisorSpec> supervisor;  // kind kSupervisor only
};

struct SupervisorSpec {
  std::string name;
  project::SupervisorStrategy strategy = project::kDefaultStrategy;
  uint32_t max_restarts = project::kDefaultMaxRestarts;
  std::chrono::milliseconds restart_window = project::kDefaultRestartWindow;
  std::optional<project::BackoffConfig> backoff;  // absent: restart at once
  std::vector<ChildSpec> children;                // in start order
};

// The tree rooted at supervisors.NAME of a validated config: each child's
// kind from the section that declares it. Errors: kNotFound (no such supervisor).
Result<SupervisorSpec> supervisor_spec(const project::Config& config, std::string_view name);

// ---- time --------------------------------------------------------------------

inline constexpr int64_t kNoDeadline = INT64_MAX;

// Where a supervisor reads the time and waits: monotonic milliseconds, and a
// condition-variable wait with a deadline in the same time. Tests inject
// ManualSupervisorClock to make backoff and the window deterministic.
class SupervisorClock {
 public:
  virtual ~SupervisorClock() = default;
  virtual int64_t now_ms() = 0;
  // Waits on `cv` (`lock` held on entry and return) until notified, or until
  // now_ms() >= deadline_ms (kNoDeadline: no deadline). May return early;
  // callers re-check their condition.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms) = 0;
};

class SteadySupervisorClock final : public SupervisorClock {
 public:
  int64_t now_ms() override;
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms) override;
};

// Time moves only when advance() says so. wait_until returns after at most a
// millisecond of real time, so the waiter sees an advance promptly.
class ManualSupervisorClock final : public SupervisorClock {
 public:
  explicit ManualSupervisorClock(int64_t start_ms = 1'000'000) : now_ms_(start_ms) {}
  int64_t now_ms() override { return now_ms_.load(); }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms) override;
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

// ---- events and status ---------------------------------------------------------

// Event types (PRODUCT.md "Audit"); child_started and child_stopped are
// delivered to listeners, the rest are also audited by core/supervision.cc.
namespace supervisor_event {
inline constexpr const char* kStarted = "supervisor.started";
inline constexpr const char* kChildStarted = "supervisor.child_started";
inline constexpr const char* kChildFailed = "supervisor.child_failed";
inline constexpr const char* kChildRestart = "supervisor.child_restart";
inline constexpr const char* kChildStopped = "supervisor.child_stopped";
inline constexpr const char* kEscalated = "supervisor.escalated";
inline constexpr const char* kStopped = "supervisor.stopped";
inline constexpr const char* kAgentRestarted = "agent.restarted";
}  // namespace supervisor_event

// Child and supervisor states, as shown and stored (supervisor_children.state).
namespace supervisor_state {
inline constexpr const char* kPending = "pending";
inline constexpr const char* kStarting = "starting";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kRestarting = "restarting";
inline constexpr const char* kPaused = "paused";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kStopping = "stopping";
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kKilled = "killed";
inline constexpr const char* kEscalated = "escalated";
}  // namespace supervisor_state

struct SupervisorEvent {
  std::string type;        // supervisor_event::k...
  std::string supervisor;  // the supervisor it happened in
  std::string child;       // empty for the supervisor's own events
  ChildKind kind = ChildKind::kAgent;
  nlohmann::json detail = nlohmann::json::object();
};

class SupervisorListener {
 public:
  virtual ~SupervisorListener() = default;
  // Called on a supervisor thread with no lock held; keep it short.
  virtual void on_event(const SupervisorEvent& event) = 0;
};

struct SupervisorStatus;

struct ChildStatus {
  std::string name;
  ChildKind kind = ChildKind::kAgent;
  project::RestartType restart = project::kDefaultRestartType;
  std::string state = supervisor_state::kPending;
  uint32_t restarts = 0;     // since the tree started (kept across a parent's restart of this supervisor)
  std::string last_error;    // "error: message" of the last abnormal exit
  std::shared_ptr<const SupervisorStatus> tree;  // kind kSupervisor: its own status
};

struct SupervisorStatus {
  std::string name;
  std::string state = supervisor_state::kStarting;
  std::string report;  // why it escalated or stopped, for a person
  std::vector<ChildStatus> children;  // start order
};

enum class SupervisorEnd { kStopped, kCompleted, kEscalated };

struct SupervisorOutcome {
  SupervisorEnd end = SupervisorEnd::kStopped;
  // For a person: on escalation "supervisor S gave up: N restarts within W
  // (maxRestarts M); the last: child C failed: ..." (nested reports follow).
  std::string report;
  // On escalation: the child whose failure went over the limit, and the
  // restarts counted within the window including the refused one.
  std::string child;
  size_t restarts = 0;
  std::chrono::milliseconds window{0};
  std::vector<std::string> killed;  // children that did not end within their shutdown
};

// ---- the supervisor -------------------------------------------------------------

// Runs a workflow child until it ends or `cancel` becomes true.
using WorkflowChildRunner = std::function<StepResult(const std::string& workflow, const std::atomic<bool>& cancel)>;

struct SupervisorContext {
  StepRunner& runner;
  SupervisorClock& clock;
  SupervisorListener* listener = nullptr;  // nullable
  // Empty: workflow children fail with "refused" (no workflow engine).
  WorkflowChildRunner run_workflow;
  // Whether a budget still holds the agent; asked every pause_poll while a
  // child is paused. Empty: a paused child stays paused.
  std::function<bool(const std::string& agent)> still_paused;
  std::chrono::milliseconds pause_poll = kDefaultPausePoll;
  // A number in [0, 1) for backoff jitter; empty: a seeded generator.
  std::function<double()> random;
};

class Supervisor {
 public:
  Supervisor(SupervisorSpec spec, SupervisorContext& context);
  // Stops the tree if it runs, and joins every child thread.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts the children in order and supervises them until request_stop(),
  // an escalation, or nothing is left to run; stops the children in reverse
  // order before returning. Call once.
  SupervisorOutcome run();
  // Any thread, any time (also before run()): run() stops and returns.
  void request_stop();
  // A snapshot of the tree. Any thread.
  SupervisorStatus status() const;
  const std::string& name() const { return spec_.name; }
  // Carries restart counts and last errors over from an earlier instance
  // (a parent restarting this supervisor); before run() only.
  void inherit(const SupervisorStatus& previous);
  // The documented invariants (header comment), checked. Debug builds also
  // check them at every transition.
  Status check_invariants() const;

 private:
  struct Instance;
  struct Slot;
  struct Exit {
    uint64_t instance = 0;
    StepResult result;
  };

  void start_child(std::unique_lock<std::mutex>& lock, size_t index, bool restart);
  void handle_exit(std::unique_lock<std::mutex>& lock, Exit exit);
  // Stops child `index` (cancel, wait up to its shutdown); true when it ended.
  bool stop_child(std::unique_lock<std::mutex>& lock, size_t index, const char* reason);
  void stop_all(std::unique_lock<std::mutex>& lock);
  void fire_timers(std::unique_lock<std::mutex>& lock);
  bool nothing_left() const;
  int64_t next_deadline() const;
  void escalate(size_t index, size_t restarts);
  void work();
  bool has_busy_workers() const;
  void spin_for_news(std::unique_lock<std::mutex>& lock);
  StepResult run_instance(Instance& instance);
  std::optional<Exit> take_exit_of(uint64_t instance);
  void reap(uint64_t instance);
  void emit(SupervisorEvent event);
  void flush_events(std::unique_lock<std::mutex>& lock);
  double random_unit();
  Status check_locked() const;
  void debug_check() const;

  SupervisorSpec spec_;
  SupervisorContext& context_;
  RestartIntensity intensity_;
  std::mt19937_64 generator_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Slot> slots_;                                  // start order
  std::map<uint64_t, std::unique_ptr<Instance>> instances_;  // running or abandoned
  uint64_t next_instance_ = 1;
  std::deque<Exit> exits_;
  // Worker threads run the children; an idle one waits for a queued instance.
  std::condition_variable work_;
  std::vector<std::thread> workers_;
  std::deque<Instance*> jobs_;
  size_t idle_workers_ = 0;
  bool quitting_ = false;
  // Bumped (under mutex_) for every exit, queued child and stop request.
  std::atomic<uint64_t> news_{0};
  // Earlier instances of sub-supervisor children kept until this one goes,
  // because a child they abandoned still runs.
  std::vector<std::shared_ptr<Supervisor>> retired_subs_;
  std::vector<SupervisorEvent> pending_events_;
  bool stop_requested_ = false;
  bool ran_ = false;
  std::string state_ = supervisor_state::kStarting;
  SupervisorOutcome outcome_;
};

}  // namespace naos::orchestration
