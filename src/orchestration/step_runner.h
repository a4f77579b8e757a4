// StepRunner — how orchestration runs one agent. The engines (workflow, saga,
// pool, supervisor) know nothing of the sandbox or the registry: core/ gives
// them a StepRunner that goes through Naos::run (lifecycle, budget, trust,
// audit), and a test may give them one of its own.
//
// Threading: run() is called from many threads at once (pools, supervisors).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "project/config.h"

namespace naos::orchestration {

// A pool whose config sets minTier: its members and clones must be of that
// Trust Tier or better (project::PoolConfig::min_tier).
struct PoolGate {
  std::string pool;
  project::TrustTier min_tier;
};

struct StepCall {
  std::string agent;
  std::string input;
  // Overrides the agent's configured timeout; absent: the agent's.
  std::optional<std::chrono::milliseconds> timeout;
  // Given to the guest as NAOS_IDEMPOTENCY_KEY (docs/abi.md), so a step that
  // is run again after a crash can make its external effects idempotent.
  std::string idempotency_key;
  // For the audit log: "workflow:NAME", "saga:NAME", "pool:NAME", "supervisor:NAME".
  std::string actor;
  // Stops the run when it becomes true; must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
  // Set by a pool with minTier; the runner refuses a worse agent ("refused").
  std::optional<PoolGate> pool_gate;
};

struct StepResult {
  bool ok = false;
  std::string output;
  // How it failed, a stable name: the sandbox's failure names ("exit_status",
  // "trap", "timeout", "fuel_exhausted", "memory_limit_exceeded",
  // "output_too_large", "log_too_large", "stack_overflow", "import_denied", "invalid_module",
  // "module_too_complex", "cancelled"), or "budget_exceeded" (a budget paused or stopped the agent:
  // never retried), or "refused" (naos could not start it: no module, trust).
  std::string error;
  std::string message;  // for a person

  static StepResult success(std::string output) { return {true, std::move(output), "", ""}; }
  static StepResult failure(std::string error, std::string message) {
    return {false, "", std::move(error), std::move(message)};
  }
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual StepResult run(const StepCall& call) = 0;
};

}  // namespace naos::orchestration
