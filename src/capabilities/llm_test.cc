// capabilities/llm.h: the guest's request format, and both vendors' wire
// protocols spoken over real HTTP to a fake vendor on 127.0.0.1
// (tests/fake_llm_vendor.h): the request as sent (path, headers, body), the
// response as read (text, usage), and the vendors' failures as errors.
#include "capabilities/llm.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "fake_llm_vendor.h"

namespace naos::capabilities {
namespace {

using nlohmann::json;
using naos::testing::FakeLlmVendor;
using naos::testing::VendorReply;
using naos::testing::VendorRequest;
using Clock = std::chrono::steady_clock;

constexpr const char* kKey = "sk-ant-test-0123456789abcdefghijklmnop";

LlmRequest MustParse(std::string_view text) {
  auto parsed = parse_llm_request(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().to_string());
  return parsed ? *parsed : LlmRequest{};
}

void ExpectRefused(std::string_view text, std::string_view needle) {
  auto parsed = parse_llm_request(text);
  ASSERT_FALSE(parsed) << "accepted: " << text;
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  EXPECT_NE(parsed.error().message().find(needle), std::string::npos) << parsed.error().message();
}

Clock::time_point InSeconds(int s) { return Clock::now() + std::chrono::seconds(s); }

// ---- llm_complete.request: the guest's JSON ---------------------------------

TEST(LlmRequestFormat, APromptIsOneUserMessageWithTheDefaultMaxTokens) {
  LlmRequest r = MustParse(R"({"model": "m", "prompt": "Hello"})");
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, "user");
  EXPECT_EQ(r.messages[0].content, "Hello");
  EXPECT_EQ(r.max_tokens, kDefaultLlmMaxTokens);
  EXPECT_TRUE(r.provider.empty());
}

TEST(LlmRequestFormat, SystemMessagesAreJoinedIntoTheSystemPrompt) {
  LlmRequest r = MustParse(R"({"model": "m", "provider": "openai", "max_tokens": 7, "system": "A",
    "messages": [{"role": "system", "content": "B"}, {"role": "user", "content": "q"},
                 {"role": "assistant", "content": "a"}, {"role": "user", "content": "q2"}]})");
  EXPECT_EQ(r.provider, "openai");
  EXPECT_EQ(r.system, "A\n\nB");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[1].role, "assistant");
  EXPECT_EQ(r.max_tokens, 7);
}

TEST(LlmRequestFormat, MistakesAreRefusedNamingTheField) {
  ExpectRefused("not json", "not a JSON object");
  ExpectRefused(R"({"model": "m"})", "either prompt or messages");
  ExpectRefused(R"({"model": "m", "prompt": "a", "messages": [{"role": "user", "content": "b"}]})",
                "either prompt or messages");
  ExpectRefused(R"({"model": "m", "prompt": "a", "max_token": 5})", "unknown field \"max_token\"");
  ExpectRefused(R"({"model": "m", "prompt": "a", "max_tokens": 0})", "max_tokens must be between 1 and");
  ExpectRefused(R"({"model": "m", "prompt": "a", "max_tokens": 1.5})", "max_tokens must be a whole number");
  ExpectRefused(R"({"model": "m", "messages": []})", "non-empty array");
  ExpectRefused(R"({"model": "m", "messages": [{"role": "tool", "content": "x"}]})", "messages[0].role must be");
  ExpectRefused(R"({"model": "m", "messages": [{"role": "user", "content": 5}]})", "messages[0].content");
  ExpectRefused(R"({"model": "m", "messages": [{"role": "system", "content": "x"}]})", "no user or assistant");
  ExpectRefused(R"({"model": 5, "prompt": "a"})", "model must be a string");
}

TEST(LlmRequestFormat, TheInputEstimateIsAtLeastOneTokenPerByte) {
  LlmRequest r = MustParse(R"({"model": "m", "system": "sys", "messages": [{"role": "user", "content": "héllo"}]})");
  // 3 (system) + 4 ("user") + 6 (UTF-8 bytes of héllo) + 8 + 16.
  EXPECT_EQ(estimate_input_tokens(r), 3 + 4 + 6 + 8 + 16);
}

TEST(LlmProviders, AnthropicNamesSpeakTheMessagesApiAndOthersChatCompletions) {
  EXPECT_EQ(protocol_for("anthropic"), LlmProtocol::kAnthropic);
  EXPECT_EQ(protocol_for("anthropic-eu"), LlmProtocol::kAnthropic);
  EXPECT_EQ(protocol_for("openai"), LlmProtocol::kOpenAi);
  EXPECT_EQ(protocol_for("ollama"), LlmProtocol::kOpenAi);
  EXPECT_EQ(default_base_url("anthropic"), "https://api.anthropic.com");
  EXPECT_EQ(default_base_url("openai"), "https://api.openai.com/v1");
  EXPECT_EQ(default_base_url("ollama"), "");
}

// ---- the Anthropic Messages API -----------------------------------------------

TEST(LlmAnthropic, SendsTheMessagesApiRequestAndReadsTextAndUsage) {
  FakeLlmVendor vendor([](const VendorRequest&) {
    return VendorReply{200, naos::testing::anthropic_reply({"Hello", ", world"}, 12, 5, 3, 2)};
  });
  HttpClient http;
  LlmClient client(http);
  LlmEndpoint endpoint{"anthropic", LlmProtocol::kAnthropic, vendor.base_url() + "/", kKey};
  LlmRequest request = MustParse(R"({"prompt": "Say hello", "system": "Be brief", "max_tokens": 64})");
  auto done = client.complete(endpoint, request, "claude-3-haiku", InSeconds(10), nullptr);
  ASSERT_TRUE(done) << done.error().to_string();

  ASSERT_EQ(vendor.count(), 1u);
  VendorRequest sent = vendor.requests()[0];
  EXPECT_EQ(sent.path, "/v1/messages");
  EXPECT_EQ(sent.header("x-api-key"), kKey);
  EXPECT_EQ(sent.header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(sent.header("content-type"), "application/json");
  EXPECT_EQ(sent.header("authorization"), "") << "the key goes in x-api-key only";
  EXPECT_EQ(sent.json(), json::parse(R"({"model": "claude-3-haiku", "max_tokens": 64, "system": "Be brief",
                                          "messages": [{"role": "user", "content": "Say hello"}]})"));

  EXPECT_EQ(done->text, "Hello, world");
  EXPECT_EQ(done->model, "claude-3-haiku-20240307");
  EXPECT_EQ(done->stop_reason, "end_turn");
  EXPECT_EQ(done->usage.input, 12);
  EXPECT_EQ(done->usage.cache_write, 2);
  EXPECT_EQ(done->usage.cached_input, 3);
  EXPECT_EQ(done->usage.output, 5);
}

TEST(LlmAnthropic, NoSystemFieldWithoutASystemPromptAndNoKeyHeaderWithoutAKey) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, naos::testing::anthropic_reply({"x"}, 1, 1)}; });
  HttpClient http;
  LlmEndpoint endpoint{"anthropic", LlmProtocol::kAnthropic, vendor.base_url(), ""};
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q"})"), "m", InSeconds(10), nullptr);
  ASSERT_TRUE(done) << done.error().to_string();
  VendorRequest sent = vendor.requests()[0];
  EXPECT_FALSE(sent.json().contains("system"));
  EXPECT_EQ(sent.headers.count("x-api-key"), 0u);
}

// ---- OpenAI Chat Completions --------------------------------------------------

TEST(LlmOpenAi, SendsAChatCompletionsRequestAndReadsTextAndUsage) {
  FakeLlmVendor vendor([](const VendorRequest&) {
    return VendorReply{200, naos::testing::openai_reply("Paris.", 20, 2, 8)};
  });
  HttpClient http;
  LlmEndpoint endpoint{"openai", LlmProtocol::kOpenAi, vendor.base_url() + "/v1", "sk-proj-openai-test-key-000000"};
  LlmRequest request = MustParse(R"({"system": "Answer in one word",
    "messages": [{"role": "user", "content": "Capital of France?"}], "max_tokens": 16})");
  auto done = LlmClient(http).complete(endpoint, request, "gpt-4o-mini", InSeconds(10), nullptr);
  ASSERT_TRUE(done) << done.error().to_string();

  ASSERT_EQ(vendor.count(), 1u);
  VendorRequest sent = vendor.requests()[0];
  EXPECT_EQ(sent.path, "/v1/chat/completions");
  EXPECT_EQ(sent.header("authorization"), "Bearer sk-proj-openai-test-key-000000");
  EXPECT_EQ(sent.headers.count("x-api-key"), 0u);
  EXPECT_EQ(sent.json(), json::parse(R"({"model": "gpt-4o-mini", "max_tokens": 16,
    "messages": [{"role": "system", "content": "Answer in one word"},
                 {"role": "user", "content": "Capital of France?"}]})"));

  EXPECT_EQ(done->text, "Paris.");
  EXPECT_EQ(done->stop_reason, "stop");
  EXPECT_EQ(done->usage.input, 12) << "prompt_tokens counts the cached ones; input is the rest";
  EXPECT_EQ(done->usage.cached_input, 8);
  EXPECT_EQ(done->usage.output, 2);
}

TEST(LlmOpenAi, ANullContentIsEmptyText) {
  json body = json::parse(naos::testing::openai_reply("x", 1, 1));
  body["choices"][0]["message"]["content"] = nullptr;
  auto parsed = parse_openai_response(body.dump());
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->text, "");
}

// ---- vendor failures become clear errors ----------------------------------------

Error FailWith(LlmProtocol protocol, int status, const std::string& body, const std::string& key = kKey) {
  FakeLlmVendor vendor([&](const VendorRequest&) { return VendorReply{status, body}; });
  HttpClient http;
  std::string base = protocol == LlmProtocol::kAnthropic ? vendor.base_url() : vendor.base_url() + "/v1";
  LlmEndpoint endpoint{protocol == LlmProtocol::kAnthropic ? "anthropic" : "openai", protocol, base, key};
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q"})"), "m", InSeconds(10), nullptr);
  EXPECT_FALSE(done) << "succeeded";
  return done ? Error(Code::kInternal, "succeeded") : done.error();
}

TEST(LlmVendorErrors, RateLimitIsUnavailableWithTheVendorsTypeAndMessage) {
  Error e = FailWith(LlmProtocol::kAnthropic, 429,
                     naos::testing::anthropic_error("rate_limit_error", "Number of requests has exceeded your rate limit"));
  EXPECT_EQ(e.code(), Code::kUnavailable);
  EXPECT_EQ(e.to_string(), "anthropic: HTTP 429 rate_limit_error: Number of requests has exceeded your rate limit");
}

TEST(LlmVendorErrors, ServerErrorIsUnavailable) {
  Error e = FailWith(LlmProtocol::kOpenAi, 500, naos::testing::openai_error("server_error", "The server had an error"));
  EXPECT_EQ(e.code(), Code::kUnavailable);
  EXPECT_EQ(e.to_string(), "openai: HTTP 500 server_error: The server had an error");
  Error overloaded =
      FailWith(LlmProtocol::kAnthropic, 529, naos::testing::anthropic_error("overloaded_error", "Overloaded"));
  EXPECT_EQ(overloaded.code(), Code::kUnavailable);
}

TEST(LlmVendorErrors, BadRequestIsInvalidArgumentAndABadKeyIsAFailedPreconditionNotADenial) {
  Error bad = FailWith(LlmProtocol::kAnthropic, 400,
                       naos::testing::anthropic_error("invalid_request_error", "max_tokens: too large"));
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("invalid_request_error: max_tokens: too large"), std::string::npos);
  Error auth = FailWith(LlmProtocol::kOpenAi, 401, naos::testing::openai_error("invalid_request_error", "bad key"));
  EXPECT_EQ(auth.code(), Code::kFailedPrecondition);
}

TEST(LlmVendorErrors, AKeyTheVendorEchoesIsRedacted) {
  Error e = FailWith(LlmProtocol::kOpenAi, 401,
                     naos::testing::openai_error("invalid_request_error", std::string("Incorrect API key provided: ") +
                                                                              kKey + "."));
  EXPECT_EQ(e.to_string().find(kKey), std::string::npos) << e.to_string();
  EXPECT_NE(e.message().find("Incorrect API key provided: [redacted]."), std::string::npos) << e.message();
}

TEST(LlmVendorErrors, ANonJsonErrorBodyIsQuoted) {
  Error e = FailWith(LlmProtocol::kOpenAi, 502, "<html>Bad Gateway</html>");
  EXPECT_EQ(e.code(), Code::kUnavailable);
  EXPECT_EQ(e.to_string(), "openai: HTTP 502 <html>Bad Gateway</html>");
}

TEST(LlmVendorErrors, MalformedSuccessBodiesAreUnavailableAndSayWhatIsWrong) {
  Error not_json = FailWith(LlmProtocol::kAnthropic, 200, "{\"content\": [");
  EXPECT_EQ(not_json.code(), Code::kUnavailable);
  EXPECT_EQ(not_json.to_string(), "anthropic: malformed response: not a JSON object");

  json no_usage = json::parse(naos::testing::anthropic_reply({"x"}, 1, 1));
  no_usage.erase("usage");
  EXPECT_EQ(FailWith(LlmProtocol::kAnthropic, 200, no_usage.dump()).to_string(),
            "anthropic: malformed response: no usage object");

  json negative = json::parse(naos::testing::openai_reply("x", 1, 1));
  negative["usage"]["completion_tokens"] = -4;
  EXPECT_EQ(FailWith(LlmProtocol::kOpenAi, 200, negative.dump()).to_string(),
            "openai: malformed response: usage.completion_tokens is not a token count");

  EXPECT_EQ(FailWith(LlmProtocol::kOpenAi, 200, R"({"choices": []})").to_string(),
            "openai: malformed response: no choices[0]");
}

// ---- time limits and cancellation ----------------------------------------------------

TEST(LlmTimeLimits, TheGuestsTimeoutEndsACallTheVendorDoesNotAnswer) {
  std::atomic<bool> release{false};
  FakeLlmVendor vendor([&](const VendorRequest&) {
    naos::testing::wait_until([&] { return release.load(); }, std::chrono::seconds(10));
    return VendorReply{200, naos::testing::anthropic_reply({"late"}, 1, 1)};
  });
  HttpClient http;
  LlmEndpoint endpoint{"anthropic", LlmProtocol::kAnthropic, vendor.base_url(), kKey};
  auto started = Clock::now();
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q", "timeout_ms": 300})"), "m",
                                       InSeconds(30), nullptr);
  auto waited = Clock::now() - started;
  release = true;
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), Code::kDeadlineExceeded);
  EXPECT_NE(done.error().to_string().find("anthropic: no response within"), std::string::npos)
      << done.error().to_string();
  EXPECT_LT(waited, std::chrono::seconds(5)) << "the vendor held the request for 10 s";
}

TEST(LlmTimeLimits, TheRunsDeadlineEndsTheCallToo) {
  std::atomic<bool> release{false};
  FakeLlmVendor vendor([&](const VendorRequest&) {
    naos::testing::wait_until([&] { return release.load(); }, std::chrono::seconds(10));
    return VendorReply{200, naos::testing::openai_reply("late", 1, 1)};
  });
  HttpClient http;
  LlmEndpoint endpoint{"openai", LlmProtocol::kOpenAi, vendor.base_url() + "/v1", kKey};
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q"})"), "m",
                                       Clock::now() + std::chrono::milliseconds(300), nullptr);
  release = true;
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), Code::kDeadlineExceeded);
}

TEST(LlmTimeLimits, CancellingTheRunAbortsTheCall) {
  std::atomic<bool> release{false};
  FakeLlmVendor vendor([&](const VendorRequest&) {
    naos::testing::wait_until([&] { return release.load(); }, std::chrono::seconds(10));
    return VendorReply{200, naos::testing::anthropic_reply({"late"}, 1, 1)};
  });
  HttpClient http;
  LlmEndpoint endpoint{"anthropic", LlmProtocol::kAnthropic, vendor.base_url(), kKey};
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel = true;
  });
  auto started = Clock::now();
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q"})"), "m", InSeconds(30), &cancel);
  auto waited = Clock::now() - started;
  canceller.join();
  release = true;
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), Code::kAborted);
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(LlmTimeLimits, AnUnreachableProviderIsUnavailable) {
  HttpClient http;
  // Port 9 on loopback: nothing listens (connection refused).
  LlmEndpoint endpoint{"anthropic", LlmProtocol::kAnthropic, "http://127.0.0.1:9", kKey};
  auto done = LlmClient(http).complete(endpoint, MustParse(R"({"prompt": "q"})"), "m", InSeconds(10), nullptr);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), Code::kUnavailable);
  EXPECT_EQ(done.error().context(), "anthropic");
  EXPECT_EQ(done.error().to_string().find(kKey), std::string::npos);
}

}  // namespace
}  // namespace naos::capabilities
