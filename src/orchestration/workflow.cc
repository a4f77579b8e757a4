// Orchestrator: workflows (see orchestrator.h for the rules).
#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "orchestration/orchestrator.h"
#include "orchestration/replay.h"

namespace naos::orchestration {
namespace {

// The step's input: the previous output, or the part of it `pointer` selects
// (a string value as is, anything else as JSON text).
Result<std::string> select_input(const std::string& previous, const std::optional<std::string>& pointer) {
  if (!pointer || pointer->empty()) return previous;
  auto json = nlohmann::json::parse(previous, nullptr, false);
  if (json.is_discarded()) return Error(Code::kInvalidArgument, "input: " + *pointer + " needs JSON, got \"" +
                                                                    previous.substr(0, 60) + "\"");
  nlohmann::json::json_pointer at(*pointer);
  if (!json.contains(at)) return Error(Code::kInvalidArgument, "input: " + *pointer + " is not in the previous output");
  const auto& value = json.at(at);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool truthy(const nlohmann::json& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string()) return !value.get<std::string>().empty();
  return true;
}

// A step's `condition:` against its input; a missing value or non-JSON input is false.
bool holds(const project::StepCondition& condition, const std::string& input) {
  using Op = project::StepCondition::Op;
  auto json = nlohmann::json::parse(input, nullptr, false);
  nlohmann::json::json_pointer at(condition.pointer);
  bool present = !json.is_discarded() && json.contains(at);
  nlohmann::json value = present ? json.at(at) : nlohmann::json();
  switch (condition.op) {
    case Op::kTruthy: return present && truthy(value);
    case Op::kFalsy: return !(present && truthy(value));
    case Op::kEquals: return present && value == nlohmann::json::parse(condition.literal);
    case Op::kNotEquals: return !(present && value == nlohmann::json::parse(condition.literal));
  }
  return false;
}

}  // namespace

Result<RunResult> Orchestrator::drive_workflow(const project::WorkflowConfig& workflow, RunRecord& run,
                                               const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(auto entries, journal_.entries(run.id));
  Replay replay = Replay::of(entries);
  std::string current = run.input;
  for (size_t i = 0; i < workflow.steps.size(); ++i) {
    const project::WorkflowStep& step = workflow.steps[i];
    int index = static_cast<int>(i);
    const StepReplay& done = replay.at(index);
    if (done.completed) {
      current = done.output;
      continue;
    }
    if (done.skipped) {
      current = done.passed_on;
      continue;
    }
    project::OnError on_error = step.on_error.value_or(workflow.on_error);
    StepResult result;
    if (done.failed_final) {
      // Failed for good before a crash; what follows is decided by onError.
      result = StepResult::failure(done.error, done.message);
    } else if (auto input = select_input(current, step.input); !input) {
      result = StepResult::failure("input_mapping", input.error().message());
      nlohmann::json data = {{"error", result.error}, {"message", bytes_json(result.message)}, {"final", true}};
      NAOS_TRY(journal_.append({0, run.id, index, step.name, entry::kStepFailed, 1, std::move(data), 0}));
    } else if (step.condition && !holds(*step.condition, *input)) {
      nlohmann::json data = {
          {"reason", "condition"}, {"condition", step.condition->text}, {"output", bytes_json(current)}};
      NAOS_TRY(journal_.append({0, run.id, index, step.name, entry::kStepSkipped, 0, std::move(data), 0}));
      audit(run, "step_skipped", {{"step", step.name}, {"detail", step.name + ": condition " + step.condition->text +
                                                                       " is false"}});
      continue;
    } else {
      result = attempt_step(run, index, step.name, step.agent, *input, workflow_step_policy(workflow, step),
                            done.failures, step.timeout, /*compensation=*/false, cancel);
    }
    if (result.ok) {
      audit(run, "step_completed", {{"step", step.name}, {"agent", step.agent}, {"detail", step.name}});
      current = std::move(result.output);
      continue;
    }
    if (result.error == "cancelled") {
      // Left running, owned by no one: `naos workflow resume` continues here.
      NAOS_TRY(journal_.update_run(run.id, state::kRunning, "", "", ""));
      RunResult stopped{run.id, run.kind, run.name, state::kRunning, "", "stopped at step " + step.name, false};
      return stopped;
    }
    audit(run, "step_failed", {{"step", step.name}, {"agent", step.agent}, {"error", result.error},
                               {"detail", step.name + ": " + result.error + ": " + result.message}});
    if (on_error == project::OnError::kSkip) {
      NAOS_TRY(journal_.append({0, run.id, index, step.name, entry::kStepSkipped, 0,
                                {{"reason", "failed"}, {"error", result.error}, {"output", bytes_json(current)}}, 0}));
      audit(run, "step_skipped", {{"step", step.name}, {"detail", step.name + ": failed, skipped (onError: skip)"}});
      continue;
    }
    return finish(run, state::kFailed, "", "step " + step.name + " failed: " + result.error + ": " + result.message);
  }
  return finish(run, state::kCompleted, current, "");
}

}  // namespace naos::orchestration
