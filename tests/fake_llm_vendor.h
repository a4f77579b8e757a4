// A stand-in for a paid LLM vendor, for tests only: a real HTTP server on
// 127.0.0.1 that accepts the vendors' own endpoints (Anthropic
// POST /v1/messages, OpenAI POST /v1/chat/completions), records every
// request as it arrived (path, headers, body), and answers with what the
// test's responder returns, in the vendor's own JSON shapes (the helpers
// below). Naos talks to it exactly as to the vendor: only baseUrl differs.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace naos::testing {

struct VendorRequest {
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

struct VendorReply {
  int status = 200;
  std::string body;
};

// The Messages API's success body.
inline std::string anthropic_reply(const std::vector<std::string>& texts, int64_t input, int64_t output,
                                   int64_t cache_read = 0, int64_t cache_creation = 0,
                                   const std::string& model = "claude-3-haiku-20240307") {
  nlohmann::json content = nlohmann::json::array();
  for (const auto& t : texts) content.push_back({{"type", "text"}, {"text", t}});
  return nlohmann::json{{"id", "msg_01"},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", model},
                        {"content", content},
                        {"stop_reason", "end_turn"},
                        {"stop_sequence", nullptr},
                        {"usage",
                         {{"input_tokens", input},
                          {"output_tokens", output},
                          {"cache_creation_input_tokens", cache_creation},
                          {"cache_read_input_tokens", cache_read}}}}
      .dump();
}

// The Messages API's error body.
inline std::string anthropic_error(const std::string& type, const std::string& message) {
  return nlohmann::json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
}

// Chat Completions' success body.
inline std::string openai_reply(const std::string& text, int64_t prompt, int64_t completion, int64_t cached = 0,
                                const std::string& model = "gpt-4o-mini-2024-07-18") {
  return nlohmann::json{
      {"id", "chatcmpl-1"},
      {"object", "chat.completion"},
      {"created", 1700000000},
      {"model", model},
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
         {"logprobs", nullptr},
         {"finish_reason", "stop"}}}},
      {"usage",
       {{"prompt_tokens", prompt},
        {"completion_tokens", completion},
        {"total_tokens", prompt + completion},
        {"prompt_tokens_details", {{"cached_tokens", cached}, {"audio_tokens", 0}}},
        {"completion_tokens_details", {{"reasoning_tokens", 0}}}}}}
      .dump();
}

// Chat Completions' error body.
inline std::string openai_error(const std::string& type, const std::string& message) {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}
      .dump();
}

class FakeLlmVendor {
 public:
  using Responder = std::function<VendorReply(const VendorRequest&)>;

  explicit FakeLlmVendor(Responder responder) : responder_(std::move(responder)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      VendorRequest seen{req.path, {}, req.body};
      for (const auto& [name, value] : req.headers) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        seen.headers[lower] = value;
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(seen);
      }
      int now = ++in_flight_;
      int most = max_in_flight_.load();
      while (now > most && !max_in_flight_.compare_exchange_weak(most, now)) {
      }
      VendorReply reply = responder_(seen);
      --in_flight_;
      res.status = reply.status;
      res.set_content(reply.body, "application/json");
    };
    server_.server().Post("/v1/messages", handle);
    server_.server().Post("/v1/chat/completions", handle);
    server_.start();
  }

  // Without /v1: what `llm.providers.anthropic.baseUrl` gets.
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<VendorRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  int max_in_flight() const { return max_in_flight_.load(); }
  int in_flight() const { return in_flight_.load(); }

 private:
  Responder responder_;
  LocalHttpServer server_;
  mutable std::mutex mutex_;
  std::vector<VendorRequest> requests_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

// Waits (sleeping in slices) until `done` or `limit` passes; for responders
// that must hold a request open.
inline void wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace naos::testing
