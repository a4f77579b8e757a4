#include "core/llm_wiring.h"

#include <nlohmann/json.hpp>

#include "capabilities/llm.h"
#include "governance/cost_ledger.h"

namespace naos {
namespace {

using capabilities::LlmCompletion;
using capabilities::LlmEndpoint;
using capabilities::LlmRequest;

std::string provider_names(const project::LlmConfig& llm) {
  std::string out;
  for (const auto& [name, provider] : llm.providers) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Step 2: the provider and the model.
Result<std::pair<const project::LlmProviderConfig*, std::string>> choose(const project::Config& config,
                                                                         const LlmRequest& request) {
  const auto& providers = config.llm.providers;
  if (providers.empty()) {
    return Error(Code::kFailedPrecondition, "no LLM provider is configured (llm.providers in nexus.config.yaml)");
  }
  const project::LlmProviderConfig* provider = nullptr;
  if (!request.provider.empty()) {
    auto found = providers.find(request.provider);
    if (found == providers.end()) {
      return Error(Code::kInvalidArgument, "unknown provider \"" + request.provider +
                                               "\" (llm.providers has: " + provider_names(config.llm) + ")");
    }
    provider = &found->second;
  } else if (auto broker = providers.find(config.broker.llm_provider); broker != providers.end()) {
    provider = &broker->second;
  } else {
    provider = &providers.begin()->second;
  }
  std::string model = request.model;
  if (model.empty() && provider->name == config.broker.llm_provider) model = config.broker.llm_model;
  if (model.empty()) return Error(Code::kInvalidArgument, "llm request: model is required", provider->name);
  return std::make_pair(provider, model);
}

// Step 3: where to send it, with which key.
Result<LlmEndpoint> endpoint_for(const project::LlmProviderConfig& provider, const LlmWiring& wiring,
                                 const std::string& agent) {
  LlmEndpoint endpoint;
  endpoint.provider = provider.name;
  endpoint.protocol = capabilities::protocol_for(provider.name);
  endpoint.base_url = provider.base_url.empty() ? capabilities::default_base_url(provider.name) : provider.base_url;
  if (endpoint.base_url.empty()) {
    return Error(Code::kFailedPrecondition,
                 "llm.providers." + provider.name + ".baseUrl is needed: only anthropic and openai have a default");
  }
  if (!provider.api_key) return endpoint;
  const std::string& variable = provider.api_key->variable;
  bool from_secret = false;
  std::optional<Error> lookup_error;
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (wiring.secrets != nullptr) {
      auto secret = wiring.secrets->get(name);
      if (!secret) {
        lookup_error = secret.error();
        return std::nullopt;
      }
      if (*secret) {
        from_secret = true;
        return **secret;
      }
    }
    return wiring.env(name);
  };
  auto key = project::resolve_secret(*provider.api_key, lookup, "llm.providers." + provider.name + ".apiKey");
  if (lookup_error) return *lookup_error;
  if (!key) {
    return Error(Code::kFailedPrecondition,
                 key.error().message() + "; set it with `naos secret set " + variable + "` or in the environment",
                 provider.name);
  }
  if (from_secret) {
    NAOS_TRY(wiring.record({"naos", agent, governance::event::kSecretAccessed,
                            {{"secret", variable}, {"detail", "llm.providers." + provider.name + ".apiKey"}}}));
  }
  endpoint.api_key = std::move(*key);
  return endpoint;
}

std::string reply_json(const LlmEndpoint& endpoint, const std::string& model, const LlmCompletion& completion,
                       int64_t cost) {
  nlohmann::json reply = {{"text", completion.text},
                          {"provider", endpoint.provider},
                          {"model", completion.model.empty() ? model : completion.model},
                          {"stop_reason", completion.stop_reason},
                          {"usage",
                           {{"input_tokens", completion.usage.input},
                            {"output_tokens", completion.usage.output},
                            {"cached_input_tokens", completion.usage.cached_input},
                            {"cache_write_tokens", completion.usage.cache_write}}},
                          {"cost_microcents", cost}};
  return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> complete(const LlmWiring& wiring, const std::string& agent, std::string_view text,
                             std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel) {
  NAOS_ASSIGN_OR_RETURN(LlmRequest request, capabilities::parse_llm_request(text));
  NAOS_ASSIGN_OR_RETURN(auto chosen, choose(wiring.config, request));
  const auto& [provider, model] = chosen;
  NAOS_ASSIGN_OR_RETURN(LlmEndpoint endpoint, endpoint_for(*provider, wiring, agent));

  // Step 4: the price.
  const project::ModelPrice* price = nullptr;
  if (auto found = wiring.config.cost.models.find(model); found != wiring.config.cost.models.end()) {
    price = &found->second;
  } else if (wiring.budget != nullptr) {
    NAOS_ASSIGN_OR_RETURN(auto own, wiring.budget->budget(agent));
    NAOS_ASSIGN_OR_RETURN(auto global, wiring.budget->budget(project::kGlobalBudget));
    if (own || global) {
      return Error(Code::kInvalidArgument,
                   "model " + model + " has no price (cost.models." + model + " in nexus.config.yaml), and budget " +
                       (own ? agent : std::string(project::kGlobalBudget)) +
                       " applies to this agent: a budget cannot be kept without the price",
                   provider->name);
    }
  }

  // Step 5: reserve the most it can cost.
  int64_t most = 0;
  if (price != nullptr) {
    // Every input token at the dearer of the input and cache-write prices:
    // the vendor decides which of them it writes to its cache.
    int64_t input = capabilities::estimate_input_tokens(request);
    NAOS_ASSIGN_OR_RETURN(int64_t as_input, governance::price_tokens(*price, {input, request.max_tokens, 0, 0}));
    NAOS_ASSIGN_OR_RETURN(int64_t as_write, governance::price_tokens(*price, {0, request.max_tokens, 0, input}));
    most = std::max(as_input, as_write);
  }
  std::optional<governance::Reservation> reservation;
  if (wiring.budget != nullptr) {
    governance::BudgetRefusal refused;
    auto reserved = wiring.budget->reserve(agent, most, &refused);
    if (!reserved) {
      if (reserved.error().code() == Code::kResourceExhausted && !wiring.refusal) wiring.refusal = refused;
      return reserved.error();
    }
    reservation.emplace(std::move(*reserved));
  }

  // Step 6: the call.
  capabilities::LlmClient client(wiring.http);
  NAOS_ASSIGN_OR_RETURN(LlmCompletion completion, client.complete(endpoint, request, model, deadline, cancel));

  // Step 7: settle what it cost.
  const auto& usage = completion.usage;
  int64_t actual = 0;
  if (price != nullptr) {
    NAOS_ASSIGN_OR_RETURN(actual, governance::price_tokens(*price, {usage.input, usage.output, usage.cached_input,
                                                                    usage.cache_write}));
  }
  if (reservation) {
    std::string detail = model + ": " + std::to_string(usage.input) + " in, " + std::to_string(usage.output) +
                         " out, " + std::to_string(usage.cached_input) + " cached";
    if (usage.cache_write > 0) detail += ", " + std::to_string(usage.cache_write) + " written to the cache";
    nlohmann::json fields = {{"provider", provider->name},
                             {"model", model},
                             {"input_tokens", usage.input},
                             {"output_tokens", usage.output},
                             {"cached_input_tokens", usage.cached_input},
                             {"cache_write_tokens", usage.cache_write}};
    // A vendor that counted more input tokens than the request has bytes
    // (estimate_input_tokens() is meant to rule this out) is paid all the
    // same: settle records the whole cost, and when that crosses a budget
    // the agent pauses or stops when the run ends, as for a refusal.
    governance::BudgetRefusal crossed;
    NAOS_TRY(reservation->settle(actual, "llm", detail, fields, &crossed));
    if (!crossed.target.empty() && !wiring.refusal) wiring.refusal = crossed;
  }
  return reply_json(endpoint, model, completion, actual);
}

}  // namespace

void wire_llm(capabilities::AgentHost& host, LlmWiring wiring) {
  host.set_llm([wiring](const std::string& agent, std::string_view request,
                        std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel) {
    return complete(wiring, agent, request, deadline, cancel);
  });
}

}  // namespace naos
