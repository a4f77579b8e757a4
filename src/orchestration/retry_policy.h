// RetryPolicy — how often and how far apart a failed step is tried again.
// Shaped like Temporal's: maxAttempts in all, the first retry after
// initialInterval, each next one backoffCoefficient times later, capped at
// maxInterval; failures named in nonRetryable are never retried.
//
// Failures that retrying cannot fix are never retried, whatever the policy:
// "budget_exceeded" (the budget paused or stopped the agent), "refused" (no
// module, trust too low), "cancelled" (the operator stopped the run),
// "import_denied", "invalid_module" and "module_too_complex" (the module can
// never run).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "project/config.h"

namespace naos::orchestration {

struct RetryPolicy {
  uint32_t max_attempts = 1;
  std::chrono::milliseconds initial_interval{1'000};
  double backoff_coefficient = 2.0;
  std::chrono::milliseconds max_interval{60'000};
  std::vector<std::string> non_retryable;

  // Whether a failure named `error` after attempt `attempt` (1-based) is tried again.
  bool retries(const std::string& error, uint32_t attempt) const;
  // The wait before attempt `attempt` + 1.
  std::chrono::milliseconds delay_after(uint32_t attempt) const;
};

// A workflow step's policy: its `retry:`, else the workflow's `retry:`, else
// from onError/retries/retryDelay (onError: retry allows 1 + retries attempts
// retryDelay apart; stop and skip, one attempt).
RetryPolicy workflow_step_policy(const project::WorkflowConfig& workflow, const project::WorkflowStep& step);
// A saga step's forward policy: its `retry:`, else 1 + retries attempts, 1 s apart.
RetryPolicy saga_step_policy(const project::SagaStep& step);
// A saga's compensations: 1 + compensationRetries attempts, 100 ms apart, doubling.
RetryPolicy compensation_policy(const project::SagaConfig& saga);

}  // namespace naos::orchestration
