#include "capabilities/llm.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace naos::capabilities {
namespace {

using nlohmann::json;

Error request_error(const std::string& message) {
  return Error(Code::kInvalidArgument, "llm request: " + message);
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// A field that must be a string when present.
Result<std::string> optional_string(const json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::string();
  if (!found->is_string()) return request_error(std::string(key) + " must be a string");
  return found->get<std::string>();
}

// A field that must be a whole number in [low, high] when present.
Result<int64_t> optional_count(const json& object, const char* key, int64_t fallback, int64_t low, int64_t high) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return fallback;
  if (!found->is_number_integer()) return request_error(std::string(key) + " must be a whole number");
  int64_t value = found->is_number_unsigned() && found->get<uint64_t>() > uint64_t(INT64_MAX)
                      ? INT64_MAX
                      : found->get<int64_t>();
  if (value < low || value > high) {
    return request_error(std::string(key) + " must be between " + std::to_string(low) + " and " +
                         std::to_string(high));
  }
  return value;
}

Error malformed(std::string_view provider, const std::string& what) {
  return Error(Code::kUnavailable, "malformed response: " + what, std::string(provider));
}

// A token count in a vendor's usage object: a non-negative integer, or
// absent/null (0) when optional.
Result<int64_t> usage_count(std::string_view provider, const json& usage, const char* key, bool required) {
  auto found = usage.find(key);
  if (found == usage.end() || found->is_null()) {
    if (required) return malformed(provider, std::string("usage.") + key + " is missing");
    return int64_t{0};
  }
  if (!found->is_number_integer() || (found->is_number_integer() && !found->is_number_unsigned() &&
                                      found->get<int64_t>() < 0)) {
    return malformed(provider, std::string("usage.") + key + " is not a token count");
  }
  if (found->is_number_unsigned() && found->get<uint64_t>() > uint64_t(INT64_MAX)) {
    return malformed(provider, std::string("usage.") + key + " is not a token count");
  }
  return found->get<int64_t>();
}

std::string string_or_empty(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::string replace_all(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
    at += 10;
  }
  return text;
}

Error redact(const Error& error, std::string_view secret) {
  return Error(error.code(), replace_all(error.message(), secret), replace_all(error.context(), secret));
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<LlmRequest> parse_llm_request(std::string_view text) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return request_error("not a JSON object");
  static const std::set<std::string> kKeys = {"provider", "model", "system", "prompt", "messages", "max_tokens",
                                              "timeout_ms"};
  for (const auto& [key, value] : root.items()) {
    if (!kKeys.contains(key)) {
      return request_error("unknown field \"" + key +
                           "\" (fields: provider, model, system, prompt, messages, max_tokens, timeout_ms)");
    }
  }
  LlmRequest request;
  NAOS_ASSIGN_OR_RETURN(request.provider, optional_string(root, "provider"));
  NAOS_ASSIGN_OR_RETURN(request.model, optional_string(root, "model"));
  NAOS_ASSIGN_OR_RETURN(request.system, optional_string(root, "system"));
  NAOS_ASSIGN_OR_RETURN(std::string prompt, optional_string(root, "prompt"));
  NAOS_ASSIGN_OR_RETURN(request.max_tokens, optional_count(root, "max_tokens", kDefaultLlmMaxTokens, 1, kMaxLlmMaxTokens));
  NAOS_ASSIGN_OR_RETURN(request.timeout_ms, optional_count(root, "timeout_ms", 0, 0, 24LL * 3600 * 1000));
  bool has_messages = root.contains("messages") && !root["messages"].is_null();
  if (has_messages == root.contains("prompt")) return request_error("give either prompt or messages (one of them)");
  if (!has_messages) {
    request.messages.push_back({"user", std::move(prompt)});
    return request;
  }
  const json& messages = root["messages"];
  if (!messages.is_array() || messages.empty()) return request_error("messages must be a non-empty array");
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return request_error(where + " must be an object {role, content}");
    for (const auto& [key, value] : m.items()) {
      if (key != "role" && key != "content") return request_error(where + ": unknown field \"" + key + "\"");
    }
    if (!m.contains("role") || !m["role"].is_string()) return request_error(where + ".role must be a string");
    if (!m.contains("content") || !m["content"].is_string()) {
      return request_error(where + ".content must be a string");
    }
    std::string role = m["role"].get<std::string>();
    std::string content = m["content"].get<std::string>();
    if (role == "system") {
      request.system += (request.system.empty() ? "" : "\n\n") + content;
    } else if (role == "user" || role == "assistant") {
      request.messages.push_back({std::move(role), std::move(content)});
    } else {
      return request_error(where + ".role must be user, assistant or system, not \"" + role + "\"");
    }
  }
  if (request.messages.empty()) return request_error("messages has no user or assistant message");
  return request;
}

LlmProtocol protocol_for(std::string_view provider) {
  return starts_with(provider, "anthropic") ? LlmProtocol::kAnthropic : LlmProtocol::kOpenAi;
}

std::string default_base_url(std::string_view provider) {
  if (protocol_for(provider) == LlmProtocol::kAnthropic) return std::string(kAnthropicDefaultBaseUrl);
  if (provider == "openai") return std::string(kOpenAiDefaultBaseUrl);
  return {};
}

int64_t estimate_input_tokens(const LlmRequest& request) {
  int64_t bytes = static_cast<int64_t>(request.system.size()) + 16;
  for (const auto& m : request.messages) bytes += static_cast<int64_t>(m.role.size() + m.content.size()) + 8;
  return bytes;
}

std::string anthropic_request_body(const LlmRequest& request, std::string_view model) {
  json messages = json::array();
  for (const auto& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", model}, {"max_tokens", request.max_tokens}, {"messages", std::move(messages)}};
  if (!request.system.empty()) body["system"] = request.system;
  return dump(body);
}

std::string openai_request_body(const LlmRequest& request, std::string_view model) {
  json messages = json::array();
  if (!request.system.empty()) messages.push_back({{"role", "system"}, {"content", request.system}});
  for (const auto& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", model}, {"messages", std::move(messages)}, {"max_tokens", request.max_tokens}};
  return dump(body);
}

Result<LlmCompletion> parse_anthropic_response(std::string_view body) {
  constexpr std::string_view kProvider = "anthropic";
  json root = json::parse(body, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return malformed(kProvider, "not a JSON object");
  if (string_or_empty(root, "type") == "error") return vendor_error(kProvider, 200, body);
  auto content = root.find("content");
  if (content == root.end() || !content->is_array()) return malformed(kProvider, "no content array");
  LlmCompletion out;
  for (const auto& block : *content) {
    if (block.is_object() && string_or_empty(block, "type") == "text") out.text += string_or_empty(block, "text");
  }
  auto usage = root.find("usage");
  if (usage == root.end() || !usage->is_object()) return malformed(kProvider, "no usage object");
  NAOS_ASSIGN_OR_RETURN(out.usage.input, usage_count(kProvider, *usage, "input_tokens", true));
  NAOS_ASSIGN_OR_RETURN(out.usage.cache_write, usage_count(kProvider, *usage, "cache_creation_input_tokens", false));
  NAOS_ASSIGN_OR_RETURN(out.usage.cached_input, usage_count(kProvider, *usage, "cache_read_input_tokens", false));
  NAOS_ASSIGN_OR_RETURN(out.usage.output, usage_count(kProvider, *usage, "output_tokens", true));
  out.model = string_or_empty(root, "model");
  out.stop_reason = string_or_empty(root, "stop_reason");
  return out;
}

Result<LlmCompletion> parse_openai_response(std::string_view body) {
  constexpr std::string_view kProvider = "openai";
  json root = json::parse(body, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return malformed(kProvider, "not a JSON object");
  if (root.contains("error") && !root["error"].is_null()) return vendor_error(kProvider, 200, body);
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return malformed(kProvider, "no choices[0]");
  }
  const json& choice = (*choices)[0];
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return malformed(kProvider, "no choices[0].message");
  LlmCompletion out;
  auto content = message->find("content");
  if (content != message->end() && !content->is_null()) {
    if (!content->is_string()) return malformed(kProvider, "choices[0].message.content is not a string");
    out.text = content->get<std::string>();
  }
  auto usage = root.find("usage");
  if (usage == root.end() || !usage->is_object()) return malformed(kProvider, "no usage object");
  NAOS_ASSIGN_OR_RETURN(int64_t prompt, usage_count(kProvider, *usage, "prompt_tokens", true));
  NAOS_ASSIGN_OR_RETURN(out.usage.output, usage_count(kProvider, *usage, "completion_tokens", true));
  int64_t cached = 0;
  if (auto details = usage->find("prompt_tokens_details"); details != usage->end() && details->is_object()) {
    NAOS_ASSIGN_OR_RETURN(cached, usage_count(kProvider, *details, "cached_tokens", false));
  }
  if (cached > prompt) return malformed(kProvider, "more cached tokens than prompt tokens");
  out.usage.input = prompt - cached;  // prompt_tokens counts the cached ones too
  out.usage.cached_input = cached;
  out.model = string_or_empty(root, "model");
  out.stop_reason = string_or_empty(choice, "finish_reason");
  return out;
}

Error vendor_error(std::string_view provider, int status, std::string_view body) {
  std::string detail;
  json root = json::parse(body, nullptr, false);
  if (!root.is_discarded() && root.is_object() && root.contains("error")) {
    const json& error = root["error"];
    if (error.is_object()) {
      std::string type = string_or_empty(error, "type");
      if (type.empty()) type = string_or_empty(error, "code");
      std::string message = string_or_empty(error, "message");
      detail = type.empty() ? message : message.empty() ? type : type + ": " + message;
    } else if (error.is_string()) {
      detail = error.get<std::string>();
    }
  }
  if (detail.empty()) {
    std::string start(body.substr(0, 200));
    std::replace_if(start.begin(), start.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    detail = start.empty() ? "(empty body)" : start + (body.size() > 200 ? " ..." : "");
  }
  Code code = Code::kUnavailable;
  if (status == 400 || status == 404 || status == 413 || status == 422) code = Code::kInvalidArgument;
  if (status == 401 || status == 403) code = Code::kFailedPrecondition;
  return Error(code, "HTTP " + std::to_string(status) + " " + detail, std::string(provider));
}

Result<LlmCompletion> LlmClient::complete(const LlmEndpoint& endpoint, const LlmRequest& request,
                                          std::string_view model, std::chrono::steady_clock::time_point deadline,
                                          const std::atomic<bool>* cancel) const {
  if (request.timeout_ms > 0) {
    deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeout_ms));
  }
  std::string base = endpoint.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpClient::ServiceRequest call;
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("Accept", "application/json");
  bool anthropic = endpoint.protocol == LlmProtocol::kAnthropic;
  if (anthropic) {
    call.url = base + "/v1/messages";
    call.headers.emplace_back("anthropic-version", std::string(kAnthropicVersion));
    if (!endpoint.api_key.empty()) call.headers.emplace_back("x-api-key", endpoint.api_key);
    call.body = anthropic_request_body(request, model);
  } else {
    call.url = base + "/chat/completions";
    if (!endpoint.api_key.empty()) call.headers.emplace_back("Authorization", "Bearer " + endpoint.api_key);
    call.body = openai_request_body(request, model);
  }
  auto answer = http_.post_to_service(call, deadline, cancel);
  // Errors name the provider (the config key), not the URL: the operator
  // knows which one it is, and a URL could carry credentials.
  if (!answer) return redact(Error(answer.error().code(), answer.error().message(), endpoint.provider), endpoint.api_key);
  if (answer->status < 200 || answer->status > 299) {
    Error error = vendor_error(endpoint.provider, answer->status, answer->body);
    return redact(error, endpoint.api_key);
  }
  auto parsed = anthropic ? parse_anthropic_response(answer->body) : parse_openai_response(answer->body);
  if (!parsed) return redact(Error(parsed.error().code(), parsed.error().message(), endpoint.provider), endpoint.api_key);
  return parsed;
}

}  // namespace naos::capabilities
