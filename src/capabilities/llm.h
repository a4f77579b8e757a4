// The llm capability: completions from the project's LLM providers for
// nexus.llm_complete (docs/abi.md "llm_complete"), spoken in each vendor's own
// wire protocol over HTTP.
//
//   Anthropic Messages API   POST {baseUrl}/v1/messages
//                            (default baseUrl https://api.anthropic.com)
//                            x-api-key, anthropic-version: 2023-06-01
//   OpenAI Chat Completions  POST {baseUrl}/chat/completions
//                            (default baseUrl https://api.openai.com/v1)
//                            Authorization: Bearer
//
// A provider named `anthropic` (or whose name starts with `anthropic`)
// speaks the Messages API; every other provider speaks Chat Completions,
// the protocol OpenAI-compatible servers (vLLM, Ollama, llama.cpp, ...)
// share. Only `anthropic` and `openai` have a default baseUrl.
//
// What this file knows: the guest's request format, the two wire formats,
// the vendors' error bodies. What it does not: which provider an agent may
// use, keys, prices, budgets (core/llm_wiring.h decides those; capabilities/
// cannot depend on governance/).
//
// Token usage is normalised so that the four counts never overlap:
// `input` is input billed at the input price (Anthropic: input_tokens;
// OpenAI: prompt_tokens - cached_tokens), `cached_input` input read from the
// vendor's prompt cache (Anthropic: cache_read_input_tokens; OpenAI:
// prompt_tokens_details.cached_tokens), `cache_write` input written to the
// prompt cache, which Anthropic bills above the input price
// (cache_creation_input_tokens; OpenAI has none), `output` the completion.
//
// Secrets: an LlmEndpoint holds the API key; it goes into one request header
// and nowhere else. Every error built here has the key replaced by
// "[redacted]", should a vendor echo it.
//
// Threading: LlmClient is immutable; complete() may be called from many
// threads at once. The free functions are pure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "capabilities/http.h"

namespace naos::capabilities {

inline constexpr int64_t kDefaultLlmMaxTokens = 1024;
inline constexpr int64_t kMaxLlmMaxTokens = 1'000'000;
inline constexpr std::string_view kAnthropicVersion = "2023-06-01";
inline constexpr std::string_view kAnthropicDefaultBaseUrl = "https://api.anthropic.com";
inline constexpr std::string_view kOpenAiDefaultBaseUrl = "https://api.openai.com/v1";

struct LlmMessage {
  std::string role;  // "user" or "assistant"
  std::string content;
};

// A completion request as the guest writes it (docs/abi.md "llm_complete").
struct LlmRequest {
  std::string provider;  // empty: the project's default provider
  std::string model;     // empty: the project's default model, if any
  std::string system;    // optional system prompt
  std::vector<LlmMessage> messages;
  int64_t max_tokens = kDefaultLlmMaxTokens;
  // The guest's own limit on the call, in ms; 0 = until the run's deadline
  // (the call never outlives the run either way).
  int64_t timeout_ms = 0;
};

struct LlmUsage {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cached_input = 0;
  int64_t cache_write = 0;
};

struct LlmCompletion {
  std::string text;
  std::string model;        // as the vendor reports it
  std::string stop_reason;  // Anthropic stop_reason, OpenAI finish_reason
  LlmUsage usage;
};

enum class LlmProtocol { kAnthropic, kOpenAi };

struct LlmEndpoint {
  std::string provider;  // the llm.providers key, for messages
  LlmProtocol protocol = LlmProtocol::kOpenAi;
  std::string base_url;  // without a trailing slash
  std::string api_key;   // empty: no credential header (a local server)
};

// Errors: kInvalidArgument naming the field (not JSON, no messages, a role
// other than user/assistant/system, max_tokens out of 1..kMaxLlmMaxTokens).
// `prompt` is one user message; `system` messages are joined into `system`.
Result<LlmRequest> parse_llm_request(std::string_view json);

// The protocol a provider speaks, by its name (see the top of this file).
LlmProtocol protocol_for(std::string_view provider);
// The vendor's default base URL, or empty when the protocol has none for
// this provider (an OpenAI-compatible server other than openai).
std::string default_base_url(std::string_view provider);

// An upper bound on the input tokens of `request`: its UTF-8 bytes (no
// tokenizer of these vendors makes a token of less than one byte) plus 8
// tokens a message and 16 for the request, for the vendors' role markers.
int64_t estimate_input_tokens(const LlmRequest& request);

// ---- wire formats (pure) ----------------------------------------------------
std::string anthropic_request_body(const LlmRequest& request, std::string_view model);
std::string openai_request_body(const LlmRequest& request, std::string_view model);
// A 2xx body. Errors: kUnavailable "malformed response: ..." when it is not
// JSON or lacks the text or the usage.
Result<LlmCompletion> parse_anthropic_response(std::string_view body);
Result<LlmCompletion> parse_openai_response(std::string_view body);
// A non-2xx answer as an error: "PROVIDER: HTTP STATUS TYPE: MESSAGE" from the
// vendor's JSON error body ({"error": {"type", "message"}} in both
// protocols), or the start of the body when it is not that. Codes:
// 429 and 5xx (and Anthropic's 529) kUnavailable (retry later); 400, 404,
// 413, 422 kInvalidArgument; 401, 403 kFailedPrecondition (the project's key
// or account; never kPermissionDenied, which means a missing grant); any
// other kUnavailable.
Error vendor_error(std::string_view provider, int status, std::string_view body);

class LlmClient {
 public:
  // `http` must outlive the client.
  explicit LlmClient(const HttpClient& http) : http_(http) {}

  // Sends `request` for `model` and reads the answer. Ends by `deadline`
  // (and by request.timeout_ms when earlier) and soon after `*cancel`
  // (nullable) becomes true. Errors: those of HttpClient::post_to_service,
  // vendor_error(), and the parse_*_response functions, each naming the
  // provider; none contains the API key.
  Result<LlmCompletion> complete(const LlmEndpoint& endpoint, const LlmRequest& request, std::string_view model,
                                 std::chrono::steady_clock::time_point deadline,
                                 const std::atomic<bool>* cancel) const;

 private:
  const HttpClient& http_;
};

}  // namespace naos::capabilities
