// AgentCalls — the host side of the `nexus` imports for one run of one agent.
//
// The sandbox marshals guest memory and calls these; capabilities/ implements
// them (log file, kv in SQLite, HTTP with an allow-list) and tests inject
// fakes. A call that the agent's grant does not cover returns
// Code::kPermissionDenied; the sandbox records it as a capability denial and
// hands NEXUS_E_DENIED to the guest.
//
// Threading: one run calls its AgentCalls from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::sandbox {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::string_view log_level_name(LogLevel level);

struct HttpRequest {
  std::string method;  // "GET" or "POST"
  std::string url;
  std::string body;
  std::string content_type;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class AgentCalls {
 public:
  virtual ~AgentCalls() = default;

  virtual void log(LogLevel level, std::string_view line) = 0;
  virtual int64_t time_now_ms() = 0;
  // Returns nullopt when the key is absent.
  virtual Result<std::optional<std::string>> kv_get(std::string_view key) = 0;
  virtual Status kv_set(std::string_view key, std::string_view value) = 0;
  // nexus.kv_cas: stores `value` if the key holds `expected` (nullopt: if it
  // is absent), atomically. True when stored, false on a conflict.
  virtual Result<bool> kv_cas(std::string_view /*key*/, std::optional<std::string_view> /*expected*/,
                              std::string_view /*value*/) {
    return Error(Code::kFailedPrecondition, "kv needs a project database");
  }
  // nexus.kv_incr: adds `delta` to the decimal integer under the key (absent
  // is 0), atomically; the new value. kInvalidArgument when the value is not
  // a decimal integer or the sum overflows.
  virtual Result<int64_t> kv_incr(std::string_view /*key*/, int64_t /*delta*/) {
    return Error(Code::kFailedPrecondition, "kv needs a project database");
  }
  // `deadline` is when the run's own timeout elapses; the call must not outlive it.
  virtual Result<HttpResponse> http(const HttpRequest& request,
                                    std::chrono::steady_clock::time_point deadline) = 0;
  // An agent-declared cost (nexus.cost_record), in micro-cents (>= 0), with a
  // short note. Errors: kResourceExhausted when a budget refuses it (the
  // guest sees NEXUS_E_LIMIT). The default (no ledger: a run outside a
  // project, test fakes) refuses with kFailedPrecondition.
  virtual Status cost_record(int64_t /*amount_microcents*/, std::string_view /*detail*/) {
    return Error(Code::kFailedPrecondition, "recording costs needs a project");
  }
  // nexus.llm_complete: `request` is the guest's JSON request (docs/abi.md
  // "llm_complete"); the result is the JSON reply the guest receives. The
  // call must end by `deadline` and soon after `*cancel` (nullable) becomes
  // true. The sandbox has checked the llm grant before calling. Errors are
  // handed to the guest as an error JSON and a NEXUS_E_* code; never
  // kPermissionDenied for anything but a missing grant (it is audited as a
  // capability denial). The default (no provider: a run outside a project,
  // test fakes) is kFailedPrecondition.
  virtual Result<std::string> llm_complete(std::string_view /*request*/,
                                           std::chrono::steady_clock::time_point /*deadline*/,
                                           const std::atomic<bool>* /*cancel*/) {
    return Error(Code::kFailedPrecondition, "llm needs a project with llm.providers");
  }
};

}  // namespace naos::sandbox
