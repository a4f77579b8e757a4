// One run of an agent as `naos run --json` prints it and
// POST /api/v1/agents/NAME/runs answers it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/naos.h"

namespace naos::views {

// The product's code (PRODUCT.md "Error codes") of how a run failed:
// AGENT_TIMEOUT 104, AGENT_OOM 105, else AGENT_CRASHED 103. None for a run
// that completed or was stopped (not a failure of the agent's).
struct FailureCode {
  int number;
  const char* name;
};
std::optional<FailureCode> failure_code(sandbox::Failure failure);

// The product's code of a run naos refused or could not start:
// BUDGET_EXCEEDED 300 (kResourceExhausted), VERIFICATION_FAILED 401
// (kUnauthenticated: --verify-trust), TRUST_SCORE_LOW 403 (kPermissionDenied:
// the trust gate), AGENT_NOT_FOUND 100 (kNotFound); none for other errors.
std::optional<FailureCode> refusal_code(const Error& error);

// Why a stopped run was stopped: the `naos stop` request's reason,
// "interrupted", or "stopped by naos".
std::string stop_reason(const AgentRun& run);

// agent, ok, error, message, exit_status, output (bytes_json), elapsed_us,
// fuel_consumed, memory_bytes, module_hash, denials; code and code_name
// when it failed; stopped (the reason) when it was stopped.
nlohmann::json agent_run_json(const AgentRun& run);

}  // namespace naos::views
