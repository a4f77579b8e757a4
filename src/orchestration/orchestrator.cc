#include "orchestration/orchestrator.h"

#include <thread>

#include "base/bytes_json.h"
#include "orchestration/replay.h"

namespace naos::orchestration {

bool is_terminal(const std::string& run_state) {
  return run_state == state::kCompleted || run_state == state::kFailed || run_state == state::kRolledBack ||
         run_state == state::kPartial || run_state == state::kAbandoned;
}

bool SystemWaiter::wait(std::chrono::milliseconds delay, const std::atomic<bool>* cancel) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel && cancel->load()) return false;
    std::this_thread::sleep_until(std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(10)));
  }
  return !(cancel && cancel->load());
}

Orchestrator::Orchestrator(const project::Config& config, Journal& journal, StepRunner& runner,
                           governance::AuditLog* audit, Waiter& waiter)
    : config_(config), journal_(journal), runner_(runner), audit_(audit), waiter_(waiter) {}

namespace {

RunResult result_of(const RunRecord& run) {
  return RunResult{run.id, run.kind, run.name, run.state, run.output, run.error, false};
}

}  // namespace

void Orchestrator::audit(const RunRecord& run, const std::string& type, nlohmann::json payload, bool wait) {
  if (!audit_) return;
  payload["run"] = run.id;
  std::string agent = payload.value("agent", "");
  auto done = audit_->append_async({run.kind + ":" + run.name, agent, run.kind + "." + type, std::move(payload)});
  // The audit writer commits in order: waiting for a run's last event makes
  // every earlier one durable too.
  if (wait) done.get().ignore_error();
}

Result<RunResult> Orchestrator::run_workflow(const std::string& name, const std::string& input, const std::string& id,
                                             const std::atomic<bool>* cancel, const OnDriving& driving) {
  return start("workflow", name, input, id, "", cancel, driving);
}

Result<RunResult> Orchestrator::run_saga(const std::string& name, const std::string& input, const std::string& id,
                                         const std::atomic<bool>* cancel, const OnDriving& driving) {
  return start("saga", name, input, id, "", cancel, driving);
}

Result<RunResult> Orchestrator::start(const std::string& kind, const std::string& name, const std::string& input,
                                      const std::string& id, const std::string& parent,
                                      const std::atomic<bool>* cancel, const OnDriving& driving) {
  bool known = kind == "workflow" ? config_.workflows.count(name) > 0 : config_.sagas.count(name) > 0;
  if (!known) return Error(Code::kNotFound, "no " + kind + " of this name in the config", name);
  if (!id.empty()) {
    NAOS_ASSIGN_OR_RETURN(auto existing, journal_.find_run(id));
    if (existing) {
      if (existing->kind != kind || existing->name != name) {
        return Error(Code::kInvalidArgument,
                     "the id belongs to a run of " + existing->kind + " " + existing->name, id);
      }
      if (is_terminal(existing->state) || existing->state == state::kCompensationFailed) {
        RunResult reused = result_of(*existing);
        reused.reused = true;
        return reused;
      }
      // Unfinished: its process died (or it is nested in a run being resumed).
      NAOS_TRY(journal_.claim_run(id, Journal::this_process()));
      existing->owner = Journal::this_process();
      audit(*existing, "resumed", {{"detail", "resumed " + id}});
      if (driving) driving(*existing);
      return drive(std::move(*existing), cancel);
    }
  }
  RunRecord run;
  run.id = id.empty() ? new_run_id(kind, name) : id;
  run.kind = kind;
  run.name = name;
  run.parent = parent;
  run.state = state::kRunning;
  run.input = input;
  run.owner = Journal::this_process();
  // One unfinished run per saga at a time (SAGA_ALREADY_RUNNING).
  NAOS_TRY(journal_.create_run(run, /*exclusive=*/kind == "saga" && parent.empty()));
  audit(run, "started", {{"detail", "run " + run.id}, {"input_bytes", input.size()}});
  if (driving) driving(run);
  return drive(std::move(run), cancel);
}

Result<RunResult> Orchestrator::drive(RunRecord run, const std::atomic<bool>* cancel) {
  // An exception here is a bug in naos. The run must not stay `running`
  // forever (a saga would refuse every later start): it ends, with the
  // reason. A saga first rolls back what it completed, if that can run.
  auto internal = [](const char* what) { return std::string("INTERNAL: ") + what; };
  std::string why;
  try {
    return drive_unguarded(run, cancel);
  } catch (const std::exception& e) {
    why = internal(e.what());
  } catch (...) {
    why = internal("an exception of unknown type");
  }
  if (run.kind == "saga") {
    auto saga = config_.sagas.find(run.name);
    try {
      if (saga != config_.sagas.end() && run.state != state::kCompensating) {
        NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", why, run.owner));
        run.state = state::kCompensating;
        run.error = why;
        return compensate(saga->second, run, cancel);
      }
    } catch (const std::exception& e) {
      why += "; then, compensating: " + internal(e.what());
    } catch (...) {
      why += "; then, compensating: " + internal("an exception of unknown type");
    }
  }
  return finish(run, state::kFailed, "", why);
}

Result<RunResult> Orchestrator::drive_unguarded(RunRecord& run, const std::atomic<bool>* cancel) {
  if (run.kind == "workflow") {
    auto found = config_.workflows.find(run.name);
    if (found == config_.workflows.end()) {
      return Error(Code::kFailedPrecondition, "workflow " + run.name + " is no longer in the config", run.id);
    }
    return drive_workflow(found->second, run, cancel);
  }
  if (run.kind == "saga") {
    auto found = config_.sagas.find(run.name);
    if (found == config_.sagas.end()) {
      return Error(Code::kFailedPrecondition, "saga " + run.name + " is no longer in the config", run.id);
    }
    if (run.state == state::kCompensating) return compensate(found->second, run, cancel);
    return drive_saga(found->second, run, cancel);
  }
  return Error(Code::kInvalidArgument, "runs of kind " + run.kind + " are resumed by their own engine", run.id);
}

Result<RunResult> Orchestrator::finish(RunRecord& run, const std::string& final_state, const std::string& output,
                                       const std::string& error) {
  NAOS_TRY(journal_.update_run(run.id, final_state, output, error, ""));
  run.state = final_state;
  run.output = output;
  run.error = error;
  run.owner.clear();
  nlohmann::json payload = {{"detail", run.id + " " + final_state}};
  if (!error.empty()) payload["error"] = error;
  audit(run, final_state, std::move(payload), /*wait=*/true);
  return result_of(run);
}

Result<RunResult> Orchestrator::resume(const std::string& run_id, const std::atomic<bool>* cancel,
                                       const OnDriving& driving) {
  NAOS_ASSIGN_OR_RETURN(auto found, journal_.find_run(run_id));
  if (!found) return Error(Code::kNotFound, "no such run", run_id);
  RunRecord run = std::move(*found);
  if (run.state == state::kCompensationFailed) {
    return Error(Code::kFailedPrecondition,
                 "a compensation failed; use `naos saga retry-compensation` or `naos saga resolve`", run_id);
  }
  bool restart_failed = run.kind == "workflow" && run.state == state::kFailed;
  if (is_terminal(run.state) && !restart_failed) {
    return Error(Code::kFailedPrecondition, "the run is finished (" + run.state + ")", run_id);
  }
  NAOS_TRY(journal_.claim_run(run.id, Journal::this_process()));
  run.owner = Journal::this_process();
  if (restart_failed) {
    // Failures so far no longer count: the failed step gets its attempts again.
    NAOS_TRY(journal_.append({0, run.id, -1, "", entry::kRunResumed, 0, {{"from", run.state}}, 0}));
    NAOS_TRY(journal_.update_run(run.id, state::kRunning, "", "", run.owner));
    run.state = state::kRunning;
    run.error.clear();
  }
  audit(run, "resumed", {{"detail", "resumed " + run.id}});
  if (driving) driving(run);
  return drive(std::move(run), cancel);
}

Result<std::vector<RunResult>> Orchestrator::resume_unfinished(const std::atomic<bool>* cancel) {
  RunFilter filter;
  filter.states = {state::kRunning, state::kCompensating};
  filter.top_level_only = true;
  NAOS_ASSIGN_OR_RETURN(auto runs, journal_.runs(filter));
  std::vector<RunResult> out;
  for (auto& run : runs) {
    if (run.kind != "workflow" && run.kind != "saga") continue;
    if (Journal::owner_alive(run.owner) && run.owner != Journal::this_process()) continue;
    NAOS_ASSIGN_OR_RETURN(auto resumed, resume(run.id, cancel));
    out.push_back(std::move(resumed));
    if (cancel && cancel->load()) break;
  }
  return out;
}

Result<std::optional<RunRecord>> Orchestrator::latest(const std::string& kind, const std::string& name) {
  RunFilter filter;
  filter.kind = kind;
  filter.name = name;
  filter.top_level_only = true;
  filter.limit = 1;
  NAOS_ASSIGN_OR_RETURN(auto runs, journal_.runs(filter));
  if (runs.empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs.back()));
}

StepResult Orchestrator::run_target(const std::string& target, const std::string& input, const RunRecord& parent,
                                    const std::string& step_name, uint32_t attempt,
                                    std::optional<std::chrono::milliseconds> timeout,
                                    const std::string& idempotency_key, const std::atomic<bool>* cancel) {
  if (config_.agents.count(target)) {
    return runner_.run(StepCall{target, input, timeout, idempotency_key, parent.kind + ":" + parent.name, cancel});
  }
  // Nested: a deterministic id per attempt, so a resumed parent finds (and
  // resumes) the child it was waiting for, and a retry starts a fresh one.
  std::string child_id = parent.id + "/" + step_name + "#" + std::to_string(attempt);
  if (auto pool = config_.pools.find(target); pool != config_.pools.end()) {
    if (!pools_) return StepResult::failure("refused", "pools cannot run as steps here");
    auto ran = pools_(pool->second, child_id, input, parent.id, cancel);
    if (!ran) return StepResult::failure("refused", ran.error().to_string());
    if (ran->state == state::kFailed) return StepResult::failure("pool_failed", ran->error);
    if (ran->state != state::kCompleted && ran->state != state::kPartial) {
      return StepResult::failure("cancelled", "pool " + target + " stopped: " + ran->error);
    }
    return StepResult::success(ran->output);
  }
  std::string kind = config_.workflows.count(target) ? "workflow" : config_.sagas.count(target) ? "saga" : "";
  if (kind.empty()) return StepResult::failure("refused", "no agent, workflow, saga or pool named " + target);
  auto ran = start(kind, target, input, child_id, parent.id, cancel);
  if (!ran) return StepResult::failure("refused", ran.error().to_string());
  if (ran->state == state::kCompleted) return StepResult::success(ran->output);
  if (ran->state == state::kRunning) return StepResult::failure("cancelled", kind + " " + target + " was stopped");
  return StepResult::failure(ran->state, kind + " " + target + " ended " + ran->state + ": " + ran->error);
}

StepResult Orchestrator::attempt_step(const RunRecord& run, int index, const std::string& step_name,
                                      const std::string& target, const std::string& input, const RetryPolicy& policy,
                                      uint32_t prior_failures, std::optional<std::chrono::milliseconds> timeout,
                                      bool compensation, const std::atomic<bool>* cancel) {
  const char* started = compensation ? entry::kCompensationStarted : entry::kStepStarted;
  const char* completed = compensation ? entry::kCompensationCompleted : entry::kStepCompleted;
  const char* failed = compensation ? entry::kCompensationFailed : entry::kStepFailed;
  std::string key = run.id + "/" + step_name + (compensation ? "/compensate" : "");
  std::string nested_name = compensation ? step_name + ".compensate" : step_name;
  uint32_t attempt = prior_failures;
  for (;;) {
    ++attempt;
    journal_.append(
                {0, run.id, index, step_name, started, static_cast<int>(attempt), {{"input", bytes_json(input)}}, 0},
                Wait::kQueued)
        .ignore_error();
    StepResult result = run_target(target, input, run, nested_name, attempt, timeout, key, cancel);
    if (result.ok) {
      auto written = journal_.append({0, run.id, index, step_name, completed, static_cast<int>(attempt),
                                      {{"input", bytes_json(input)}, {"output", bytes_json(result.output)}}, 0});
      if (!written) return StepResult::failure("refused", "could not journal the step: " + written.error().to_string());
      return result;
    }
    // A stop by the operator is not the step's failure: it runs again on resume.
    if (result.error == "cancelled") return result;
    bool again = policy.retries(result.error, attempt);
    nlohmann::json data = {{"error", result.error}, {"message", bytes_json(result.message)}, {"final", !again}};
    auto written =
        journal_.append({0, run.id, index, step_name, failed, static_cast<int>(attempt), std::move(data), 0});
    if (!written) return StepResult::failure("refused", "could not journal the step: " + written.error().to_string());
    if (!again) return result;
    if (!waiter_.wait(policy.delay_after(attempt), cancel)) {
      return StepResult::failure("cancelled", "stopped while waiting to retry");
    }
  }
}

}  // namespace naos::orchestration
