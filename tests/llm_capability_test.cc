// nexus.llm_complete end to end (docs/abi.md "llm_complete"): a real agent
// compiled from tests/agents/llm_user.c, run by Naos in the real sandbox,
// calling a fake vendor (tests/fake_llm_vendor.h) that speaks the vendors'
// wire protocols over real HTTP on 127.0.0.1. The fake stands in for the
// vendor only because LLM calls are paid.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "capabilities/llm.h"
#include "core/naos.h"
#include "fake_llm_vendor.h"
#include "governance/audit_log.h"
#include "test_support.h"
#include "test_env.h"

namespace naos {
namespace {

using nlohmann::json;
using testing::FakeLlmVendor;
using testing::VendorReply;
using testing::VendorRequest;

constexpr const char* kEnvKey = "sk-ant-env-key-ABCDEFGHIJKLMNOPQRSTUV";
constexpr const char* kSecretKey = "sk-ant-secret-key-0123456789abcdefghij";

// claude-3-haiku's published prices: $0.00025 / $0.00125 per 1K tokens, so
// 25 and 125 micro-cents a token; cached input a tenth of input.
constexpr const char* kPrices =
    "  models:\n"
    "    claude-3-haiku: { inputCostPer1k: \"0.00025\", outputCostPer1k: \"0.00125\", cachedInputCostPer1k: "
    "\"0.000025\" }\n"
    "    gpt-4o-mini: { inputCostPer1k: \"0.00025\", outputCostPer1k: \"0.00125\", cachedInputCostPer1k: "
    "\"0.000025\" }\n";

// $0.01 per 1K tokens in and out: 1000 micro-cents a token.
constexpr const char* kFlatPrice = "  models:\n    flat: { inputCostPer1k: \"0.01\", outputCostPer1k: \"0.01\" }\n";

struct Call {
  int rc = 0;
  json reply;
};

// llm_user prints "rc=N len=N\n<reply>\n" per call.
std::vector<Call> Calls(const std::string& output) {
  std::vector<Call> calls;
  std::istringstream in(output);
  std::string head, body;
  while (std::getline(in, head) && std::getline(in, body)) {
    Call call;
    EXPECT_EQ(std::sscanf(head.c_str(), "rc=%d", &call.rc), 1) << head;
    call.reply = json::parse(body, nullptr, false);
    calls.push_back(std::move(call));
  }
  return calls;
}

std::string Request(const std::string& fields) { return "{" + fields + "}"; }

class LlmCapability : public ::testing::Test {
 protected:
  // `agent_caps` goes inside the agent's capabilities mapping, `cost` under
  // `cost:`, `extra` at the top level.
  void Open(const std::string& providers, const std::string& agent_caps = "llm: true",
            const std::string& cost = kPrices, const std::string& extra = "") {
    std::string config = "name: llm\nllm:\n  providers:\n" + providers + "agents:\n  writer:\n    source: " +
                         testing::agent_path("llm_user").string() + "\n    capabilities: { " + agent_caps +
                         " }\ncost:\n" + cost + extra;
    auto naos = testing::open_project(dir_.path(), config, clock_, env_);
    ASSERT_TRUE(naos) << naos.error().to_string();
    naos_ = std::move(*naos);
  }

  std::string Anthropic(const FakeLlmVendor& vendor) {
    return "    anthropic: { apiKey: \"${ANTHROPIC_API_KEY}\", baseUrl: \"" + vendor.base_url() + "\" }\n";
  }
  std::string OpenAi(const FakeLlmVendor& vendor) {
    return "    openai: { apiKey: \"${OPENAI_API_KEY}\", baseUrl: \"" + vendor.base_url() + "/v1\" }\n";
  }

  AgentRun Run(const std::string& input) {
    RunOptions options;
    options.input = input;
    auto run = naos_->run("writer", options);
    EXPECT_TRUE(run) << run.error().to_string();
    if (!run) return AgentRun{};
    EXPECT_TRUE(run->outcome.ok()) << run->outcome.message;
    return std::move(*run);
  }

  std::vector<governance::AuditEvent> Events(const std::string& type) {
    auto events = governance::query_audit(*naos_->database(), {.action = type});
    EXPECT_TRUE(events) << events.error().to_string();
    return events ? *events : std::vector<governance::AuditEvent>{};
  }

  int64_t Spent(const std::string& agent) {
    auto status = naos_->budget()->status();
    EXPECT_TRUE(status) << status.error().to_string();
    for (const auto& s : *status) {
      if (s.target == agent) return s.spent_microcents;
    }
    return 0;
  }

  // Every byte naos keeps for the project: the database (and its WAL), logs,
  // the audit key, the module cache.
  std::string EverythingStored() {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path() / "data")) {
      if (entry.is_regular_file()) all += testing::read_file(entry.path());
    }
    return all;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::map<std::string, std::string> env_ = {{"ANTHROPIC_API_KEY", kEnvKey},
                                             {"OPENAI_API_KEY", "sk-proj-env-openai-key-0000000000"}};
  std::unique_ptr<Naos> naos_;
};

// ---- llm_complete: both protocols, reply, cost --------------------------------

TEST_F(LlmCapability, AnAnthropicCallReturnsTextAndUsageAndRecordsItsExactCost) {
  FakeLlmVendor vendor([](const VendorRequest&) {
    return VendorReply{200, testing::anthropic_reply({"Hello ", "there"}, 7, 3)};
  });
  Open(Anthropic(vendor));
  auto run = Run(Request(R"("model": "claude-3-haiku", "prompt": "Greet me", "max_tokens": 50)"));
  auto calls = Calls(run.outcome.output);
  ASSERT_EQ(calls.size(), 1u) << run.outcome.output;
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  EXPECT_EQ(calls[0].reply["text"], "Hello there");
  EXPECT_EQ(calls[0].reply["provider"], "anthropic");
  EXPECT_EQ(calls[0].reply["model"], "claude-3-haiku-20240307");
  EXPECT_EQ(calls[0].reply["usage"], json::parse(R"({"input_tokens": 7, "output_tokens": 3, "cached_input_tokens": 0,
                                                     "cache_write_tokens": 0})"));
  // 7 * 25 + 3 * 125 micro-cents.
  EXPECT_EQ(calls[0].reply["cost_microcents"], 550);

  ASSERT_EQ(vendor.count(), 1u);
  VendorRequest sent = vendor.requests()[0];
  EXPECT_EQ(sent.path, "/v1/messages");
  EXPECT_EQ(sent.header("x-api-key"), kEnvKey);
  EXPECT_EQ(sent.json()["max_tokens"], 50);

  auto recorded = Events("cost.recorded");
  ASSERT_EQ(recorded.size(), 1u);
  auto payload = json::parse(recorded[0].payload);
  EXPECT_EQ(payload["source"], "llm");
  EXPECT_EQ(payload["amount_microcents"], 550);
  EXPECT_EQ(payload["model"], "claude-3-haiku");
  EXPECT_EQ(payload["provider"], "anthropic");
  EXPECT_EQ(payload["input_tokens"], 7);
  EXPECT_EQ(payload["output_tokens"], 3);
  EXPECT_EQ(payload["note"], "claude-3-haiku: 7 in, 3 out, 0 cached");
  EXPECT_EQ(payload["detail"], "$0.0000055");
  EXPECT_EQ(Spent("writer"), 550);
}

TEST_F(LlmCapability, SubCentCostsAccumulateExactly) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 7, 3)}; });
  Open(Anthropic(vendor));
  std::string request = Request(R"("model": "claude-3-haiku", "prompt": "q", "max_tokens": 10)");
  Run("twice:" + request);
  Run(request);
  EXPECT_EQ(vendor.count(), 3u);
  EXPECT_EQ(Events("cost.recorded").size(), 3u);
  // Three calls of $0.0000055: exactly 1650 micro-cents, no cent rounding.
  EXPECT_EQ(Spent("writer"), 1650);
}

TEST_F(LlmCapability, AnOpenAiCallIsPricedWithCachedTokensAtTheCachedPriceRoundedUpOnce) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::openai_reply("Paris", 12, 3, 5)}; });
  Open(OpenAi(vendor));
  auto run = Run(Request(R"("model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Capital?"}])"));
  auto calls = Calls(run.outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  EXPECT_EQ(calls[0].reply["text"], "Paris");
  EXPECT_EQ(calls[0].reply["usage"], json::parse(R"({"input_tokens": 7, "output_tokens": 3, "cached_input_tokens": 5,
                                                     "cache_write_tokens": 0})"));
  // 7 * 25 + 3 * 125 + 5 * 2.5 = 562.5 micro-cents, rounded up once: 563.
  EXPECT_EQ(calls[0].reply["cost_microcents"], 563);
  EXPECT_EQ(Spent("writer"), 563);
  VendorRequest sent = vendor.requests()[0];
  EXPECT_EQ(sent.path, "/v1/chat/completions");
  EXPECT_EQ(sent.header("authorization"), "Bearer sk-proj-env-openai-key-0000000000");
  EXPECT_EQ(sent.json()["max_tokens"], capabilities::kDefaultLlmMaxTokens);
}

// Anthropic bills prompt-cache writes at 1.25 times the input price:
// cacheWriteCostPer1k prices them, and the reservation covers every input
// token at that dearer price, so the call stays within it.
TEST_F(LlmCapability, AnthropicCacheWritesArePricedAtTheCacheWritePrice) {
  // Every input token the estimate allows for "hi" (30) written to the
  // cache, and max_tokens of output: the most this call can cost.
  FakeLlmVendor vendor([](const VendorRequest&) {
    return VendorReply{200, testing::anthropic_reply({"ok"}, 0, 10, 0, 30)};
  });
  Open(Anthropic(vendor), "llm: true",
       "  budgets:\n    writer: { limit: 1, period: day }\n"
       "  models:\n    claude-3-haiku: { inputCostPer1k: \"0.00025\", outputCostPer1k: \"0.00125\", "
       "cacheWriteCostPer1k: \"0.0003125\" }\n");
  ASSERT_TRUE(naos_->create_from_config("test"));
  auto run = Run(Request(R"("model": "claude-3-haiku", "prompt": "hi", "max_tokens": 10)"));
  auto calls = Calls(run.outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].reply["usage"]["cache_write_tokens"], 30);
  // 10 * 125 + 30 * 31.25 = 2187.5 micro-cents, rounded up once.
  EXPECT_EQ(calls[0].reply["cost_microcents"], 2188);
  auto rows = naos_->budget()->ledger().rows_since("writer", 0);
  ASSERT_TRUE(rows && rows->size() == 1u);
  EXPECT_EQ((*rows)[0].amount_microcents, 2188);
  EXPECT_EQ((*rows)[0].beyond_reservation_microcents, 0) << "reserved at the input price, 188 would be beyond";
  EXPECT_EQ((*rows)[0].detail, "claude-3-haiku: 0 in, 10 out, 0 cached, 30 written to the cache");
  auto payload = json::parse(Events("cost.recorded")[0].payload);
  EXPECT_EQ(payload["cache_write_tokens"], 30);
}

// ---- which provider ---------------------------------------------------------------

TEST_F(LlmCapability, TheProviderNamedIsUsedTheFirstByNameIsTheDefaultAndAnUnknownOneIsRefused) {
  FakeLlmVendor anthropic([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"A"}, 1, 1)}; });
  FakeLlmVendor openai([](const VendorRequest&) { return VendorReply{200, testing::openai_reply("O", 1, 1)}; });
  Open(Anthropic(anthropic) + OpenAi(openai));
  auto named = Calls(Run(Request(R"("provider": "openai", "model": "gpt-4o-mini", "prompt": "q")")).outcome.output);
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].reply["text"], "O");
  auto fallback = Calls(Run(Request(R"("model": "claude-3-haiku", "prompt": "q")")).outcome.output);
  ASSERT_EQ(fallback.size(), 1u);
  EXPECT_EQ(fallback[0].reply["text"], "A");
  auto unknown = Calls(Run(Request(R"("provider": "mistral", "model": "m", "prompt": "q")")).outcome.output);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].rc, -4);  // NEXUS_E_INVALID
  EXPECT_EQ(unknown[0].reply["error"]["message"], "unknown provider \"mistral\" (llm.providers has: anthropic, openai)");
  EXPECT_EQ(anthropic.count(), 1u);
  EXPECT_EQ(openai.count(), 1u);
}

TEST_F(LlmCapability, TheBrokersProviderAndModelAreTheDefaultWhenSet) {
  FakeLlmVendor anthropic([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"A"}, 1, 1)}; });
  FakeLlmVendor openai([](const VendorRequest&) { return VendorReply{200, testing::openai_reply("O", 1, 1)}; });
  Open(Anthropic(anthropic) + OpenAi(openai), "llm: true", kPrices,
       "broker:\n  llm: { provider: openai, model: gpt-4o-mini }\n");
  auto calls = Calls(Run(Request(R"("prompt": "q")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].reply["text"], "O");
  ASSERT_EQ(openai.count(), 1u);
  EXPECT_EQ(openai.requests()[0].json()["model"], "gpt-4o-mini");
}

// ---- the key: a secret or the environment, never shown ------------------------------

TEST_F(LlmCapability, TheKeyComesFromANaosSecretBeforeTheEnvironmentAndIsNeverStoredOrShown) {
  FakeLlmVendor vendor([](const VendorRequest& request) {
    if (request.json()["messages"][0]["content"] == "fail") {
      // OpenAI-style: a vendor that echoes the key it was given.
      return VendorReply{401, testing::anthropic_error("authentication_error",
                                                       "invalid x-api-key " + request.header("x-api-key"))};
    }
    return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)};
  });
  Open(Anthropic(vendor));
  ASSERT_TRUE(naos_->secrets()->set("ANTHROPIC_API_KEY", kSecretKey, clock_.now_ms()));
  auto good = Run(Request(R"("model": "claude-3-haiku", "prompt": "hi")"));
  auto bad = Run(Request(R"("model": "claude-3-haiku", "prompt": "fail")"));
  ASSERT_EQ(vendor.count(), 2u);
  EXPECT_EQ(vendor.requests()[0].header("x-api-key"), kSecretKey) << "the secret wins over the environment";

  auto failed = Calls(bad.outcome.output);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].rc, -7);  // NEXUS_E_INTERNAL: the project's key is wrong
  EXPECT_EQ(failed[0].reply["error"]["code"], "failed_precondition");
  EXPECT_EQ(failed[0].reply["error"]["message"],
            "anthropic: HTTP 401 authentication_error: invalid x-api-key [redacted]");

  auto accessed = Events("secret.accessed");
  ASSERT_EQ(accessed.size(), 2u);
  EXPECT_EQ(json::parse(accessed[0].payload)["secret"], "ANTHROPIC_API_KEY");

  for (const auto* key : {kSecretKey, kEnvKey}) {
    EXPECT_EQ(good.outcome.output.find(key), std::string::npos);
    EXPECT_EQ(bad.outcome.output.find(key), std::string::npos);
    EXPECT_EQ(EverythingStored().find(key), std::string::npos) << "the key is in data/ (audit, ledger, logs)";
  }
}

TEST_F(LlmCapability, AKeyThatIsNotSetIsAClearErrorNamingTheVariableAndNothingIsSent) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  env_.clear();
  Open(Anthropic(vendor));
  auto calls = Calls(Run(Request(R"("model": "claude-3-haiku", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, -7);
  EXPECT_EQ(calls[0].reply["error"]["message"],
            "anthropic: environment variable ANTHROPIC_API_KEY is not set (needed by "
            "llm.providers.anthropic.apiKey); set it with `naos secret set ANTHROPIC_API_KEY` or in the environment");
  EXPECT_EQ(vendor.count(), 0u);
}

// ---- the grant ------------------------------------------------------------------------

TEST_F(LlmCapability, WithoutLlmTrueTheCallIsDeniedAndAuditedAsCapabilityDenied) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  Open(Anthropic(vendor), "kv: false");
  auto calls = Calls(Run(Request(R"("model": "claude-3-haiku", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, -1);  // NEXUS_E_DENIED
  EXPECT_EQ(calls[0].reply["error"]["code"], "permission_denied");
  EXPECT_EQ(vendor.count(), 0u);
  auto denied = Events("capability.denied");
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(json::parse(denied[0].payload)["capability"], "llm");
  EXPECT_EQ(Events("cost.recorded").size(), 0u);
}

TEST_F(LlmCapability, ATrustTierWorseThanCapabilityTiersLlmTakesTheGrantAway) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  Open(Anthropic(vendor), "llm: true", kPrices, "trust:\n  capabilityTiers: { llm: T1 }\n");
  auto calls = Calls(Run(Request(R"("model": "claude-3-haiku", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, -1);
  EXPECT_EQ(vendor.count(), 0u);
  auto denied = Events("capability.denied");
  ASSERT_EQ(denied.size(), 2u) << "the trust gate, then the call";
  auto gate = json::parse(denied[0].payload);
  EXPECT_EQ(gate["capability"], "llm");
  EXPECT_EQ(gate["reason"], "trust");
  EXPECT_EQ(json::parse(denied[1].payload)["capability"], "llm");
}

TEST_F(LlmCapability, WithinItsTrustTierTheAgentKeepsLlm) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  Open(Anthropic(vendor), "llm: true", kPrices, "trust:\n  capabilityTiers: { llm: T4 }\n");
  auto calls = Calls(Run(Request(R"("model": "claude-3-haiku", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  EXPECT_EQ(vendor.count(), 1u);
}

// ---- budgets: reserve, then settle --------------------------------------------------------

// The vendor reports the most the call may cost: every input token the
// estimate allows and max_tokens of output, so each call costs exactly its
// reservation.
VendorReply CostsItsReservation(const VendorRequest& request) {
  json body = request.json();
  capabilities::LlmRequest as_sent;
  for (const auto& m : body["messages"]) as_sent.messages.push_back({m["role"], m["content"]});
  int64_t input = capabilities::estimate_input_tokens(as_sent);
  return VendorReply{200, testing::anthropic_reply({"ok"}, input, body["max_tokens"].get<int64_t>())};
}

TEST_F(LlmCapability, ConcurrentCallsNeverOverspendTheBudget) {
  constexpr int kRuns = 12;
  // "hi" as one user message: 2 + 4 + 8 + 16 = 30 input tokens at most, and
  // 100 output, at $0.01 per 1K (1000 micro-cents a token): 130,000 each.
  // The budget (1 cent = 1,000,000) holds 7 such calls; 12 run at once.
  constexpr int64_t kEach = 130'000, kFits = 7;
  std::atomic<int> arrived{0};
  FakeLlmVendor vendor([&](const VendorRequest& request) {
    // Hold every call until as many as the budget allows are in flight, so
    // they overlap: a check that did not count calls in flight would let
    // all 12 through.
    ++arrived;
    testing::wait_until([&] { return arrived.load() >= kFits; }, std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return CostsItsReservation(request);
  });
  Open(Anthropic(vendor), "llm: true",
       "  budgets:\n    writer: { limit: 1, period: day, onExceed: pause }\n" + std::string(kFlatPrice));

  std::vector<std::thread> threads;
  std::vector<std::string> outputs(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      RunOptions options;
      options.input = Request(R"("model": "flat", "prompt": "hi", "max_tokens": 100)");
      auto run = naos_->run("writer", options);
      if (run) outputs[i] = run->outcome.output;
    });
  }
  for (auto& t : threads) t.join();
  int paid = 0, refused = 0;
  for (const auto& output : outputs) {
    auto calls = Calls(output);
    ASSERT_EQ(calls.size(), 1u) << output;
    if (calls[0].rc == 0) {
      ++paid;
      EXPECT_EQ(calls[0].reply["cost_microcents"], kEach);
    } else {
      EXPECT_EQ(calls[0].rc, -6) << calls[0].reply;  // NEXUS_E_LIMIT
      EXPECT_EQ(calls[0].reply["error"]["code"], "resource_exhausted");
      ++refused;
    }
  }
  EXPECT_EQ(paid, kFits);
  EXPECT_EQ(refused, kRuns - kFits);
  EXPECT_EQ(vendor.count(), static_cast<size_t>(kFits)) << "a refused call is never sent";
  EXPECT_GE(vendor.max_in_flight(), 2) << "the calls did not overlap; the test proves nothing";
  EXPECT_EQ(Spent("writer"), kFits * kEach);
  EXPECT_LE(Spent("writer"), 1'000'000);
  naos_->budget()->check_invariants();
}

TEST_F(LlmCapability, ACallTheSpentBudgetCannotCoverIsRefusedAndPausesTheAgent) {
  FakeLlmVendor vendor(CostsItsReservation);
  // $0.01 per 1K output tokens: 900 tokens (+ 30 input) is 930,000 of the
  // 1,000,000 micro-cent (1 cent) budget; a second such call cannot fit.
  Open(Anthropic(vendor), "llm: true",
       "  budgets:\n    writer: { limit: 1, period: day, onExceed: pause }\n" + std::string(kFlatPrice));
  ASSERT_TRUE(naos_->create_from_config("test"));

  RunOptions options;
  options.input = "twice:" + Request(R"("model": "flat", "prompt": "hi", "max_tokens": 900)");
  auto run = naos_->run("writer", options);
  ASSERT_TRUE(run) << run.error().to_string();
  auto calls = Calls(run->outcome.output);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  EXPECT_EQ(calls[1].rc, -6) << calls[1].reply;
  EXPECT_NE(calls[1].reply["error"]["message"].get<std::string>().find("budget"), std::string::npos)
      << calls[1].reply;
  EXPECT_EQ(vendor.count(), 1u);
  EXPECT_EQ(run->budget_action, project::OnExceed::kPause);
  EXPECT_EQ(Events("cost.pause").size(), 1u);
  auto record = naos_->registry()->find("writer");
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->status, project::AgentStatus::kBudgetExceeded);

  // Paused: the next run is refused before the agent starts.
  auto again = naos_->run("writer", options);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kResourceExhausted);
  EXPECT_EQ(vendor.count(), 1u);
}

// A vendor that counts far more input tokens than the request could hold has
// been paid all the same: the whole cost is in the ledger, the part beyond
// the reservation is marked, and crossing the budget pauses the agent.
TEST_F(LlmCapability, AVendorCountingMoreTokensThanReservedIsRecordedInFullAndPausesTheAgent) {
  FakeLlmVendor vendor([](const VendorRequest&) {
    return VendorReply{200, testing::anthropic_reply({"ok"}, 2000, 100)};
  });
  Open(Anthropic(vendor), "llm: true",
       "  budgets:\n    writer: { limit: 1, period: day, onExceed: pause }\n" + std::string(kFlatPrice));
  ASSERT_TRUE(naos_->create_from_config("test"));

  RunOptions options;
  options.input = Request(R"("model": "flat", "prompt": "hi", "max_tokens": 100)");
  auto run = naos_->run("writer", options);
  ASSERT_TRUE(run) << run.error().to_string();
  auto calls = Calls(run->outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  constexpr int64_t kCost = 2100 * 1000;  // 2,100 tokens at 1,000 micro-cents
  EXPECT_EQ(calls[0].reply["cost_microcents"], kCost);
  auto rows = naos_->budget()->ledger().rows_since("writer", 0);
  ASSERT_TRUE(rows && rows->size() == 1u);
  EXPECT_EQ((*rows)[0].amount_microcents, kCost);
  // Reserved: 30 input tokens at most for "hi", and max_tokens of output.
  EXPECT_EQ((*rows)[0].beyond_reservation_microcents, kCost - (30 + 100) * 1000);
  EXPECT_EQ(Events("budget.exceeded").size(), 1u);
  EXPECT_EQ(run->budget_action, project::OnExceed::kPause);
  auto record = naos_->registry()->find("writer");
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->status, project::AgentStatus::kBudgetExceeded);
}

// ---- models without a price -------------------------------------------------------------

TEST_F(LlmCapability, AModelWithoutAPriceIsRefusedWhenABudgetApplies) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  Open(Anthropic(vendor), "llm: true", std::string(kPrices) + "  budgets:\n    global: { limit: 100, period: month }\n");
  auto calls = Calls(Run(Request(R"("model": "claude-3-opus", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, -4);  // NEXUS_E_INVALID
  EXPECT_NE(calls[0].reply["error"]["message"].get<std::string>().find(
                "model claude-3-opus has no price (cost.models.claude-3-opus in nexus.config.yaml), and budget "
                "global applies"),
            std::string::npos)
      << calls[0].reply;
  EXPECT_EQ(vendor.count(), 0u);
}

TEST_F(LlmCapability, AModelWithoutAPriceIsFreeWithoutABudgetAndItsTokensAreStillRecorded) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 40, 9)}; });
  Open(Anthropic(vendor));
  auto calls = Calls(Run(Request(R"("model": "claude-3-opus", "prompt": "hi")")).outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, 0) << calls[0].reply;
  EXPECT_EQ(calls[0].reply["cost_microcents"], 0);
  auto recorded = Events("cost.recorded");
  ASSERT_EQ(recorded.size(), 1u);
  auto payload = json::parse(recorded[0].payload);
  EXPECT_EQ(payload["amount_microcents"], 0);
  EXPECT_EQ(payload["model"], "claude-3-opus");
  EXPECT_EQ(payload["input_tokens"], 40);
  EXPECT_EQ(payload["output_tokens"], 9);
}

// ---- vendor failures reach the guest as clear errors, and cost nothing ----------------------

TEST_F(LlmCapability, VendorFailuresReachTheGuestAsClearErrorsAndCostNothing) {
  std::atomic<bool> release{false};
  FakeLlmVendor vendor([&](const VendorRequest& request) {
    std::string prompt = request.json()["messages"][0]["content"];
    if (prompt == "rate") return VendorReply{429, testing::anthropic_error("rate_limit_error", "Slow down")};
    if (prompt == "down") return VendorReply{500, testing::anthropic_error("api_error", "Internal server error")};
    if (prompt == "garbled") return VendorReply{200, "{\"content\": [{\"type\": \"text\""};
    testing::wait_until([&] { return release.load(); }, std::chrono::seconds(10));  // "slow"
    return VendorReply{200, testing::anthropic_reply({"late"}, 1, 1)};
  });
  Open(Anthropic(vendor), "llm: true", std::string(kPrices) + "  budgets:\n    writer: { limit: 100, period: day }\n");
  auto ask = [&](const std::string& prompt, const std::string& more = "") {
    auto calls = Calls(
        Run(Request(R"("model": "claude-3-haiku", "prompt": ")" + prompt + "\"" + more)).outcome.output);
    EXPECT_EQ(calls.size(), 1u);
    return calls.empty() ? Call{} : calls[0];
  };
  Call rate = ask("rate");
  EXPECT_EQ(rate.rc, -5);  // NEXUS_E_NETWORK: try again later
  EXPECT_EQ(rate.reply["error"]["code"], "unavailable");
  EXPECT_EQ(rate.reply["error"]["message"], "anthropic: HTTP 429 rate_limit_error: Slow down");
  Call down = ask("down");
  EXPECT_EQ(down.rc, -5);
  EXPECT_EQ(down.reply["error"]["message"], "anthropic: HTTP 500 api_error: Internal server error");
  Call garbled = ask("garbled");
  EXPECT_EQ(garbled.rc, -5);
  EXPECT_EQ(garbled.reply["error"]["message"], "anthropic: malformed response: not a JSON object");
  Call slow = ask("slow", R"(, "timeout_ms": 300)");
  release = true;
  EXPECT_EQ(slow.rc, -5);
  EXPECT_EQ(slow.reply["error"]["code"], "deadline_exceeded");
  EXPECT_NE(slow.reply["error"]["message"].get<std::string>().find("anthropic: no response within"),
            std::string::npos)
      << slow.reply;

  EXPECT_EQ(vendor.count(), 4u);
  EXPECT_EQ(Events("cost.recorded").size(), 0u) << "a failed call releases its reservation";
  EXPECT_EQ(Spent("writer"), 0);
  naos_->budget()->check_invariants();
}

TEST_F(LlmCapability, AMalformedRequestIsInvalidAndNothingIsSent) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"ok"}, 1, 1)}; });
  Open(Anthropic(vendor));
  auto calls = Calls(Run(R"({"model": "claude-3-haiku"})").outcome.output);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].rc, -4);
  EXPECT_EQ(calls[0].reply["error"]["message"], "llm request: give either prompt or messages (one of them)");
  EXPECT_EQ(vendor.count(), 0u);
}

// ---- the CLI: `naos secret set` and `naos run` ----------------------------------------------------

TEST(CliLlm, ASecretSetWithTheCliIsTheKeyAndTheCallIsChargedToTheAgent) {
  FakeLlmVendor vendor([](const VendorRequest&) { return VendorReply{200, testing::anthropic_reply({"hi!"}, 7, 3)}; });
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.config.yaml",
                      "name: llm\nllm:\n  providers:\n    anthropic: { apiKey: \"${ANTHROPIC_API_KEY}\", baseUrl: \"" +
                          vendor.base_url() + "\" }\nagents:\n  writer:\n    source: " +
                          testing::agent_path("llm_user").string() + "\n    capabilities: { llm: true }\ncost:\n" +
                          kPrices);
  auto set = testing::run_naos({"secret", "set", "ANTHROPIC_API_KEY"}, dir.path(), kSecretKey);
  ASSERT_EQ(set.exit_status, 0) << set.err;
  auto run = testing::run_naos({"run", "writer", "--input", R"({"model": "claude-3-haiku", "prompt": "hi"})"},
                               dir.path());
  ASSERT_EQ(run.exit_status, 0) << run.err;
  auto calls = Calls(run.out);
  ASSERT_EQ(calls.size(), 1u) << run.out;
  EXPECT_EQ(calls[0].reply["text"], "hi!");
  ASSERT_EQ(vendor.count(), 1u);
  EXPECT_EQ(vendor.requests()[0].header("x-api-key"), kSecretKey);
  auto recorded = json::parse(testing::run_naos({"audit", "--action", "cost.recorded", "--json"}, dir.path()).out);
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0]["payload"]["amount_microcents"], 550);
  auto audit = testing::run_naos({"audit", "--json"}, dir.path());
  EXPECT_EQ(audit.out.find(kSecretKey), std::string::npos);
  EXPECT_EQ(run.err.find(kSecretKey), std::string::npos);
}

}  // namespace
}  // namespace naos
