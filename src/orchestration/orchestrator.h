// Orchestrator — runs workflows and sagas durably on the Journal, and nests
// them: a step may name an agent, a workflow, a saga or a pool.
//
// Durable execution. Every step attempt is journaled before it runs
// (step.started) and after (step.completed / step.failed); a completed step's
// entry is on disk before the next step starts. A run that a killed process
// left `running` is picked up by resume() (or resume_unfinished(), which the
// daemon calls at start): the journal is replayed, completed steps are not run
// again, and the interrupted step is run again under its retry policy. A
// crash-interrupted attempt does not count against maxAttempts: the step did
// not fail, the host did. Nested runs have deterministic ids
// (PARENT/STEP#ATTEMPT), so resuming a parent resumes its children.
//
// Workflow (PRODUCT.md): each step's output is the next step's input;
// `input:` selects a part of it (a JSON pointer), `condition:` may skip the
// step; a step that fails after its retries stops the workflow (`failed`), or
// with onError: skip passes the last good output on. States: running,
// completed, failed. resume() of a failed run restarts at the failed step.
//
// Saga: every step gets the saga's input; the saga's output is the last
// step's. When a step fails after its retries, the completed steps are
// compensated newest first (or all at once with parallelCompensation); a
// compensation gets {"saga", "step", "input", "output"} of the step it undoes
// as JSON. A compensation that still fails after compensationRetries leaves
// the saga `compensation_failed` until retry_compensation() or resolve().
// States: running, compensating, completed, rolled_back, compensation_failed.
// Only one unfinished run per saga (SAGA_ALREADY_RUNNING): a start while one
// exists is refused, and a crashed one must be resumed first.
//
// Idempotency: a start with an id that exists returns that run's result
// (resuming it first if its process died). Each step's StepCall carries the
// key RUN_ID/STEP (compensations RUN_ID/STEP/compensate), the same on every
// attempt, so an agent can make its external effects idempotent.
//
// Threading: the methods may be called from several threads for different
// runs; one run is driven by one thread at a time (Journal::claim_run).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "governance/audit_log.h"
#include "orchestration/journal.h"
#include "orchestration/retry_policy.h"
#include "orchestration/step_runner.h"
#include "project/config.h"

namespace naos::orchestration {

// Run states, as stored in orch_runs.state.
namespace state {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCompensating = "compensating";
inline constexpr const char* kRolledBack = "rolled_back";
inline constexpr const char* kCompensationFailed = "compensation_failed";
inline constexpr const char* kPartial = "partial";  // pools
inline constexpr const char* kAbandoned = "abandoned";  // `saga reset`, `runs cancel`
}  // namespace state

bool is_terminal(const std::string& run_state);

// The audit event of `naos runs cancel` (any kind of run).
inline constexpr const char* kRunCancelledEvent = "run.cancelled";

// How `naos runs cancel` ended a run.
struct CancelResult {
  std::string run_id;
  std::string kind;
  std::string name;
  std::string was;    // its state before
  std::string state;  // abandoned; a compensated saga rolled_back (or compensation_failed)
  bool compensated = false;
  std::string error;  // the reason recorded on the run
};

enum class Compensate : bool { kNo, kYes };

struct RunResult {
  std::string run_id;
  std::string kind;
  std::string name;
  std::string state;
  std::string output;
  std::string error;  // why it failed, for a person
  bool reused = false;  // an idempotent start that found the run finished already
};

// Waits between retries; a test may count the waits instead.
class Waiter {
 public:
  virtual ~Waiter() = default;
  // Sleeps `delay`, or less if `cancel` becomes true; false when cancelled.
  virtual bool wait(std::chrono::milliseconds delay, const std::atomic<bool>* cancel) = 0;
};

class SystemWaiter final : public Waiter {
 public:
  bool wait(std::chrono::milliseconds delay, const std::atomic<bool>* cancel) override;
};

// Runs a pool as a nested step (the pool engine, wired by core/):
// (pool, run id, input, parent run id, cancel) -> state, output, error.
struct NestedPoolResult {
  std::string state;  // completed | partial | failed
  std::string output;
  std::string error;
};
using PoolStepRunner = std::function<Result<NestedPoolResult>(
    const project::PoolConfig&, const std::string& run_id, const std::string& input, const std::string& parent,
    const std::atomic<bool>* cancel)>;

// Called once, when a run is in the journal (durable) with this process as
// its owner, before its first step: `naos serve` answers 202 then.
using OnDriving = std::function<void(const RunRecord&)>;

class Orchestrator {
 public:
  // `audit` may be null (no events). All references must outlive this.
  Orchestrator(const project::Config& config, Journal& journal, StepRunner& runner, governance::AuditLog* audit,
               Waiter& waiter);

  void set_pool_runner(PoolStepRunner pools) { pools_ = std::move(pools); }

  // Starts (or, with an existing `id`, returns or resumes) a run.
  // Errors: kNotFound (no such workflow/saga; SAGA_NOT_FOUND), kFailedPrecondition
  // (SAGA_ALREADY_RUNNING; a run of that id driven by a live process), host errors.
  // How the run ended is in RunResult::state. `driving` is not called for a
  // run that had ended already (reused) or one that could not start.
  Result<RunResult> run_workflow(const std::string& name, const std::string& input, const std::string& id = {},
                                 const std::atomic<bool>* cancel = nullptr, const OnDriving& driving = {});
  Result<RunResult> run_saga(const std::string& name, const std::string& input, const std::string& id = {},
                             const std::atomic<bool>* cancel = nullptr, const OnDriving& driving = {});

  // Continues an unfinished run (running, compensating) from its journal, or
  // restarts a failed workflow at its failed step.
  // Errors: kNotFound; kFailedPrecondition (finished, or driven by a live process).
  Result<RunResult> resume(const std::string& run_id, const std::atomic<bool>* cancel = nullptr,
                           const OnDriving& driving = {});
  // Resumes every top-level workflow and saga run left unfinished by a dead process.
  Result<std::vector<RunResult>> resume_unfinished(const std::atomic<bool>* cancel = nullptr);

  // `naos saga retry-compensation RUN --step N`: tries the failed
  // compensation of step N (0-based) again, then the rest of the rollback.
  Result<RunResult> retry_compensation(const std::string& run_id, int step, const std::atomic<bool>* cancel = nullptr);
  // `naos saga resolve RUN --step N`: the operator undid step N by hand; the
  // rollback goes on without it.
  Result<RunResult> resolve(const std::string& run_id, int step, const std::string& actor,
                            const std::atomic<bool>* cancel = nullptr);
  // `naos saga reset NAME`: abandons its unfinished run (kept in history), so
  // the saga is ready again. Errors: kNotFound; kFailedPrecondition (a live process drives it).
  Status reset_saga(const std::string& name, const std::string& actor);
  // `naos runs cancel RUN`: ends an unfinished run (running, compensating,
  // compensation_failed; a pool run interrupted by Ctrl-C) for good, with
  // its unfinished nested runs. A saga is compensated first (its completed
  // steps undone, newest first: rolled_back) unless kNo; any other run, or
  // a saga with kNo, ends `abandoned`. Audited as run.cancelled.
  // Errors: kNotFound (no such run); kFailedPrecondition (it has ended, or a
  // live process drives it).
  Result<CancelResult> cancel(const std::string& run_id, const std::string& actor, Compensate compensate_first,
                              const std::atomic<bool>* stop = nullptr);

  // The latest run of `name`, or null.
  Result<std::optional<RunRecord>> latest(const std::string& kind, const std::string& name);

 private:
  Result<RunResult> start(const std::string& kind, const std::string& name, const std::string& input,
                          const std::string& id, const std::string& parent, const std::atomic<bool>* cancel,
                          const OnDriving& driving = {});
  // drive_unguarded(), and a run it throws out of ends failed (a saga
  // compensates first) with "INTERNAL: ..." as its error.
  Result<RunResult> drive(RunRecord run, const std::atomic<bool>* cancel);
  Result<RunResult> drive_unguarded(RunRecord& run, const std::atomic<bool>* cancel);
  Result<RunResult> drive_workflow(const project::WorkflowConfig& workflow, RunRecord& run,
                                   const std::atomic<bool>* cancel);
  Result<RunResult> drive_saga(const project::SagaConfig& saga, RunRecord& run, const std::atomic<bool>* cancel);
  Result<RunResult> compensate(const project::SagaConfig& saga, RunRecord& run, const std::atomic<bool>* cancel);
  struct FailedCompensation;
  // Checks and claims a run for retry_compensation() / resolve().
  Result<FailedCompensation> failed_compensation(const std::string& run_id, int step);
  Result<RunResult> finish(RunRecord& run, const std::string& state, const std::string& output,
                           const std::string& error);

  // Runs one attempt of a step target: an agent, or a nested workflow, saga or pool.
  StepResult run_target(const std::string& target, const std::string& input, const RunRecord& parent,
                        const std::string& step_name, uint32_t attempt,
                        std::optional<std::chrono::milliseconds> timeout, const std::string& idempotency_key,
                        const std::atomic<bool>* cancel);
  // Runs a step with its retry policy, journaling every attempt under `events`
  // (step.* or compensation.*). `prior_failures`: attempts already failed.
  StepResult attempt_step(const RunRecord& run, int index, const std::string& step_name, const std::string& target,
                          const std::string& input, const RetryPolicy& policy, uint32_t prior_failures,
                          std::optional<std::chrono::milliseconds> timeout, bool compensation,
                          const std::atomic<bool>* cancel);
  void audit(const RunRecord& run, const std::string& type, nlohmann::json payload, bool wait = false);
  void audit_cancelled(const RunRecord& run, const std::string& actor, const std::string& was,
                       const std::string& detail);

  const project::Config& config_;
  Journal& journal_;
  StepRunner& runner_;
  governance::AuditLog* audit_;
  Waiter& waiter_;
  PoolStepRunner pools_;
};

}  // namespace naos::orchestration
