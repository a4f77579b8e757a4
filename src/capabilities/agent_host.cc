#include "capabilities/agent_host.h"

namespace naos::capabilities {

AgentHost::AgentHost(std::string agent, AgentLog& log, Clock& clock, store::KvStore* kv,
                     const HttpClient* http, HttpPolicy policy)
    : agent_(std::move(agent)), log_(log), clock_(clock), kv_(kv), http_(http), policy_(std::move(policy)) {}

void AgentHost::log(sandbox::LogLevel level, std::string_view line) { log_.write(level, line); }

int64_t AgentHost::time_now_ms() { return clock_.now_ms(); }

Result<std::optional<std::string>> AgentHost::kv_get(std::string_view key) {
  if (kv_ == nullptr) return Error(Code::kFailedPrecondition, "kv needs a project database", agent_);
  used_.insert("kv");
  return kv_->get(agent_, key);
}

Status AgentHost::kv_set(std::string_view key, std::string_view value) {
  if (kv_ == nullptr) return Error(Code::kFailedPrecondition, "kv needs a project database", agent_);
  used_.insert("kv");
  return kv_->set(agent_, key, value, clock_.now_ms());
}

Result<bool> AgentHost::kv_cas(std::string_view key, std::optional<std::string_view> expected,
                               std::string_view value) {
  if (kv_ == nullptr) return Error(Code::kFailedPrecondition, "kv needs a project database", agent_);
  used_.insert("kv");
  return kv_->compare_and_set(agent_, key, expected, value, clock_.now_ms());
}

Result<int64_t> AgentHost::kv_incr(std::string_view key, int64_t delta) {
  if (kv_ == nullptr) return Error(Code::kFailedPrecondition, "kv needs a project database", agent_);
  used_.insert("kv");
  return kv_->increment(agent_, key, delta, clock_.now_ms());
}

Result<sandbox::HttpResponse> AgentHost::http(const sandbox::HttpRequest& request,
                                              std::chrono::steady_clock::time_point deadline) {
  if (http_ == nullptr) return Error(Code::kPermissionDenied, "network is not granted", request.url);
  used_.insert("network");
  int64_t price = 0;
  if (http_price_) {
    NAOS_ASSIGN_OR_RETURN(Url url, parse_url(request.url));
    price = http_price_(url);
  }
  if (price <= 0) return http_->fetch(request, policy_, deadline);
  NAOS_ASSIGN_OR_RETURN(Settle settle, reserve_(agent_, price, request.url));
  NAOS_ASSIGN_OR_RETURN(auto response, http_->fetch(request, policy_, deadline));
  NAOS_TRY(settle());
  return response;
}

Status AgentHost::cost_record(int64_t amount_microcents, std::string_view detail) {
  if (!cost_sink_) return Error(Code::kFailedPrecondition, "recording costs needs a project", agent_);
  return cost_sink_(agent_, amount_microcents, detail);
}

Result<std::string> AgentHost::llm_complete(std::string_view request, std::chrono::steady_clock::time_point deadline,
                                            const std::atomic<bool>* cancel) {
  if (!llm_) return Error(Code::kFailedPrecondition, "llm needs a project with llm.providers", agent_);
  used_.insert("llm");
  return llm_(agent_, request, deadline, cancel);
}

}  // namespace naos::capabilities
