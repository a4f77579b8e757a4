#include "orchestration/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace naos::orchestration {
namespace {

bool never_retried(const std::string& error) {
  return error == "budget_exceeded" || error == "refused" || error == "cancelled" || error == "import_denied" ||
         error == "invalid_module" || error == "module_too_complex";
}

// Fills what `retry` sets over `policy`.
void apply(const project::RetryConfig& retry, RetryPolicy& policy) {
  if (retry.max_attempts) policy.max_attempts = *retry.max_attempts;
  if (retry.initial_interval) policy.initial_interval = *retry.initial_interval;
  if (retry.backoff_coefficient) policy.backoff_coefficient = *retry.backoff_coefficient;
  if (retry.max_interval) policy.max_interval = *retry.max_interval;
  if (!retry.non_retryable.empty()) policy.non_retryable = retry.non_retryable;
}

}  // namespace

bool RetryPolicy::retries(const std::string& error, uint32_t attempt) const {
  if (attempt >= max_attempts || never_retried(error)) return false;
  return std::find(non_retryable.begin(), non_retryable.end(), error) == non_retryable.end();
}

std::chrono::milliseconds RetryPolicy::delay_after(uint32_t attempt) const {
  double ms = static_cast<double>(initial_interval.count()) * std::pow(backoff_coefficient, attempt > 0 ? attempt - 1 : 0);
  ms = std::min(ms, static_cast<double>(max_interval.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

RetryPolicy workflow_step_policy(const project::WorkflowConfig& workflow, const project::WorkflowStep& step) {
  RetryPolicy policy;
  project::OnError on_error = step.on_error.value_or(workflow.on_error);
  if (on_error == project::OnError::kRetry) {
    policy.max_attempts = 1 + step.retries.value_or(workflow.retries);
    policy.initial_interval = step.retry_delay.value_or(workflow.retry_delay);
    policy.backoff_coefficient = 1.0;  // retryDelay is a fixed delay
    policy.max_interval = std::max(policy.max_interval, policy.initial_interval);
  }
  if (workflow.retry) apply(*workflow.retry, policy);
  if (step.retry) apply(*step.retry, policy);
  policy.max_interval = std::max(policy.max_interval, policy.initial_interval);
  return policy;
}

RetryPolicy saga_step_policy(const project::SagaStep& step) {
  RetryPolicy policy;
  policy.max_attempts = 1 + step.retries;
  if (step.retry) apply(*step.retry, policy);
  policy.max_interval = std::max(policy.max_interval, policy.initial_interval);
  return policy;
}

RetryPolicy compensation_policy(const project::SagaConfig& saga) {
  RetryPolicy policy;
  policy.max_attempts = 1 + saga.compensation_retries;
  policy.initial_interval = std::chrono::milliseconds(100);  // 100, 200, 400 ms: an operator waits on this
  return policy;
}

}  // namespace naos::orchestration
