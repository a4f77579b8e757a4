// AgentHost — the AgentCalls of one agent: its log, its private kv namespace
// in the project database, and HTTP under its own policy. One per agent per
// run (cheap to make); the pieces it borrows outlive it.
#pragma once

#include <string>

#include "base/clock.h"
#include "capabilities/agent_log.h"
#include "capabilities/http.h"
#include "sandbox/agent_calls.h"
#include "store/kv_store.h"

namespace naos::capabilities {

class AgentHost final : public sandbox::AgentCalls {
 public:
  // `kv` may be null (a run outside a project): kv calls then fail with
  // kFailedPrecondition. `http` may be null when the agent has no network grant.
  AgentHost(std::string agent, AgentLog& log, Clock& clock, store::KvStore* kv, const HttpClient* http,
            HttpPolicy policy);

  void log(sandbox::LogLevel level, std::string_view line) override;
  int64_t time_now_ms() override;
  Result<std::optional<std::string>> kv_get(std::string_view key) override;
  Status kv_set(std::string_view key, std::string_view value) override;
  Result<sandbox::HttpResponse> http(const sandbox::HttpRequest& request,
                                     std::chrono::steady_clock::time_point deadline) override;

 private:
  std::string agent_;
  AgentLog& log_;
  Clock& clock_;
  store::KvStore* kv_;
  const HttpClient* http_;
  HttpPolicy policy_;
};

}  // namespace naos::capabilities
