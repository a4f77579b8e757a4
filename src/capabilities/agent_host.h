// AgentHost — the AgentCalls of one agent: its log, its private kv namespace
// in the project database, and HTTP under its own policy. One per agent per
// run (cheap to make); the pieces it borrows outlive it.
#pragma once

#include <functional>
#include <string>

#include "base/clock.h"
#include "capabilities/agent_log.h"
#include "capabilities/http.h"
#include "sandbox/agent_calls.h"
#include "store/kv_store.h"

namespace naos::capabilities {

class AgentHost final : public sandbox::AgentCalls {
 public:
  // Where nexus.cost_record goes: (agent, micro-cents, note). The layer above
  // (core/, with governance/'s BudgetEnforcer) provides it; capabilities/
  // cannot depend on governance/ (style rule 1).
  using CostSink = std::function<Status(const std::string& agent, int64_t microcents, std::string_view detail)>;

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
  Status cost_record(int64_t amount_microcents, std::string_view detail) override;
  // Without a sink, cost_record fails with kFailedPrecondition.
  void set_cost_sink(CostSink sink) { cost_sink_ = std::move(sink); }

 private:
  std::string agent_;
  AgentLog& log_;
  Clock& clock_;
  store::KvStore* kv_;
  const HttpClient* http_;
  HttpPolicy policy_;
  CostSink cost_sink_;
};

}  // namespace naos::capabilities
