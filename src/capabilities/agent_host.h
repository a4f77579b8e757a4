// AgentHost — the AgentCalls of one agent: its log, its private kv namespace
// in the project database, HTTP under its own policy, and the hooks through
// which the layer above prices calls and answers llm_complete. One per agent per
// run (cheap to make); the pieces it borrows outlive it.
#pragma once

#include <functional>
#include <set>
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
  Result<bool> kv_cas(std::string_view key, std::optional<std::string_view> expected,
                      std::string_view value) override;
  Result<int64_t> kv_incr(std::string_view key, int64_t delta) override;
  Result<sandbox::HttpResponse> http(const sandbox::HttpRequest& request,
                                     std::chrono::steady_clock::time_point deadline) override;
  Status cost_record(int64_t amount_microcents, std::string_view detail) override;
  Result<std::string> llm_complete(std::string_view request, std::chrono::steady_clock::time_point deadline,
                                   const std::atomic<bool>* cancel) override;
  // Without a sink, cost_record fails with kFailedPrecondition.
  void set_cost_sink(CostSink sink) { cost_sink_ = std::move(sink); }

  // Priced HTTP endpoints (`cost.endpoints`). Before a request, `price`
  // names its cost in micro-cents (0: free); a priced request first calls
  // `reserve`, whose error refuses the call (the guest sees it), and whose
  // result settles the cost once the request got a response. A request that
  // fails releases the reservation unsettled.
  using HttpPrice = std::function<int64_t(const Url& url)>;
  using Settle = std::function<Status()>;
  using Reserve = std::function<Result<Settle>(const std::string& agent, int64_t microcents, const std::string& url)>;
  void set_http_pricing(HttpPrice price, Reserve reserve) {
    http_price_ = std::move(price);
    reserve_ = std::move(reserve);
  }

  // nexus.llm_complete for this agent: (agent, the guest's JSON request,
  // deadline, cancel) -> the JSON reply. The layer above provides it
  // (core/llm_wiring.h): choosing the provider, the key, prices and budgets
  // are its business. Without one, llm_complete fails with
  // kFailedPrecondition. The sandbox checks the llm grant before calling.
  using LlmHandler = std::function<Result<std::string>(const std::string& agent, std::string_view request,
                                                       std::chrono::steady_clock::time_point deadline,
                                                       const std::atomic<bool>* cancel)>;
  void set_llm(LlmHandler handler) { llm_ = std::move(handler); }

  // The capabilities this run called ("kv", "network", "llm"), for its
  // agent.completed / agent.failed event: the trust score's capabilities
  // criterion counts a grant as used from the audit log alone.
  const std::set<std::string>& capabilities_used() const { return used_; }

 private:
  std::string agent_;
  AgentLog& log_;
  Clock& clock_;
  store::KvStore* kv_;
  const HttpClient* http_;
  HttpPolicy policy_;
  CostSink cost_sink_;
  HttpPrice http_price_;
  Reserve reserve_;
  LlmHandler llm_;
  std::set<std::string> used_;  // one run calls its host from one thread at a time
};

}  // namespace naos::capabilities
