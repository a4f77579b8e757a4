#include "orchestration/replay.h"

#include "base/bytes_json.h"

namespace naos::orchestration {

Replay Replay::of(const std::vector<Entry>& entries) {
  Replay replay;
  for (const Entry& e : entries) {
    if (e.event == entry::kRunResumed) {
      for (auto& [index, step] : replay.steps) {
        step.failures = 0;
        step.failed_final = false;
        step.compensation_failures = 0;
        step.compensation_failed_final = false;
      }
      continue;
    }
    StepReplay& step = replay.steps[e.step];
    step.name = e.step_name;
    auto text = [&e](const char* key) { return bytes_field(e.data, key); };
    if (e.event == entry::kStepCompleted) {
      step.completed = true;
      step.input = text("input");
      step.output = text("output");
    } else if (e.event == entry::kStepSkipped) {
      step.skipped = true;
      step.passed_on = text("output");
    } else if (e.event == entry::kStepFailed) {
      ++step.failures;
      step.failed_final = e.data.is_object() && e.data.value("final", false);
      step.error = text("error");
      step.message = text("message");
    } else if (e.event == entry::kCompensationCompleted) {
      step.compensated = true;
    } else if (e.event == entry::kStepResolved) {
      step.resolved = true;
    } else if (e.event == entry::kCompensationFailed) {
      ++step.compensation_failures;
      step.compensation_failed_final = e.data.is_object() && e.data.value("final", false);
      step.compensation_error = text("error") + ": " + text("message");
    }
  }
  return replay;
}

const StepReplay& Replay::at(int index) const& {
  static const StepReplay kNothing;
  auto found = steps.find(index);
  return found == steps.end() ? kNothing : found->second;
}

}  // namespace naos::orchestration
