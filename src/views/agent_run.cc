#include "views/agent_run.h"

#include "base/bytes_json.h"
#include "governance/trust.h"

namespace naos::views {

std::optional<FailureCode> failure_code(sandbox::Failure failure) {
  switch (failure) {
    case sandbox::Failure::kNone: return std::nullopt;
    case sandbox::Failure::kCancelled: return std::nullopt;
    case sandbox::Failure::kTimeout: return FailureCode{104, "AGENT_TIMEOUT"};
    case sandbox::Failure::kMemoryLimitExceeded: return FailureCode{105, "AGENT_OOM"};
    default: return FailureCode{103, "AGENT_CRASHED"};
  }
}

std::optional<FailureCode> refusal_code(const Error& error) {
  switch (error.code()) {
    case Code::kResourceExhausted: return FailureCode{300, "BUDGET_EXCEEDED"};
    case Code::kUnauthenticated: return FailureCode{401, "VERIFICATION_FAILED"};
    case Code::kPermissionDenied: return FailureCode{governance::kTrustScoreLowNumber, governance::kTrustScoreLowName};
    case Code::kNotFound: return FailureCode{100, "AGENT_NOT_FOUND"};
    default: return std::nullopt;
  }
}

std::string stop_reason(const AgentRun& run) {
  switch (run.stopped) {
    case RunStops::Why::kStopRequest: return run.stop_request ? run.stop_request->reason : "naos stop";
    case RunStops::Why::kInterrupt: return "interrupted";
    default: return "stopped by naos";
  }
}

nlohmann::json agent_run_json(const AgentRun& run) {
  const auto& o = run.outcome;
  nlohmann::json denials = nlohmann::json::array();
  for (const auto& d : o.denials) denials.push_back({{"capability", d.capability}, {"detail", d.detail}});
  nlohmann::json out = {
      {"agent", run.agent},
      {"ok", o.ok()},
      {"error", o.ok() ? nlohmann::json(nullptr) : nlohmann::json(std::string(sandbox::failure_name(o.failure)))},
      {"message", o.message},
      {"exit_status", o.exit_status},
      // Output is bytes: a string when it is UTF-8, else {"base64": ...}.
      {"output", bytes_json(o.output)},
      {"elapsed_us", o.elapsed.count()},
      {"fuel_consumed", o.fuel_consumed},
      {"memory_bytes", o.memory_bytes},
      {"module_hash", run.module_hash},
      {"denials", denials},
  };
  if (auto code = failure_code(o.failure)) out["code"] = code->number, out["code_name"] = code->name;
  if (o.failure == sandbox::Failure::kCancelled) out["stopped"] = stop_reason(run);
  return out;
}

}  // namespace naos::views
