// The documented forms of nexus.config.yaml (issue 11.10): every spelling
// of reference/nexus-docs.md section 4 is accepted and read into ours, so a
// user's existing file works; what has no meaning here is named in a warning
// or refused with what to write instead.
#include "project/config_forms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "project/config.h"
#include "reference_configs.h"

namespace naos::project {
namespace {

constexpr const char* kLabel = "nexus.config.yaml";

Config Accept(const std::string& text) {
  auto result = parse_config(text, kLabel);
  EXPECT_TRUE(result) << result.error().to_string() << "\n" << text;
  return result ? *result : Config{};
}

void ExpectError(const std::string& text, int line, int col, const std::string& needle) {
  auto result = parse_config(text, kLabel);
  ASSERT_FALSE(result) << "accepted:\n" << text;
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().context(), std::string(kLabel) + ":" + std::to_string(line) + ":" + std::to_string(col))
      << result.error().to_string();
  EXPECT_NE(result.error().message().find(needle), std::string::npos) << result.error().message();
}

using testing::kReadmeConfig;  // reference/nexus-docs.md 4.1, verbatim

TEST(ConfigForms, TheReadmeConfigValidatesAndMeansWhatItSays) {
  Config config = Accept(kReadmeConfig);
  EXPECT_EQ(config.name, "my-project");
  EXPECT_EQ(config.execution.memory_bytes, 256u << 20);
  const BudgetConfig& global = config.cost.budgets.at("global");
  EXPECT_EQ(global.limit_cents, 10000);
  EXPECT_EQ(global.period, BudgetPeriod::kDay);
  EXPECT_EQ(global.on_exceed, OnExceed::kPause);
  EXPECT_EQ(global.alert_at_percent, 80u);
  EXPECT_EQ(config.cost.budgets.at("researcher").limit_cents, 1000);
  EXPECT_EQ(config.cost.budgets.at("analyzer").limit_cents, 500);
  EXPECT_EQ(config.cost.budgets.at("analyzer").alert_at_percent, 80u);  // cost.alertAt is every budget's default
  EXPECT_EQ(config.trust.minimum_tier, TrustTier::kT3);
  EXPECT_EQ(config.trust.min_t_score, 70u);
  EXPECT_TRUE(config.broker.prefer_skill);
  ASSERT_EQ(config.skills.count("summarize"), 1u);
  EXPECT_EQ(config.skills.at("summarize").handler, "./skills/summarize.wasm");
  EXPECT_EQ(config.skills.at("summarize").patterns.size(), 3u);
  EXPECT_EQ(config.agents.at("researcher").source, "./agents/researcher.wasm");
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings[0].where, "nexus.config.yaml:8:1");
  EXPECT_EQ(config.warnings[0].message,
            "edge: Cloudflare edge deployment is out of scope for naos (PRODUCT.md); the section is ignored");
}

TEST(ConfigForms, TheReadmeAddsAxisIdentitiesAndTrustEnforcement) {
  Config config = Accept(
      "trust:\n  provider: axis\n  requirements: { minTrustTier: T2, minCreditRating: BBB }\n"
      "  enforcement: { onUntrusted: reject }\n"
      "agents:\n  researcher: { axis: { auid: \"axis:company:agent:01hx7k2m3n4p5q6r7s8t9u0v1w:a3f7\" } }\n");
  EXPECT_EQ(config.agents.at("researcher").auid, "axis:company:agent:01hx7k2m3n4p5q6r7s8t9u0v1w:a3f7");
  EXPECT_EQ(config.trust.minimum_tier, TrustTier::kT2);
  EXPECT_EQ(config.trust.min_credit_rating, CreditRating::kBBB);
  ExpectError("trust: { provider: okta }\n", 1, 20, "trust.provider: expected axis, got \"okta\"");
  ExpectError("trust: { enforcement: { onUntrusted: warn } }\n", 1, 38,
              "trust.enforcement.onUntrusted: expected reject, got \"warn\"");
  ExpectError("trust: { requirements: { minTScore: 101 } }\n", 1, 37, "a T-Score is from 0 to 100");
  ExpectError("trust: { requirements: { minTrustTeir: T3 } }\n", 1, 26,
              "trust.requirements.minTrustTeir: unknown key; did you mean minTrustTier?");
  // One setting, two spellings: an error at the second.
  ExpectError("trust: { minimumTier: T3, requirements: { minTrustTier: T2 } }\n", 1, 43,
              "trust.requirements.minTrustTier: the same setting as trust.minimumTier, which is also set; keep one");
}

// Variant B of 4.2: the Manual's reference file.
const char* const kManualConfig = R"yaml(project: my-project
version: "0.1"
agents:
  researcher: { template: researcher, autoStart: true }
supervisors:
  main: { strategy: one-for-one, maxRestarts: 3, restartWindow: 60, children: [researcher] }
cost:
  budgets:
    researcher: { limit: 1000, period: day, onExceed: pause, alertAt: 80 }
trust: { provider: axis, requirements: { minTrustTier: T3, minTScore: 70 }, enforcement: { onUntrusted: reject } }
broker:
  preferences: { preferLocal: true, maxLLMCost: 500, confidenceThreshold: 0.85 }
skills:
  summarize: { patterns: [summarize], handler: skills/summarize.wasm, costPerCall: 0 }
edge: { provider: cloudflare, regions: [us, eu, asia], autoDeploy: false }
)yaml";

TEST(ConfigForms, TheManualConfigValidates) {
  Config config = Accept(kManualConfig);
  EXPECT_EQ(config.name, "my-project");
  EXPECT_EQ(config.supervisors.at("main").restart_window, std::chrono::seconds(60));
  EXPECT_DOUBLE_EQ(config.broker.confidence_threshold, 0.85);
  EXPECT_TRUE(config.broker.prefer_skill);
  ExpectError("name: a\nproject: b\n", 2, 1, "project: the same setting as name, which is also set; keep one");
}

// Variant C of 4.3: the appendix's snake_case keys; and D of 4.4.
TEST(ConfigForms, TheAppendixAndLandingPageSpellingsValidate) {
  Config config = Accept(
      "version: \"0.1.0\"\n"
      "agents:\n"
      "  researcher: { template: researcher, status: idle,\n"
      "                sandbox: { memory_limit: 128MB, cpu_timeout: 10s, network: restricted, allowed_hosts: [a.com] } }\n"
      "  writer: { model: claude-sonnet }\n"
      "supervisors:\n  main: { strategy: one_for_one, max_restarts: 5, window_secs: 120, children: [researcher] }\n"
      "  side: { window: 300s, children: [writer] }\n"
      "cost: { default_budget: 1000, alert_threshold: 0.8, hard_limit: false }\n"
      "audit: { retention_days: 90, compress_after: 30, export_format: json }\n");
  const AgentConfig& researcher = config.agents.at("researcher");
  EXPECT_EQ(researcher.execution.memory_bytes, 128u << 20);
  EXPECT_EQ(researcher.execution.timeout, std::chrono::seconds(10));
  EXPECT_EQ(researcher.capabilities.network, sandbox::NetworkAccess::kRestricted);
  EXPECT_EQ(researcher.capabilities.allowed_hosts, std::vector<std::string>{"a.com"});
  EXPECT_EQ(config.supervisors.at("main").max_restarts, 5u);
  EXPECT_EQ(config.supervisors.at("main").restart_window, std::chrono::seconds(120));
  EXPECT_EQ(config.supervisors.at("side").restart_window, std::chrono::seconds(300));
  EXPECT_EQ(config.cost.enforcement, Enforcement::kSoft);
  EXPECT_EQ(config.cost.budgets.at("writer").limit_cents, 1000);
  EXPECT_EQ(config.cost.budgets.at("writer").alert_at_percent, 80u);
  EXPECT_EQ(config.audit.retention_days, 90u);

  Config landing = Accept(
      "project: my-agents\nversion: \"1.0\"\n"
      "agents:\n  researcher: { template: research, model: claude-sonnet }\n"
      "supervisor: { strategy: one-for-one, max_restarts: 5, window: 300s }\n"
      "supervisors:\n  main: { children: [researcher] }\n"
      "cost: { researcher: { budget: $10/day, alert_at: 80%, action: throttle } }\n"
      "broker: { routing: { preferSkill: true, llmAsLastResort: true }, thresholds: { skill: 0.9, wasm: 0.8 } }\n"
      "edge: { cloudflare: { account_id: \"${CF_ACCOUNT_ID}\" }, routes: { researcher: \"researcher.agents.nexus/*\" } }\n");
  EXPECT_EQ(landing.supervisors.at("main").max_restarts, 5u);  // the singular section's defaults
  EXPECT_EQ(landing.supervisors.at("main").restart_window, std::chrono::seconds(300));
  EXPECT_EQ(landing.cost.budgets.at("researcher").on_exceed, OnExceed::kThrottle);
  EXPECT_EQ(landing.cost.budgets.at("researcher").alert_at_percent, 80u);
  EXPECT_DOUBLE_EQ(landing.broker.confidence_threshold, 0.9);
}

TEST(ConfigForms, SinglePageKeysValidate) {
  Config config = Accept(
      "wasm: { defaultFuel: 1000000, defaultMemoryPages: 256, enableSIMD: true, enableThreads: false, "
      "maxInstances: 100 }\n"
      "database: { path: data/nexus.db, walMode: true, busyTimeout: 5000, cacheSize: 2000 }\n"
      "advanced: { walMode: true }\n"
      "logging: { level: info, format: json, output: stdout, auditRetention: 90 }\n"
      "network: { dashboard: { host: 127.0.0.1, port: 4300, cors: false }, timeout: 30000, retries: 3 }\n"
      "marketplace: { installed: [json-parser@1.2] }\n"
      "agents:\n"
      "  a: { autoStart: false, wasm: { fuel: 5000, memoryPages: 32 }, execution: { timeoutSeconds: 300 },\n"
      "       capabilities: { network: true, fileRead: false, fileWrite: false, env: [LANG] } }\n"
      "  b: { execution: { memoryLimit: 128MB, timeoutSeconds: 5 }, capabilities: { network: false } }\n"
      "sagas:\n  s: { timeout: 300, stepTimeout: 60, steps: [ { agent: a } ] }\n"
      "workflows:\n  w: { retryDelay: 5, steps: [ { agent: a } ] }\n"
      "broker: { cache: { enabled: true, ttl: 3600 } }\n"
      "cost:\n  budgets:\n    a: { daily: 1000 }\n    global: { monthly: 20000, action: stop, alert_at: 90 }\n"
      "  alerts: [ { threshold: 80 }, { threshold: 95 } ]\n");
  EXPECT_EQ(config.execution.fuel, 1'000'000u);
  EXPECT_EQ(config.execution.memory_bytes, 16u << 20);
  EXPECT_EQ(config.execution.max_instances, 100u);
  EXPECT_EQ(config.audit.retention_days, 90u);
  EXPECT_EQ(config.dashboard.port, 4300);
  EXPECT_EQ(config.agents.at("a").execution.fuel, 5000u);
  EXPECT_EQ(config.agents.at("a").execution.memory_bytes, 2u << 20);
  EXPECT_EQ(config.agents.at("a").execution.timeout, std::chrono::seconds(300));
  EXPECT_EQ(config.agents.at("a").capabilities.network, sandbox::NetworkAccess::kOpen);
  EXPECT_EQ(config.agents.at("b").capabilities.network, sandbox::NetworkAccess::kNone);
  EXPECT_EQ(config.sagas.at("s").timeout, std::chrono::seconds(300));
  EXPECT_EQ(config.workflows.at("w").retry_delay, std::chrono::seconds(5));
  EXPECT_EQ(config.broker.cache_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(config.cost.budgets.at("a").limit_cents, 1000);
  EXPECT_EQ(config.cost.budgets.at("a").alert_at_percent, 80u);
  EXPECT_EQ(config.cost.budgets.at("global").period, BudgetPeriod::kMonth);
  EXPECT_EQ(config.cost.budgets.at("global").on_exceed, OnExceed::kStop);
  EXPECT_EQ(config.cost.budgets.at("global").alert_at_percent, 90u);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings[0].message.rfind("marketplace: the skill marketplace is out of scope", 0), 0u);
}

TEST(ConfigForms, BrokerRoutingNamesTheLlmFallbackWithItsDocumentedKey) {
  Config config = Accept(
      "broker:\n  routing: { preferSkill: false, llmAsLastResort: true, confidenceThreshold: 0.7, "
      "llmProvider: anthropic, llmModel: claude-3-haiku }\n");
  EXPECT_FALSE(config.broker.prefer_skill);
  EXPECT_DOUBLE_EQ(config.broker.confidence_threshold, 0.7);
  EXPECT_EQ(config.broker.llm_provider, "anthropic");
  EXPECT_EQ(config.broker.llm_model, "claude-3-haiku");
  ASSERT_EQ(config.llm.providers.count("anthropic"), 1u);
  EXPECT_EQ(config.llm.providers.at("anthropic").api_key->variable, "ANTHROPIC_API_KEY");
  Config manual = Accept("broker: { confidenceThreshold: 0.90, preferLocal: true, fallbackModel: claude-3-haiku }\n");
  EXPECT_EQ(manual.broker.llm_provider, "anthropic");
  ExpectError("broker: { routing: { llmProvider: mistral, llmModel: m } }\n", 1, 35,
              "unknown provider \"mistral\" (not in llm.providers)");
}

TEST(ConfigForms, FormsThatWouldChangeWhatAnAgentMayDoAreRefusedWithWhatToWrite) {
  ExpectError("agents:\n  a: { capabilities: { fileRead: true } }\n", 2, 34,
              "agents.a.capabilities.fileRead: names no folder; grant folders with filesystem: { read: [folder] }");
  ExpectError("agents:\n  a: { sandbox: { filesystem: readwrite } }\n", 2, 31,
              "agents.a.sandbox.filesystem: \"readwrite\" names no folder");
  ExpectError("agents:\n  a: { sandbox: { tls_verify: false } }\n", 2, 31, "naos always verifies TLS certificates");
  ExpectError("agents:\n  a: { capabilities: [ { resource: \"web.*\", actions: [read] } ] }\n", 2, 22,
              "capabilities as a list of { resource, actions } cannot be mapped to grants");
  ExpectError("wasm: { enableThreads: true }\n", 1, 24, "naos does not run threaded modules");
  ExpectError("skills:\n  - { name: s, handler: \"fn:summarize_text\", patterns: [s], cost: \"$0.0001\" }\n", 2, 25,
              "skills[0].handler: built-in function handlers (fn:NAME) do not exist in naos");
  ExpectError("database: { path: /var/nexus.db }\n", 1, 19, "the database is always data/nexus.db");
}

TEST(ConfigForms, BudgetsInTheirDocumentedFormsAreCheckedWhereTheyAreWritten) {
  ExpectError("agents:\n  a: { cost: { budget: \"$10\" } }\n", 2, 24,
              "agents.a.cost.budget: expected an amount and a period, like \"$10/day\"");
  ExpectError("agents:\n  a: { cost: { budget: \"$10.001/day\" } }\n", 2, 24, "at most 2 digits after the point");
  ExpectError("agents:\n  a: { cost: { budget: \"$10/fortnight\" } }\n", 2, 24, "expected an amount and a period");
  ExpectError("agents:\n  a: { cost: { budget: \"$10/day\" } }\ncost:\n  budgets:\n    a: { limit: 5 }\n", 2, 8,
              "agents.a.cost: the same budget as cost.budgets.a, which is also set; keep one");
  ExpectError("cost:\n  budgets:\n    global: { daily: 100, monthly: 1000 }\n", 3, 27,
              "naos keeps one budget per agent: give daily or monthly");
  // A moved value is still checked by the reader, at its own position.
  ExpectError("agents:\n  a: { cost: { budget: \"$10/day\", action: explode } }\n", 2, 43,
              "expected pause, stop, throttle or warn, got \"explode\"");
}

TEST(ConfigForms, SnakeCaseAndCamelCaseOfOneSettingMayNotBothBeGiven) {
  ExpectError("supervisors:\n  s: { maxRestarts: 3, max_restarts: 5 }\n", 2, 24,
              "supervisors.s.max_restarts: the same setting as supervisors.s.maxRestarts, which is also set; keep one");
  ExpectError("audit: { retentionDays: 3, retention_days: 5 }\n", 1, 28, "keep one");
}

TEST(ConfigForms, EveryDocumentedTableIsAlsoInTheSchemaTables) {
  for (const SchemaKeyTable& documented : documented_key_tables()) {
    bool found = false;
    for (const SchemaKeyTable& table : schema_key_tables()) {
      if (table.path != documented.path) continue;
      found = true;
      for (auto key : documented.keys) {
        EXPECT_NE(std::find(table.keys.begin(), table.keys.end(), key), table.keys.end()) << documented.path << " " << key;
      }
    }
    EXPECT_TRUE(found) << documented.path;
  }
}

}  // namespace
}  // namespace naos::project
