#include "core/step_runner.h"

#include "core/naos.h"

namespace naos {

orchestration::StepResult NaosStepRunner::run(const orchestration::StepCall& call) {
  RunOptions options;
  options.input = call.input;
  options.timeout = call.timeout;
  options.actor = call.actor;
  options.instance = true;
  options.cancel = call.cancel;
  if (!call.idempotency_key.empty()) options.env.emplace_back("NAOS_IDEMPOTENCY_KEY", call.idempotency_key);
  options.pool_gate = call.pool_gate;
  auto ran = naos_.run(call.agent, options);
  if (!ran) {
    // A budget that paused the agent refuses at the start, too.
    if (ran.error().code() == Code::kResourceExhausted) {
      return orchestration::StepResult::failure("budget_exceeded", ran.error().to_string());
    }
    return orchestration::StepResult::failure("refused", ran.error().to_string());
  }
  if (ran->budget_action) {
    return orchestration::StepResult::failure("budget_exceeded", "a budget stopped " + call.agent + ": " +
                                                                      ran->outcome.message);
  }
  if (ran->outcome.ok()) return orchestration::StepResult::success(std::move(ran->outcome.output));
  if (ran->stop_request && ran->stop_request->no_restart) {
    // `naos stop --no-restart`: a supervisor leaves it stopped (orchestration::classify_exit).
    return orchestration::StepResult::failure("stopped", ran->stop_request->reason);
  }
  return orchestration::StepResult::failure(std::string(sandbox::failure_name(ran->outcome.failure)),
                                            ran->outcome.message);
}

}  // namespace naos
