// Orchestrator::cancel — `naos runs cancel RUN`: an operator gives up on a
// run (see orchestrator.h).
#include "orchestration/orchestrator.h"
#include "orchestration/pool.h"

namespace naos::orchestration {

Result<CancelResult> Orchestrator::cancel(const std::string& run_id, const std::string& actor,
                                          Compensate compensate_first, const std::atomic<bool>* stop) {
  NAOS_ASSIGN_OR_RETURN(auto found, journal_.find_run(run_id));
  if (!found) return Error(Code::kNotFound, "no run has this id", run_id);
  RunRecord run = std::move(*found);
  // A pool run `cancelled` by Ctrl-C is not terminal: the next `pool run` would resume it.
  if (is_terminal(run.state)) {
    return Error(Code::kFailedPrecondition, "the run has already ended (" + run.state + "); nothing to cancel", run_id);
  }
  // Refused while a live process drives it: that process would go on
  // writing to a run marked ended. Stop it first (Ctrl-C, or kill its pid).
  if (auto claimed = journal_.claim_run(run.id, Journal::this_process()); !claimed) {
    return Error(claimed.error().code(), claimed.error().message() + "; stop it first (Ctrl-C there, or kill " +
                                             run.owner + "), then cancel",
                 run_id);
  }
  CancelResult result{run.id, run.kind, run.name, run.state, "", false, ""};
  const std::string reason = "cancelled by " + actor + " while " + run.state;

  // Nested runs first (a step that is a workflow, saga or pool): they end
  // with their parent. A nested saga compensates like the parent does.
  RunFilter unfinished;
  unfinished.states = {state::kRunning, state::kCompensating, state::kCompensationFailed, pool_run::kCancelled};
  NAOS_ASSIGN_OR_RETURN(auto open_runs, journal_.runs(unfinished));
  for (auto it = open_runs.rbegin(); it != open_runs.rend(); ++it) {
    if (it->parent != run.id) continue;
    auto child = cancel(it->id, actor, compensate_first, stop);
    if (!child && child.error().code() != Code::kFailedPrecondition) return child.error();
  }

  auto saga = config_.sagas.find(run.name);
  if (run.kind == "saga" && compensate_first == Compensate::kYes && saga != config_.sagas.end()) {
    // Undo what completed, newest first, as a failed saga would; failures
    // so far no longer count (like retry-compensation).
    if (run.state == state::kCompensationFailed) {
      NAOS_TRY(journal_.append({0, run.id, -1, "", entry::kRunResumed, 0, {{"cancel", actor}}, 0}));
    }
    NAOS_TRY(journal_.update_run(run.id, state::kCompensating, "", reason, Journal::this_process()));
    run.state = state::kCompensating;
    run.error = reason;
    audit_cancelled(run, actor, result.was, reason + ", compensating");
    NAOS_ASSIGN_OR_RETURN(auto compensated, compensate(saga->second, run, stop));
    result.state = compensated.state;
    result.compensated = compensated.state == state::kRolledBack;
    result.error = compensated.error;
    return result;
  }
  NAOS_TRY(journal_.update_run(run.id, state::kAbandoned, run.output, reason, ""));
  run.state = state::kAbandoned;
  audit_cancelled(run, actor, result.was, reason);
  result.state = state::kAbandoned;
  result.error = reason;
  return result;
}

void Orchestrator::audit_cancelled(const RunRecord& run, const std::string& actor, const std::string& was,
                                   const std::string& detail) {
  if (!audit_) return;
  nlohmann::json payload = {{"run", run.id}, {"kind", run.kind}, {"name", run.name}, {"was", was},
                            {"detail", run.id + " " + detail}};
  // Waited for: the operator's command reports done only once it is recorded.
  audit_->append({actor, "", kRunCancelledEvent, std::move(payload)}).ignore_error();
}

}  // namespace naos::orchestration
