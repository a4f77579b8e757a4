#include "orchestration/supervisor.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <exception>
#include <system_error>

#include "base/units.h"

namespace naos::orchestration {

namespace st = supervisor_state;
namespace ev = supervisor_event;

// ---- the rules ------------------------------------------------------------------

std::string_view child_kind_name(ChildKind kind) {
  switch (kind) {
    case ChildKind::kAgent: return "agent";
    case ChildKind::kSupervisor: return "supervisor";
    case ChildKind::kWorkflow: return "workflow";
  }
  return "?";
}

ExitKind classify_exit(const StepResult& result) {
  if (result.ok) return ExitKind::kNormal;
  if (result.error == "budget_exceeded" || result.error == "stopped") return ExitKind::kPaused;
  return ExitKind::kAbnormal;
}

RestartDecision decide_restart(project::RestartType type, ExitKind exit) {
  using project::RestartType;
  switch (type) {
    case RestartType::kPermanent:
      switch (exit) {
        case ExitKind::kNormal: return RestartDecision::kRestart;
        case ExitKind::kAbnormal: return RestartDecision::kRestart;
        case ExitKind::kPaused: return RestartDecision::kPause;
      }
      break;
    case RestartType::kTransient:
      switch (exit) {
        case ExitKind::kNormal: return RestartDecision::kLeave;
        case ExitKind::kAbnormal: return RestartDecision::kRestart;
        case ExitKind::kPaused: return RestartDecision::kPause;
      }
      break;
    case RestartType::kTemporary:
      return RestartDecision::kLeave;
  }
  return RestartDecision::kLeave;
}

std::vector<size_t> restart_group(project::SupervisorStrategy strategy, size_t failed, size_t children) {
  using project::SupervisorStrategy;
  std::vector<size_t> group;
  switch (strategy) {
    case SupervisorStrategy::kOneForOne:
      group.push_back(failed);
      break;
    case SupervisorStrategy::kOneForAll:
      for (size_t i = 0; i < children; ++i) group.push_back(i);
      break;
    case SupervisorStrategy::kRestForOne:
      for (size_t i = failed; i < children; ++i) group.push_back(i);
      break;
  }
  return group;
}

std::chrono::milliseconds backoff_delay(const project::BackoffConfig& backoff, uint32_t attempt, double unit_random) {
  uint32_t doublings = std::min(attempt > 0 ? attempt - 1 : 0, kMaxBackoffDoublings);
  double base = static_cast<double>(backoff.min.count()) * std::ldexp(1.0, static_cast<int>(doublings));
  base = std::min(base, static_cast<double>(backoff.max.count()));
  double factor = 1.0 + backoff.jitter * (2.0 * unit_random - 1.0);
  return std::chrono::milliseconds(std::max<int64_t>(0, std::llround(base * factor)));
}

bool RestartIntensity::add_restart(int64_t now_ms) {
  times_.push_back(now_ms);
  expire(now_ms);
  return times_.size() <= max_restarts_;
}

size_t RestartIntensity::in_window(int64_t now_ms) const {
  return static_cast<size_t>(
      std::count_if(times_.begin(), times_.end(), [&](int64_t t) { return t > now_ms - window_.count(); }));
}

void RestartIntensity::expire(int64_t now_ms) {
  while (!times_.empty() && times_.front() <= now_ms - window_.count()) times_.pop_front();
}

// ---- the tree from the config ------------------------------------------------------

namespace {

Result<SupervisorSpec> spec_at(const project::Config& config, std::string_view name, int depth) {
  auto found = config.supervisors.find(std::string(name));
  if (found == config.supervisors.end()) {
    return Error(Code::kNotFound, "no such supervisor in the config", std::string(name));
  }
  if (depth > project::kMaxSupervisionDepth) {
    return Error(Code::kInvalidArgument,
                 "the supervision tree is deeper than " + std::to_string(project::kMaxSupervisionDepth) + " levels",
                 std::string(name));
  }
  const project::SupervisorConfig& supervisor = found->second;
  SupervisorSpec spec;
  spec.name = supervisor.name.empty() ? std::string(name) : supervisor.name;
  spec.strategy = supervisor.strategy;
  spec.max_restarts = supervisor.max_restarts;
  spec.restart_window = supervisor.restart_window;
  spec.backoff = supervisor.backoff;
  for (const project::SupervisorChild& child : supervisor.children) {
    ChildSpec out;
    out.name = child.name;
    out.restart = child.restart;
    out.shutdown = child.shutdown.value_or(supervisor.shutdown);
    if (config.agents.contains(child.name)) {
      out.kind = ChildKind::kAgent;
    } else if (config.supervisors.contains(child.name)) {
      out.kind = ChildKind::kSupervisor;
      out.shutdown = child.shutdown;  // a subtree gets as long as it needs unless told
      NAOS_ASSIGN_OR_RETURN(SupervisorSpec nested, spec_at(config, child.name, depth + 1));
      out.supervisor = std::make_shared<const SupervisorSpec>(std::move(nested));
    } else if (config.workflows.contains(child.name)) {
      out.kind = ChildKind::kWorkflow;
    } else {
      return Error(Code::kNotFound, "unknown agent, supervisor or workflow \"" + child.name + "\"",
                   "supervisors." + spec.name);
    }
    spec.children.push_back(std::move(out));
  }
  return spec;
}

std::string describe(const StepResult& result) {
  if (result.message.empty()) return result.error;
  return result.error + ": " + result.message;
}

}  // namespace

Result<SupervisorSpec> supervisor_spec(const project::Config& config, std::string_view name) {
  return spec_at(config, name, 1);
}

// ---- time ------------------------------------------------------------------------

int64_t SteadySupervisorClock::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SteadySupervisorClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                       int64_t deadline_ms) {
  if (deadline_ms == kNoDeadline) {
    cv.wait(lock);
    return;
  }
  cv.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::milliseconds(deadline_ms)));
}

void ManualSupervisorClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                       int64_t deadline_ms) {
  if (now_ms() >= deadline_ms) return;
  // Real time does not move this clock; a short real wait lets the caller
  // see both a notification and an advance() soon.
  cv.wait_for(lock, std::chrono::milliseconds(1));
}

// ---- the supervisor -----------------------------------------------------------------

// One run of one child. The worker thread running it reads only this
// (immutable once queued, but for `cancel`), and posts its exit as its last
// use of it.
struct Supervisor::Instance {
  uint64_t id = 0;
  size_t slot = 0;
  std::string name;
  ChildKind kind = ChildKind::kAgent;
  std::atomic<bool> cancel{false};
  std::shared_ptr<Supervisor> sub;  // kind kSupervisor
};

struct Supervisor::Slot {
  ChildSpec spec;
  std::string state = st::kPending;
  uint32_t restarts = 0;
  uint32_t attempt = 0;  // backoff attempts since the child last stayed up for a window
  std::string last_error;
  std::string restart_reason;
  int64_t started_ms = 0;
  uint64_t instance = 0;  // the current instance; 0: none
  std::optional<int64_t> restart_at;
  std::optional<int64_t> pause_check_at;
  std::shared_ptr<Supervisor> sub;                         // the latest instance of a sub-supervisor
  std::shared_ptr<const SupervisorStatus> inherited_tree;  // from inherit(), until sub exists
};

Supervisor::Supervisor(SupervisorSpec spec, SupervisorContext& context)
    : spec_(std::move(spec)),
      context_(context),
      intensity_(spec_.max_restarts, spec_.restart_window),
      generator_(std::random_device{}()) {
  for (const ChildSpec& child : spec_.children) {
    Slot slot;
    slot.spec = child;
    slots_.push_back(std::move(slot));
  }
}

Supervisor::~Supervisor() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    quitting_ = true;
    for (auto& [id, instance] : instances_) {
      instance->cancel = true;
      if (instance->sub) instance->sub->request_stop();
    }
    workers.swap(workers_);
  }
  wake_.notify_all();
  work_.notify_all();
  // Idle workers leave at once; one still running an abandoned (killed)
  // child leaves when that run ends: a thread cannot be killed.
  for (auto& worker : workers) worker.join();
}

void Supervisor::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    news_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
}

void Supervisor::inherit(const SupervisorStatus& previous) {
  std::lock_guard lock(mutex_);
  for (Slot& slot : slots_) {
    for (const ChildStatus& child : previous.children) {
      if (child.name != slot.spec.name) continue;
      slot.restarts = child.restarts;
      slot.last_error = child.last_error;
      slot.inherited_tree = child.tree;
    }
  }
}

SupervisorStatus Supervisor::status() const {
  SupervisorStatus out;
  std::vector<std::shared_ptr<Supervisor>> subs;
  {
    std::lock_guard lock(mutex_);
    out.name = spec_.name;
    out.state = state_;
    out.report = outcome_.report;
    for (const Slot& slot : slots_) {
      ChildStatus child;
      child.name = slot.spec.name;
      child.kind = slot.spec.kind;
      child.restart = slot.spec.restart;
      child.state = slot.state;
      child.restarts = slot.restarts;
      child.last_error = slot.last_error;
      child.tree = slot.inherited_tree;
      out.children.push_back(std::move(child));
      subs.push_back(slot.sub);
    }
  }
  // Outside our lock: a parent never holds its lock while a child takes its own.
  for (size_t i = 0; i < subs.size(); ++i) {
    if (subs[i]) out.children[i].tree = std::make_shared<const SupervisorStatus>(subs[i]->status());
  }
  return out;
}

SupervisorOutcome Supervisor::run() {
  std::unique_lock lock(mutex_);
  assert(!ran_ && "Supervisor::run is called once");
  ran_ = true;
  state_ = st::kRunning;
  nlohmann::json children = nlohmann::json::array();
  for (const Slot& slot : slots_) children.push_back(slot.spec.name);
  emit({ev::kStarted, spec_.name, "", ChildKind::kSupervisor,
        {{"strategy", std::string(project::enum_name(spec_.strategy))},
         {"max_restarts", spec_.max_restarts},
         {"restart_window_ms", spec_.restart_window.count()},
         {"children", children}}});
  // Events go out as they happen, so a listener sees this supervisor start
  // before its children (and their own subtrees) do.
  flush_events(lock);
  for (size_t i = 0; i < slots_.size() && !stop_requested_; ++i) {
    start_child(lock, i, false);
    flush_events(lock);
  }
  debug_check();

  bool escalated = false;
  for (;;) {
    flush_events(lock);
    if (stop_requested_) break;
    if (outcome_.end == SupervisorEnd::kEscalated) {
      escalated = true;
      break;
    }
    if (!exits_.empty()) {
      Exit exit = std::move(exits_.front());
      exits_.pop_front();
      handle_exit(lock, std::move(exit));
      debug_check();
      continue;
    }
    int64_t deadline = next_deadline();
    if (deadline != kNoDeadline && context_.clock.now_ms() >= deadline) {
      fire_timers(lock);
      debug_check();
      continue;
    }
    if (nothing_left()) {
      outcome_.end = SupervisorEnd::kCompleted;
      outcome_.report = "every child has ended and none is to be restarted";
      break;
    }
    spin_for_news(lock);
    if (!exits_.empty() || stop_requested_) continue;
    context_.clock.wait_until(lock, wake_, deadline);
  }

  state_ = st::kStopping;
  stop_all(lock);
  if (escalated) {
    state_ = st::kEscalated;
  } else if (outcome_.end == SupervisorEnd::kCompleted) {
    state_ = st::kCompleted;
  } else {
    outcome_.end = SupervisorEnd::kStopped;
    outcome_.report = "stopped on request";
    state_ = st::kStopped;
  }
  // Idle workers leave now; one still running an abandoned child leaves
  // when that run ends.
  quitting_ = true;
  work_.notify_all();
  nlohmann::json killed = outcome_.killed;
  emit({ev::kStopped, spec_.name, "", ChildKind::kSupervisor,
        {{"reason", state_}, {"report", outcome_.report}, {"killed", killed}}});
  debug_check();
  flush_events(lock);
  return outcome_;
}

void Supervisor::start_child(std::unique_lock<std::mutex>& lock, size_t index, bool restart) {
  (void)lock;  // held
  Slot& slot = slots_[index];
  auto instance = std::make_unique<Instance>();
  instance->id = next_instance_++;
  instance->slot = index;
  instance->name = slot.spec.name;
  instance->kind = slot.spec.kind;
  if (slot.spec.kind == ChildKind::kSupervisor) {
    // The instance before is done; it is destroyed here unless a child it
    // abandoned still runs on one of its workers (its destructor would wait).
    if (slot.sub && slot.sub->has_busy_workers()) retired_subs_.push_back(slot.sub);
    auto sub = std::make_shared<Supervisor>(*slot.spec.supervisor, context_);
    if (slot.sub) {
      sub->inherit(slot.sub->status());
    } else if (slot.inherited_tree) {
      sub->inherit(*slot.inherited_tree);
    }
    slot.sub = sub;
    slot.inherited_tree.reset();
    instance->sub = std::move(sub);
  }
  int64_t now = context_.clock.now_ms();
  slot.instance = instance->id;
  slot.state = st::kRunning;
  slot.started_ms = now;
  Instance* raw = instance.get();
  instances_.emplace(raw->id, std::move(instance));

  if (restart) {
    bool resumed = slot.restart_reason == "resumed";
    if (!resumed) ++slot.restarts;
    emit({ev::kChildRestart, spec_.name, slot.spec.name, slot.spec.kind,
          {{"reason", slot.restart_reason}, {"restarts", slot.restarts}, {"attempt", slot.attempt}}});
    // A resume after a budget pause is not a crash, so it does not count
    // against the agent (governance/trust.cc scores agent.restarted).
    if (slot.spec.kind == ChildKind::kAgent && !resumed) {
      emit({ev::kAgentRestarted, spec_.name, slot.spec.name, slot.spec.kind,
            {{"reason", slot.restart_reason}, {"restarts", slot.restarts}}});
    }
  } else {
    emit({ev::kChildStarted, spec_.name, slot.spec.name, slot.spec.kind,
          {{"restart", std::string(project::enum_name(slot.spec.restart))}}});
  }

  // A worker that ran an earlier child takes this one; a thread is made
  // only when every worker is busy (restarts reuse the one whose child ended).
  jobs_.push_back(raw);
  news_.fetch_add(1, std::memory_order_release);
  if (jobs_.size() <= idle_workers_) {
    work_.notify_one();
    return;
  }
  try {
    ++idle_workers_;
    workers_.emplace_back([this] { work(); });
  } catch (const std::system_error& e) {
    --idle_workers_;
    jobs_.pop_back();
    exits_.push_back({raw->id, StepResult::failure("refused", std::string("cannot start a thread: ") + e.what())});
  }
}

void Supervisor::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return quitting_ || !jobs_.empty(); });
    if (quitting_) return;
    Instance* instance = jobs_.front();
    jobs_.pop_front();
    --idle_workers_;
    lock.unlock();
    StepResult result = run_instance(*instance);
    lock.lock();
    // Idle again before the exit is seen, so the restart finds this worker.
    ++idle_workers_;
    exits_.push_back({instance->id, std::move(result)});
    news_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
    spin_for_news(lock);
  }
}

// A short busy wait for the next exit, stop or queued child before the
// caller sleeps on a condition variable: a crash loop's exit -> decision ->
// restart hand-offs then cost no sleep and wake-up (as BEAM's schedulers
// spin before they sleep). Bounded, so an idle tree costs nothing.
void Supervisor::spin_for_news(std::unique_lock<std::mutex>& lock) {
  uint64_t seen = news_.load(std::memory_order_acquire);
  lock.unlock();
  auto until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  while (news_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  lock.lock();
}

StepResult Supervisor::run_instance(Instance& instance) {
  try {
    switch (instance.kind) {
      case ChildKind::kAgent: {
        StepCall call;
        call.agent = instance.name;
        call.actor = "supervisor:" + spec_.name;
        call.cancel = &instance.cancel;
        return context_.runner.run(call);
      }
      case ChildKind::kSupervisor: {
        SupervisorOutcome outcome = instance.sub->run();
        switch (outcome.end) {
          case SupervisorEnd::kCompleted: return StepResult::success("");
          case SupervisorEnd::kEscalated: return StepResult::failure("escalated", outcome.report);
          case SupervisorEnd::kStopped: return StepResult::failure("cancelled", outcome.report);
        }
        break;
      }
      case ChildKind::kWorkflow:
        if (!context_.run_workflow) {
          return StepResult::failure("refused", "workflow children arrive with the workflow engine");
        }
        return context_.run_workflow(instance.name, instance.cancel);
    }
  } catch (const std::exception& e) {
    // An exception is a bug (STYLE.md rule 6); it must not end the process
    // from a worker thread, so it ends the child.
    return StepResult::failure("internal", std::string("the child's runner threw: ") + e.what());
  } catch (...) {
    return StepResult::failure("internal", "the child's runner threw");
  }
  return StepResult::failure("internal", "unknown child kind");
}

std::optional<Supervisor::Exit> Supervisor::take_exit_of(uint64_t instance) {
  auto found = std::find_if(exits_.begin(), exits_.end(), [instance](const Exit& e) { return e.instance == instance; });
  if (found == exits_.end()) return std::nullopt;
  Exit exit = std::move(*found);
  exits_.erase(found);
  return exit;
}

bool Supervisor::has_busy_workers() const {
  std::lock_guard lock(mutex_);
  return idle_workers_ < workers_.size();
}

// Called once the instance's exit is taken: its worker is done with it.
void Supervisor::reap(uint64_t instance) { instances_.erase(instance); }

void Supervisor::handle_exit(std::unique_lock<std::mutex>& lock, Exit exit) {
  auto found = instances_.find(exit.instance);
  if (found == instances_.end()) return;
  size_t index = found->second->slot;
  reap(exit.instance);
  Slot& slot = slots_[index];
  if (slot.instance != exit.instance) return;  // an abandoned (killed) instance ended late
  slot.instance = 0;

  ExitKind kind = classify_exit(exit.result);
  RestartDecision decision = decide_restart(slot.spec.restart, kind);
  const char* decided = decision == RestartDecision::kRestart ? "restart"
                        : decision == RestartDecision::kPause ? "pause"
                                                              : "none";
  if (kind != ExitKind::kNormal) {
    slot.last_error = describe(exit.result);
    emit({ev::kChildFailed, spec_.name, slot.spec.name, slot.spec.kind,
          {{"error", exit.result.error},
           {"message", exit.result.message},
           {"paused", kind == ExitKind::kPaused},
           {"restart", decided}}});
  }
  switch (decision) {
    case RestartDecision::kLeave:
      slot.state = kind == ExitKind::kNormal ? st::kCompleted : st::kFailed;
      emit({ev::kChildStopped, spec_.name, slot.spec.name, slot.spec.kind, {{"reason", slot.state}}});
      return;
    case RestartDecision::kPause:
      slot.state = st::kPaused;
      slot.pause_check_at = context_.clock.now_ms() + context_.pause_poll.count();
      return;
    case RestartDecision::kRestart:
      break;
  }

  int64_t now = context_.clock.now_ms();
  if (!intensity_.add_restart(now)) {
    slot.state = st::kFailed;
    escalate(index, intensity_.in_window(now));
    return;
  }
  // The backoff's quiet period is the restart window: a child that stayed
  // up for a whole window starts again from the first delay.
  if (now - slot.started_ms >= spec_.restart_window.count()) slot.attempt = 0;
  ++slot.attempt;
  int64_t delay = spec_.backoff ? backoff_delay(*spec_.backoff, slot.attempt, random_unit()).count() : 0;

  std::vector<size_t> group = restart_group(spec_.strategy, index, slots_.size());
  // Which siblings come back: those that were running or about to restart,
  // unless they are temporary (never restarted).
  std::vector<bool> again(slots_.size(), false);
  for (size_t j : group) {
    const Slot& member = slots_[j];
    bool live = member.instance != 0 || member.restart_at.has_value();
    again[j] = j == index || (live && member.spec.restart != project::RestartType::kTemporary);
  }
  // The failed child waits for its restart while its siblings are stopped
  // (in reverse start order); they all start again together, in order.
  slot.state = st::kRestarting;
  slot.restart_at = now + delay;
  slot.restart_reason = kind == ExitKind::kNormal ? "completed" : "failed";
  for (auto it = group.rbegin(); it != group.rend(); ++it) {
    if (*it != index && slots_[*it].instance != 0) stop_child(lock, *it, "restart");
  }
  for (size_t j : group) {
    if (j == index) continue;
    Slot& member = slots_[j];
    if (!again[j]) {
      if (member.restart_at) {
        member.restart_at.reset();
        member.state = st::kStopped;
      }
      continue;
    }
    member.attempt = slot.attempt;
    member.state = st::kRestarting;
    member.restart_at = now + delay;
    member.restart_reason = "sibling " + slot.spec.name + " " + slot.restart_reason;
  }
}

bool Supervisor::stop_child(std::unique_lock<std::mutex>& lock, size_t index, const char* reason) {
  Slot& slot = slots_[index];
  if (slot.instance == 0) return true;
  uint64_t id = slot.instance;
  Instance& instance = *instances_.at(id);
  instance.cancel = true;
  if (instance.sub) instance.sub->request_stop();
  int64_t deadline = slot.spec.shutdown ? context_.clock.now_ms() + slot.spec.shutdown->count() : kNoDeadline;
  for (;;) {
    if (auto exit = take_exit_of(id)) {
      reap(id);
      slot.instance = 0;
      slot.state = st::kStopped;
      emit({ev::kChildStopped, spec_.name, slot.spec.name, slot.spec.kind, {{"reason", reason}, {"killed", false}}});
      return true;
    }
    if (context_.clock.now_ms() >= deadline) {
      // Left running (abandoned): reaped when its exit comes, its worker
      // joined by the destructor.
      slot.instance = 0;
      slot.state = st::kKilled;
      outcome_.killed.push_back(slot.spec.name);
      emit({ev::kChildStopped, spec_.name, slot.spec.name, slot.spec.kind,
            {{"reason", reason}, {"killed", true}, {"shutdown_ms", slot.spec.shutdown->count()}}});
      return false;
    }
    context_.clock.wait_until(lock, wake_, deadline);
  }
}

void Supervisor::stop_all(std::unique_lock<std::mutex>& lock) {
  for (size_t i = slots_.size(); i-- > 0;) {
    Slot& slot = slots_[i];
    if (slot.instance != 0) {
      stop_child(lock, i, "shutdown");
    } else if (slot.restart_at || slot.pause_check_at || slot.state == st::kPending) {
      slot.restart_at.reset();
      slot.pause_check_at.reset();
      slot.state = st::kStopped;
    }
  }
}

void Supervisor::fire_timers(std::unique_lock<std::mutex>& lock) {
  for (size_t i = 0; i < slots_.size() && !stop_requested_; ++i) {
    Slot& slot = slots_[i];
    int64_t now = context_.clock.now_ms();
    if (slot.restart_at && *slot.restart_at <= now) {
      slot.restart_at.reset();
      start_child(lock, i, true);
    } else if (slot.pause_check_at && *slot.pause_check_at <= now) {
      // The hook reads the registry: not under our lock. Only this thread
      // changes the slot, so it is still paused when the lock is back.
      std::string name = slot.spec.name;
      lock.unlock();
      bool paused = context_.still_paused ? context_.still_paused(name) : true;
      lock.lock();
      if (stop_requested_) break;  // stop_all clears the pause
      if (paused) {
        slot.pause_check_at = context_.clock.now_ms() + context_.pause_poll.count();
      } else {
        slot.pause_check_at.reset();
        slot.restart_reason = "resumed";
        start_child(lock, i, true);
      }
    }
  }
}

bool Supervisor::nothing_left() const {
  return std::all_of(slots_.begin(), slots_.end(), [](const Slot& slot) {
    return slot.instance == 0 && !slot.restart_at && !slot.pause_check_at;
  });
}

int64_t Supervisor::next_deadline() const {
  int64_t deadline = kNoDeadline;
  for (const Slot& slot : slots_) {
    if (slot.restart_at) deadline = std::min(deadline, *slot.restart_at);
    if (slot.pause_check_at) deadline = std::min(deadline, *slot.pause_check_at);
  }
  return deadline;
}

void Supervisor::escalate(size_t index, size_t restarts) {
  const Slot& slot = slots_[index];
  outcome_.end = SupervisorEnd::kEscalated;
  outcome_.child = slot.spec.name;
  outcome_.restarts = restarts;
  outcome_.window = spec_.restart_window;
  outcome_.report = "supervisor " + spec_.name + " gave up: " + std::to_string(restarts) + " restarts within " +
                    format_duration(spec_.restart_window) + " (maxRestarts " + std::to_string(spec_.max_restarts) +
                    "); the last: " + std::string(child_kind_name(slot.spec.kind)) + " " + slot.spec.name +
                    " failed: " + slot.last_error;
  emit({ev::kEscalated, spec_.name, slot.spec.name, slot.spec.kind,
        {{"child", slot.spec.name},
         {"restarts", restarts},
         {"restart_window_ms", spec_.restart_window.count()},
         {"max_restarts", spec_.max_restarts},
         {"error", slot.last_error},
         {"report", outcome_.report}}});
}

void Supervisor::emit(SupervisorEvent event) {
  if (context_.listener) pending_events_.push_back(std::move(event));
}

void Supervisor::flush_events(std::unique_lock<std::mutex>& lock) {
  if (pending_events_.empty()) return;
  std::vector<SupervisorEvent> events;
  events.swap(pending_events_);
  lock.unlock();
  for (const auto& e : events) context_.listener->on_event(e);
  lock.lock();
}

double Supervisor::random_unit() {
  if (context_.random) return context_.random();
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator_);
}

Status Supervisor::check_invariants() const {
  std::lock_guard lock(mutex_);
  return check_locked();
}

Status Supervisor::check_locked() const {
  auto broken = [this](int rule, const std::string& what) {
    return Error(Code::kInternal, "invariant " + std::to_string(rule) + " broken: " + what, spec_.name);
  };
  // 1. children are kept in start (declared) order
  if (slots_.size() != spec_.children.size()) return broken(1, "a child was added or lost");
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].spec.name != spec_.children[i].name) return broken(1, "children out of start order");
  }
  for (const Slot& slot : slots_) {
    // 2. a child is `running` exactly when it has a current instance
    if ((slot.state == st::kRunning) != (slot.instance != 0)) {
      return broken(2, slot.spec.name + " is " + slot.state + " with" + (slot.instance ? "" : "out") + " an instance");
    }
    // 3. `restarting` exactly when a restart time is set, `paused` when a pause check is
    if ((slot.state == st::kRestarting) != slot.restart_at.has_value()) {
      return broken(3, slot.spec.name + " is " + slot.state + " with a restart time: " +
                           (slot.restart_at ? "yes" : "no"));
    }
    if ((slot.state == st::kPaused) != slot.pause_check_at.has_value()) {
      return broken(3, slot.spec.name + " is " + slot.state + " with a pause check: " +
                           (slot.pause_check_at ? "yes" : "no"));
    }
  }
  // 4. the window holds times within restartWindow of the newest, oldest
  //    first, at most maxRestarts + 1
  const auto& times = intensity_.times();
  if (times.size() > static_cast<size_t>(intensity_.max_restarts()) + 1) return broken(4, "too many restart times");
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] < times[i - 1]) return broken(4, "restart times out of order");
  }
  if (!times.empty() && times.back() - times.front() >= intensity_.window().count()) {
    return broken(4, "a restart time older than the window");
  }
  return ok();
}

void Supervisor::debug_check() const {
#ifndef NDEBUG
  auto status = check_locked();
  if (!status) {
    std::fprintf(stderr, "naos: %s\n", status.error().to_string().c_str());
    assert(false && "Supervisor invariant broken");
  }
#endif
}

}  // namespace naos::orchestration
