// Orchestrator: sagas (see orchestrator.h for the rules).
#include <future>

#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "orchestration/orchestrator.h"
#include "orchestration/replay.h"

namespace naos::orchestration {

Result<RunResult> Orchestrator::drive_saga(const project::SagaConfig& saga, RunRecord& run,
                                           const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run.id));
  Replay replay = Replay::of(entries);
  std::string last_output;
  Clock& clock = journal_.clock();
  for (size_t i = 0; i < saga.steps.size(); ++i) {
    const project::SagaStep& step = saga.steps[i];
    int index = static_cast<int>(i);
    const StepReplay& done = replay.at(index);
    if (done.completed) {
      last_output = done.output;
      continue;
    }
    StepResult result;
    std::optional<std::chrono::milliseconds> timeout = step.timeout ? step.timeout : saga.step_timeout;
    if (saga.timeout) {
      auto left = std::chrono::milliseconds(run.created_ms + saga.timeout->count() - clock.now_ms());
      if (left.count() <= 0) {
        result = StepResult::failure("saga_timeout", "the saga ran past its timeout of " +
                                                         std::to_string(saga.timeout->count()) + " ms");
      } else if (!timeout || *timeout > left) {
        timeout = left;
      }
    }
    if (done.failed_final) {
      result = StepResult::failure(done.error, done.message);  // failed for good before a crash
    } else if (result.error.empty()) {
      result = attempt_step(run, index, step.name, step.agent, run.input, saga_step_policy(step), done.failures,
                            timeout, /*compensation=*/false, cancel);
    }
    if (result.ok) {
      audit(run, "step_completed", {{"step", step.name}, {"agent", step.agent}, {"detail", step.name}});
      last_output = std::move(result.output);
      continue;
    }
    if (result.error == "cancelled") {
      NAOS_TRY(journal_.update_run(run.id, state::kRunning, "", "", ""));
      return RunResult{run.id, run.kind, run.name, state::kRunning, "", "stopped at step " + step.name, false};
    }
    if (!done.failed_final && result.error == "saga_timeout") {
      nlohmann::json data = {{"error", result.error}, {"message", bytes_json(result.message)}, {"final", true}};
      NAOS_TRY(journal_.append({0, run.id, index, step.name, entry::kStepFailed, 0, std::move(data), 0}));
    }
    audit(run, "step_failed", {{"step", step.name}, {"agent", step.agent}, {"error", result.error},
                               {"detail", step.name + ": " + result.error + ": " + result.message}});
    std::string why = "step " + step.name + " failed: " + result.error + ": " + result.message;
    NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", why, run.owner));
    run.state = state::kCompensating;
    run.error = why;
    return compensate(saga, run, cancel);
  }
  return finish(run, state::kCompleted, last_output, "");
}

Result<RunResult> Orchestrator::compensate(const project::SagaConfig& saga, RunRecord& run,
                                           const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run.id));
  Replay replay = Replay::of(entries);
  RetryPolicy policy = compensation_policy(saga);
  // Why the saga rolls back: the forward step that failed for good (kept
  // across retry-compensation, whose run.resumed resets only attempt counts).
  std::string why = run.error;
  for (const auto& e : entries) {
    if (e.event == entry::kStepFailed && e.data.value("final", false)) {
      why = "step " + e.step_name + " failed: " + bytes_field(e.data, "error") + ": " + bytes_field(e.data, "message");
    }
  }

  // Completed steps still to undo, newest first. The failed step is not
  // compensated (it did not complete); steps without `compensate` are skipped.
  std::vector<int> to_undo;
  for (int i = static_cast<int>(saga.steps.size()) - 1; i >= 0; --i) {
    const StepReplay& done = replay.at(i);
    if (!done.completed || done.compensated || done.resolved) continue;
    if (saga.steps[i].compensate.empty()) continue;
    to_undo.push_back(i);
  }

  auto undo = [&](int index) {
    const project::SagaStep& step = saga.steps[index];
    const StepReplay& done = replay.at(index);
    // The step's input and output are bytes: a string when UTF-8, else {"base64": ...}.
    nlohmann::json input = {
        {"saga", run.id}, {"step", step.name}, {"input", bytes_json(done.input)}, {"output", bytes_json(done.output)}};
    return attempt_step(run, index, step.name, step.compensate, input.dump(), policy, done.compensation_failures,
                        std::nullopt, /*compensation=*/true, cancel);
  };
  std::vector<std::pair<int, StepResult>> results;
  if (saga.parallel_compensation && to_undo.size() > 1) {
    std::vector<std::future<StepResult>> running;
    for (int index : to_undo) running.push_back(std::async(std::launch::async, undo, index));
    for (size_t i = 0; i < to_undo.size(); ++i) results.emplace_back(to_undo[i], running[i].get());
  } else {
    for (int index : to_undo) {
      results.emplace_back(index, undo(index));
      const StepResult& last = results.back().second;
      if (!last.ok && (last.error == "cancelled" || !saga.continue_on_compensation_error)) break;
    }
  }

  std::vector<std::string> failures;
  bool stopped = false;
  for (const auto& [index, result] : results) {
    const project::SagaStep& step = saga.steps[index];
    if (result.ok) {
      audit(run, "compensated", {{"step", step.name}, {"agent", step.compensate}, {"detail", step.name}});
    } else if (result.error == "cancelled") {
      stopped = true;
    } else {
      failures.push_back(step.name + " (" + step.compensate + ": " + result.error + ": " + result.message + ")");
    }
  }
  if (!failures.empty()) {
    std::string what = "compensation failed for step ";
    for (size_t i = 0; i < failures.size(); ++i) what += (i ? ", " : "") + failures[i];
    what += " after " + std::to_string(policy.max_attempts) + " attempts, rolling back after " + why +
            ". Fix it, then `naos saga retry-compensation " + run.name + " --step N` or `naos saga resolve " +
            run.name + " --step N`";
    return finish(run, state::kCompensationFailed, "", what);
  }
  if (stopped) {
    NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", why, ""));
    return RunResult{run.id, run.kind, run.name, state::kCompensating, "", "stopped while compensating", false};
  }
  return finish(run, state::kRolledBack, "", why);
}

// The run and saga of an operator's fix: a saga run in compensation_failed
// whose step `step` failed its compensation for good.
struct Orchestrator::FailedCompensation {
  RunRecord run;
  const project::SagaConfig* saga = nullptr;
  std::string step_name;
};

Result<Orchestrator::FailedCompensation> Orchestrator::failed_compensation(const std::string& run_id, int step) {
  NAOS_ASSIGN_OR_RETURN(auto found, journal_.find_run(run_id));
  if (!found) return Error(Code::kNotFound, "no such run", run_id);
  if (found->kind != "saga" || found->state != state::kCompensationFailed) {
    return Error(Code::kFailedPrecondition, "the run has no failed compensation (it is " + found->state + ")",
                 run_id);
  }
  auto saga = config_.sagas.find(found->name);
  if (saga == config_.sagas.end()) {
    return Error(Code::kFailedPrecondition, "saga " + found->name + " is not in the config");
  }
  NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run_id));
  const Replay replay = Replay::of(entries);
  const StepReplay& target = replay.at(step);
  if (!target.compensation_failed_final || target.compensated || target.resolved) {
    return Error(Code::kInvalidArgument, "step " + std::to_string(step) + " has no failed compensation", run_id);
  }
  NAOS_TRY(journal_.claim_run(run_id, Journal::this_process()));
  return FailedCompensation{std::move(*found), &saga->second, target.name};
}

Result<RunResult> Orchestrator::retry_compensation(const std::string& run_id, int step,
                                                   const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(auto fix, failed_compensation(run_id, step));
  RunRecord& run = fix.run;
  NAOS_TRY(journal_.append({0, run.id, -1, "", entry::kRunResumed, 0, {{"retry_compensation", step}}, 0}));
  NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", run.error, Journal::this_process()));
  run.state = state::kCompensating;
  audit(run, "resumed", {{"detail", "retrying the compensation of " + fix.step_name}});
  return compensate(*fix.saga, run, cancel);
}

Result<RunResult> Orchestrator::resolve(const std::string& run_id, int step, const std::string& actor,
                                        const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(auto fix, failed_compensation(run_id, step));
  RunRecord& run = fix.run;
  NAOS_TRY(journal_.append({0, run.id, step, fix.step_name, entry::kStepResolved, 0, {{"by", actor}}, 0}));
  NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", run.error, Journal::this_process()));
  run.state = state::kCompensating;
  audit(run, "resolved", {{"step", fix.step_name}, {"by", actor}, {"detail", fix.step_name + " resolved by " + actor}});
  return compensate(*fix.saga, run, cancel);
}

Status Orchestrator::reset_saga(const std::string& name, const std::string& actor) {
  if (!config_.sagas.count(name)) return Error(Code::kNotFound, "no saga of this name in the config", name);
  RunFilter filter;
  filter.kind = "saga";
  filter.name = name;
  filter.top_level_only = true;
  filter.states = {state::kRunning, state::kCompensating, state::kCompensationFailed};
  NAOS_ASSIGN_OR_RETURN(auto runs, journal_.runs(filter));
  for (auto& run : runs) {
    if (!run.owner.empty() && run.owner != Journal::this_process() && Journal::owner_alive(run.owner)) {
      return Error(Code::kFailedPrecondition, "run " + run.id + " is being driven by process " + run.owner, name);
    }
    NAOS_TRY(journal_.update_run(run.id, state::kAbandoned, run.output,
                                 "reset by " + actor + " while " + run.state + (run.error.empty() ? "" : ": " + run.error),
                                 ""));
    audit(run, "reset", {{"detail", run.id + " abandoned (was " + run.state + ")"}, {"by", actor}}, true);
  }
  return ok();
}

}  // namespace naos::orchestration
