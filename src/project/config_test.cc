// project/config.h: nexus.config.yaml parsed and validated strictly. Every
// error is kInvalidArgument, its context() is "file:line:col" and its message
// starts with the key path. Groups follow docs/config.md's sections.
#include "project/config.h"

#include "base/money.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <string>

namespace naos::project {
namespace {

using sandbox::NetworkAccess;

constexpr const char* kLabel = "nexus.config.yaml";
constexpr uint64_t kMiB = 1ull << 20;

Result<Config> Parse(const std::string& text) { return parse_config(text, kLabel); }

// Parses `text`, which must be refused, and checks the error's shape: code,
// "nexus.config.yaml:line:col" context, and a message containing `needle`.
void ExpectError(const std::string& text, int line, int col, const std::string& needle) {
  auto result = Parse(text);
  ASSERT_FALSE(result) << "accepted:\n" << text;
  const Error& error = result.error();
  EXPECT_EQ(error.code(), Code::kInvalidArgument) << error.to_string();
  EXPECT_EQ(error.context(), std::string(kLabel) + ":" + std::to_string(line) + ":" + std::to_string(col))
      << error.to_string();
  EXPECT_NE(error.message().find(needle), std::string::npos)
      << "message \"" << error.message() << "\" lacks \"" << needle << "\"";
}

// Parses `text`, which must be refused with a message containing `needle`
// and a file:line:col context (position not checked).
void ExpectRefused(const std::string& text, const std::string& needle) {
  auto result = Parse(text);
  ASSERT_FALSE(result) << "accepted:\n" << text;
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument) << result.error().to_string();
  EXPECT_EQ(result.error().context().rfind(std::string(kLabel) + ":", 0), 0u) << result.error().to_string();
  EXPECT_NE(result.error().message().find(needle), std::string::npos)
      << "message \"" << result.error().message() << "\" lacks \"" << needle << "\"";
}

// An agent `a` whose `capabilities:` is the given flow mapping.
std::string WithCapabilities(const std::string& flow) { return "agents:\n  a:\n    capabilities: " + flow + "\n"; }

// The example in PRODUCT.md ("nexus.config.yaml"), verbatim.
const char* const kProductExample = R"yaml(name: demo
execution:                    # sandbox defaults for every agent
  memoryLimit: 256MB
  timeout: 30s                # wall clock per run
  fuel: 0                     # instructions per run; 0 = no fuel limit (timeout still holds)
  maxInstances: 100           # concurrent agent instances
agents:
  researcher:
    template: researcher      # or source: agents/researcher/researcher.wasm
    execution: { memoryLimit: 512MB }
    capabilities:
      network: restricted     # none (default) | restricted | open
      allowedHosts: [api.example.com, "*.example.org"]
      filesystem: { read: [inputs], write: [outputs] }   # project-relative preopens
      env: [LANG]             # variables passed through; none by default
      kv: true
      llm: true
    tests:                    # examples used by `axis verify` (input -> expected output)
      - { input: "ping", expect: "pong" }
supervisors:
  root:    { strategy: one-for-one, maxRestarts: 3, restartWindow: 60s, children: [api, workers] }
  api:     { strategy: one-for-all, children: [auth-agent, data-agent] }
  workers: { strategy: rest-for-one, maxRestarts: 5, backoff: { min: 100ms, max: 30s, jitter: 0.2 },
             children: [processor-1, processor-2, processor-3] }
sagas:
  order:
    timeout: 300s
    stepTimeout: 60s
    steps:
      - { name: reserve, agent: inventory-reserve, compensate: inventory-release }
      - { name: charge,  agent: payment-charge,    compensate: payment-refund }
workflows:
  pipeline:
    onError: stop             # stop | skip | retry
    retries: 3
    retryDelay: 5s
    steps: [ { name: fetch, agent: fetcher, onError: retry, retries: 5 }, { name: clean, agent: cleaner } ]
pools:
  research: { members: [web-agent, paper-agent, news-agent], merge: all }       # fan-out
  workers:  { agent: researcher, size: 5, strategy: round-robin, merge: all }   # clone pool
cost:
  enforcement: hard           # hard | soft | warn
  budgets:
    researcher: { limit: 1000, period: day, onExceed: pause, alertAt: 80 }     # cents
    global:     { limit: 20000, period: month, onExceed: pause }
  models:                     # USD per 1K tokens, parsed exactly (no floating point)
    claude-3-haiku: { inputCostPer1k: "0.00025", outputCostPer1k: "0.00125" }
trust:
  minimumTier: T3             # agents below cannot run
  minCreditRating: BBB
  capabilityTiers: { network: T3, llm: T4 }
broker:
  enabled: true
  confidenceThreshold: 0.9
  preferSkill: true
  llmAsLastResort: true
  llm: { provider: anthropic, model: claude-3-haiku }
  cache: { enabled: true, ttl: 3600s }
skills:
  summarize: { description: "Summarize text", handler: skills/summarize.wasm,
               patterns: [summarize, summary, tldr], costPerCall: 0 }
llm:
  providers:
    anthropic: { apiKey: "${ANTHROPIC_API_KEY}" }
    openai:    { apiKey: "${OPENAI_API_KEY}", baseUrl: "https://api.openai.com/v1" }
dashboard: { port: 4200, bind: 127.0.0.1 }
audit: { retentionDays: 0 }   # 0 = keep forever
)yaml";

// The agents the example's supervisors, sagas, workflows and pools name but
// do not define (PRODUCT.md shows only `researcher`).
const char* const kExampleStubAgents =
    "  auth-agent: {}\n  data-agent: {}\n  processor-1: {}\n  processor-2: {}\n  processor-3: {}\n"
    "  inventory-reserve: {}\n  inventory-release: {}\n  payment-charge: {}\n  payment-refund: {}\n"
    "  fetcher: {}\n  cleaner: {}\n  web-agent: {}\n  paper-agent: {}\n  news-agent: {}\n";

// The PRODUCT.md example with the agents it refers to defined: valid.
std::string CompleteProductExample() {
  std::string text = kProductExample;
  text.insert(text.find("supervisors:\n"), kExampleStubAgents);
  return text;
}

// ---- the whole file --------------------------------------------------------

TEST(ConfigFile, ParsesTheProductExampleWithEveryTopLevelSection) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->name, "demo");
  EXPECT_EQ(config->execution.memory_bytes, 256 * kMiB);
  EXPECT_EQ(config->execution.timeout, std::chrono::seconds(30));
  EXPECT_EQ(config->execution.fuel, 0u);
  EXPECT_EQ(config->execution.max_instances, 100u);
  EXPECT_FALSE(config->execution.max_output_bytes);
  EXPECT_FALSE(config->execution.max_stack_bytes);
  ASSERT_EQ(config->agents.size(), 15u);
  ASSERT_TRUE(config->agents.count("researcher"));
  EXPECT_EQ(config->supervisors.size(), 3u);
  EXPECT_EQ(config->sagas.size(), 1u);
  EXPECT_EQ(config->workflows.size(), 1u);
  EXPECT_EQ(config->pools.size(), 2u);
  EXPECT_EQ(config->cost.budgets.size(), 2u);
  EXPECT_EQ(config->cost.models.size(), 1u);
  EXPECT_EQ(config->trust.minimum_tier, TrustTier::kT3);
  EXPECT_TRUE(config->broker.enabled);
  EXPECT_EQ(config->skills.size(), 1u);
  EXPECT_EQ(config->llm.providers.size(), 2u);
  EXPECT_EQ(config->dashboard.port, 4200);
  EXPECT_EQ(config->audit.retention_days, 0u);
}

TEST(ConfigFile, RefusesTheVerbatimProductExampleForTheAgentsItDoesNotDefine) {
  // The first name that is neither an agent nor a supervisor, in file order.
  ExpectError(kProductExample, 22, 48,
              "supervisors.api.children[0]: unknown agent or supervisor \"auth-agent\"");
}

TEST(ConfigFile, ReadsAnAgentsTemplateExecutionCapabilitiesAndTestsIntoItsStruct) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const AgentConfig& agent = config->agents.at("researcher");
  EXPECT_EQ(agent.name, "researcher");
  EXPECT_EQ(agent.template_name, "researcher");
  EXPECT_EQ(agent.execution.memory_bytes, 512 * kMiB);
  EXPECT_FALSE(agent.execution.timeout);
  EXPECT_FALSE(agent.execution.fuel);

  const CapabilitiesConfig& caps = agent.capabilities;
  EXPECT_EQ(caps.network, NetworkAccess::kRestricted);
  EXPECT_EQ(caps.allowed_hosts, (std::vector<std::string>{"api.example.com", "*.example.org"}));
  EXPECT_EQ(caps.read, std::vector<std::string>{"inputs"});
  EXPECT_EQ(caps.write, std::vector<std::string>{"outputs"});
  EXPECT_EQ(caps.env, std::vector<std::string>{"LANG"});
  EXPECT_TRUE(caps.kv);
  EXPECT_TRUE(caps.llm);

  ASSERT_EQ(agent.tests.size(), 1u);
  EXPECT_EQ(agent.tests[0].input, "ping");
  EXPECT_EQ(agent.tests[0].expect, "pong");
}

TEST(ConfigFile, AnEmptyFileIsAnEmptyConfig) {
  auto config = Parse("");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->name, "");
  EXPECT_TRUE(config->agents.empty());
  auto comments_only = Parse("# nothing yet\n");
  ASSERT_TRUE(comments_only) << comments_only.error().to_string();
  EXPECT_TRUE(comments_only->agents.empty());
}

TEST(ConfigFile, AcceptsAnEmptyAgentsSection) {
  auto config = Parse("name: demo\nagents:\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_TRUE(config->agents.empty());
}

TEST(ConfigFile, RefusesADocumentThatIsNotAMapping) {
  ExpectError("- a\n- b\n", 1, 1, "expected a mapping");
  ExpectError("just text\n", 1, 1, "expected a mapping");
}

TEST(ConfigFile, UnknownTopLevelKeySuggestsTheClosestKnownKey) {
  ExpectError("name: demo\nagent:\n  a: {}\n", 2, 1, "agent: unknown key; did you mean agents?");
  ExpectError("nmae: demo\n", 1, 1, "did you mean name?");
  ExpectError("executoin: {}\n", 1, 1, "did you mean execution?");
}

TEST(ConfigFile, UnknownKeyFarFromEveryKnownKeyGetsNoSuggestion) {
  auto result = Parse("frobnicate: 1\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().context(), "nexus.config.yaml:1:1");
  EXPECT_NE(result.error().message().find("frobnicate: unknown key"), std::string::npos) << result.error().message();
  EXPECT_EQ(result.error().message().find("did you mean"), std::string::npos) << result.error().message();
}

TEST(ConfigFile, MalformedYamlNamesTheFileLineAndColumn) {
  // An unterminated flow sequence; the parser notices at the end of input.
  auto result = Parse("name: demo\nagents:\n  a: [1,\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().context(), "nexus.config.yaml:4:1");
  EXPECT_NE(result.error().message().find("malformed YAML"), std::string::npos) << result.error().message();
  // A tab used for indentation.
  ExpectError("name: demo\n\tagents: {}\n", 2, 1, "malformed YAML");
}

TEST(ConfigFile, UsesTheGivenLabelAsTheFileInEveryError) {
  auto result = parse_config("agent: {}\n", "projects/x/nexus.config.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().context(), "projects/x/nexus.config.yaml:1:1");
  EXPECT_EQ(result.error().to_string(), "projects/x/nexus.config.yaml:1:1: agent: unknown key; did you mean agents?");
}

TEST(ConfigFile, LoadConfigReportsAMissingFileAsNotFound) {
  auto result = load_config("/nonexistent/naos/nexus.config.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kNotFound);
}

TEST(ConfigFile, RefusesADuplicateAgentOrKeyInsteadOfSilentlyKeepingOne) {
  ExpectRefused("agents:\n  x: { template: echo }\n  x: { template: http }\n", "agents.x");
  ExpectRefused("name: a\nname: b\n", "name");
  ExpectRefused(WithCapabilities("{ kv: true, kv: false }"), "kv");
}

TEST(ConfigCapabilities, MalformedAllowedHostsEntryIsReportedAtItsPosition) {
  auto result = Parse("agents:\n  a:\n    capabilities:\n      network: restricted\n      allowedHosts: [ok.example.com, \"ftp://x\"]\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().context(), "nexus.config.yaml:5:38");
  EXPECT_NE(result.error().message().find("agents.a.capabilities.allowedHosts[1]"), std::string::npos)
      << result.error().to_string();
}

// ---- unknown keys: position, path and suggestion ---------------------------

TEST(ConfigUnknownKey, NamesFileLineColumnKeyPathAndSuggestsTheIntendedKey) {
  const std::string text =
      "name: demo\n"                // 1
      "execution:\n"                // 2
      "  memoryLimit: 256MB\n"      // 3
      "agents:\n"                   // 4
      "  researcher:\n"             // 5
      "    execution:\n"            // 6
      "      memoryLimt: 512MB\n";  // 7, key at column 7
  auto result = Parse(text);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().context(), "nexus.config.yaml:7:7");
  EXPECT_EQ(result.error().message(), "agents.researcher.execution.memoryLimt: unknown key; did you mean memoryLimit?");
  EXPECT_EQ(result.error().to_string(),
            "nexus.config.yaml:7:7: agents.researcher.execution.memoryLimt: unknown key; did you mean memoryLimit?");
}

TEST(ConfigUnknownKey, PointsInsideAFlowMappingToo) {
  ExpectError("agents:\n  researcher:\n    execution: { memoryLimt: 512MB }\n", 3, 18,
              "agents.researcher.execution.memoryLimt: unknown key; did you mean memoryLimit?");
}

TEST(ConfigUnknownKey, IsCaughtInEverySection) {
  ExpectError("execution:\n  timout: 1s\n", 2, 3, "execution.timout: unknown key; did you mean timeout?");
  ExpectError("agents:\n  a:\n    capabilites: {}\n", 3, 5, "agents.a.capabilites: unknown key; did you mean capabilities?");
  ExpectError("agents:\n  a:\n    tempalte: echo\n", 3, 5, "agents.a.tempalte: unknown key; did you mean template?");
  ExpectError(WithCapabilities("{ allowedHost: [x.com] }"), 3, 21,
              "agents.a.capabilities.allowedHost: unknown key; did you mean allowedHosts?");
  ExpectError(WithCapabilities("{ filesystem: { raed: [x] } }"), 3, 35,
              "agents.a.capabilities.filesystem.raed: unknown key; did you mean read?");
  ExpectError("agents:\n  a:\n    tests:\n      - { input: x, expcet: y }\n", 4, 21,
              "agents.a.tests[0].expcet: unknown key; did you mean expect?");
}

TEST(ConfigUnknownKey, SuggestsTheCorrectlyCasedKeyForAMiscasedOne) {
  ExpectError("execution:\n  memorylimit: 1MB\n", 2, 3, "unknown key; did you mean memoryLimit?");
}

// ---- execution: sizes, durations, counts, where each key may appear ---------

TEST(ConfigExecution, ParsesEveryTopLevelKey) {
  auto config = Parse("execution: { memoryLimit: 1GiB, timeout: 5m, fuel: 1000000, maxInstances: 8, "
                      "maxOutput: 2MB, maxLog: 8MB, maxStack: 1MB }\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->execution.memory_bytes, 1024 * kMiB);
  EXPECT_EQ(config->execution.timeout, std::chrono::minutes(5));
  EXPECT_EQ(config->execution.fuel, 1'000'000u);
  EXPECT_EQ(config->execution.max_instances, 8u);
  EXPECT_EQ(config->execution.max_output_bytes, 2 * kMiB);
  EXPECT_EQ(config->execution.max_log_bytes, 8 * kMiB);
  EXPECT_EQ(config->execution.max_stack_bytes, kMiB);
}

TEST(ConfigExecution, MaxLogIsBetween4KiBAnd1GiB) {
  ExpectError("execution: { maxLog: 1KB }\n", 1, 22, "execution.maxLog: must be between 4KiB and 1GiB");
  ExpectError("execution: { maxLog: 2GB }\n", 1, 22, "execution.maxLog: must be between 4KiB and 1GiB");
  auto config = Parse("agents:\n  a:\n    execution: { maxLog: 4KiB }\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(effective_limits(*config, &config->agents.at("a")).max_log_bytes, 4096u);
}

TEST(ConfigExecution, RefusesMalformedSizesAtTheValue) {
  ExpectError("execution:\n  memoryLimit: 256 MB\n", 2, 16, "execution.memoryLimit: expected a size like 256MB");
  ExpectError("execution:\n  memoryLimit: 1.5GB\n", 2, 16, "execution.memoryLimit:");
  ExpectError("execution:\n  maxOutput: lots\n", 2, 14, "execution.maxOutput:");
}

TEST(ConfigExecution, RefusesMalformedDurations) {
  ExpectError("execution:\n  timeout: 30ss\n", 2, 12, "execution.timeout: expected a duration like");
  ExpectError("execution:\n  timeout: 1.5s\n", 2, 12, "execution.timeout:");
  ExpectError("execution: { timeout: 0s }\n", 1, 23, "execution.timeout: must be longer than 0");
}

TEST(ConfigExecution, RefusesMalformedCounts) {
  ExpectError("execution:\n  fuel: -1\n", 2, 9, "execution.fuel: expected a whole number");
  ExpectError("execution:\n  fuel: 1e6\n", 2, 9, "execution.fuel:");
  ExpectError("execution:\n  maxInstances: many\n", 2, 17, "execution.maxInstances:");
}

TEST(ConfigExecution, RefusesAListOrMappingWhereAValueBelongs) {
  ExpectError("execution:\n  timeout: [30s]\n", 2, 12, "execution.timeout: expected a single value");
  ExpectError("execution: 256MB\n", 1, 12, "execution: expected a mapping");
}

TEST(ConfigExecution, EnforcesTheDocumentedRanges) {
  EXPECT_TRUE(Parse("execution: { memoryLimit: 64KiB }\n"));
  EXPECT_TRUE(Parse("execution: { memoryLimit: 4GiB }\n"));
  ExpectRefused("execution: { memoryLimit: 65535 }\n", "execution.memoryLimit: must be between 64KiB and 4GiB");
  ExpectRefused("execution: { memoryLimit: 5GB }\n", "execution.memoryLimit: must be between 64KiB and 4GiB");
  EXPECT_TRUE(Parse("execution: { maxInstances: 1 }\n"));
  EXPECT_TRUE(Parse("execution: { maxInstances: 10000 }\n"));
  ExpectRefused("execution: { maxInstances: 0 }\n", "execution.maxInstances: must be between 1 and 10000");
  ExpectRefused("execution: { maxInstances: 10001 }\n", "execution.maxInstances: must be between 1 and 10000");
  EXPECT_TRUE(Parse("execution: { maxStack: 64KiB }\n"));
  EXPECT_TRUE(Parse("execution: { maxStack: 64MiB }\n"));
  ExpectRefused("execution: { maxStack: 32KiB }\n", "execution.maxStack: must be between 64KiB and 64MiB");
  ExpectRefused("execution: { maxStack: 128MB }\n", "execution.maxStack: must be between 64KiB and 64MiB");
}

TEST(ConfigExecution, RefusesEngineWideKeysInsideAnAgent) {
  ExpectError("agents:\n  a:\n    execution:\n      maxStack: 1MB\n", 4, 7,
              "agents.a.execution.maxStack: can only be set in the top-level execution section");
  ExpectError("agents:\n  a:\n    execution: { maxInstances: 3 }\n", 3, 18,
              "agents.a.execution.maxInstances: can only be set in the top-level execution section");
}

TEST(ConfigExecution, AcceptsPerRunKeysInsideAnAgent) {
  auto config = Parse("agents:\n  a:\n    execution: { memoryLimit: 32MB, timeout: 100ms, fuel: 5, maxOutput: 4KB }\n");
  ASSERT_TRUE(config) << config.error().to_string();
  const ExecutionConfig& e = config->agents.at("a").execution;
  EXPECT_EQ(e.memory_bytes, 32 * kMiB);
  EXPECT_EQ(e.timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(e.fuel, 5u);
  EXPECT_EQ(e.max_output_bytes, 4096u);
}

// ---- capabilities ----------------------------------------------------------

TEST(ConfigCapabilities, DefaultToNothing) {
  auto config = Parse("agents:\n  a:\n    template: echo\n  b:\n");
  ASSERT_TRUE(config) << config.error().to_string();
  for (const char* name : {"a", "b"}) {
    const CapabilitiesConfig& caps = config->agents.at(name).capabilities;
    EXPECT_EQ(caps.network, NetworkAccess::kNone) << name;
    EXPECT_TRUE(caps.allowed_hosts.empty()) << name;
    EXPECT_TRUE(caps.read.empty()) << name;
    EXPECT_TRUE(caps.write.empty()) << name;
    EXPECT_TRUE(caps.env.empty()) << name;
    EXPECT_FALSE(caps.kv) << name;
    EXPECT_FALSE(caps.llm) << name;
  }
  EXPECT_EQ(config->agents.at("b").name, "b");
}

TEST(ConfigCapabilities, ReadsEachNetworkMode) {
  for (auto [text, mode] : {std::pair{"none", NetworkAccess::kNone}, {"open", NetworkAccess::kOpen},
                            {"restricted", NetworkAccess::kRestricted}}) {
    auto config = Parse(WithCapabilities(std::string("{ network: ") + text + ", allowedHosts: [x.com] }"));
    ASSERT_TRUE(config) << text << ": " << config.error().to_string();
    EXPECT_EQ(config->agents.at("a").capabilities.network, mode) << text;
  }
  auto open = Parse(WithCapabilities("{ network: open }"));
  ASSERT_TRUE(open) << "open needs no allowedHosts: " << open.error().to_string();
}

TEST(ConfigCapabilities, RefusesAnUnknownNetworkMode) {
  ExpectError(WithCapabilities("{ network: Open }"), 3, 30,
              "agents.a.capabilities.network: expected none, restricted or open, got \"Open\"");
  ExpectRefused(WithCapabilities("{ network: all }"), "expected none, restricted or open");
  ExpectRefused(WithCapabilities("{ network: [open] }"), "agents.a.capabilities.network: expected a single value");
}

TEST(ConfigCapabilities, RefusesRestrictedNetworkWithoutAllowedHosts) {
  ExpectError(WithCapabilities("{ network: restricted }"), 3, 19,
              "agents.a.capabilities.network: restricted network needs a non-empty allowedHosts list");
  ExpectRefused(WithCapabilities("{ network: restricted, allowedHosts: [] }"),
                "restricted network needs a non-empty allowedHosts list");
}

TEST(ConfigCapabilities, RefusesBooleansOtherThanTrueAndFalse) {
  ExpectError(WithCapabilities("{ kv: yes }"), 3, 25, "agents.a.capabilities.kv: expected true or false, got \"yes\"");
  ExpectRefused(WithCapabilities("{ llm: 1 }"), "agents.a.capabilities.llm: expected true or false");
  ExpectRefused(WithCapabilities("{ kv: on }"), "expected true or false");
  ExpectError("agents:\n  a:\n    capabilities:\n      kv:\n", 5, 1, "agents.a.capabilities.kv: expected a single value");
  auto off = Parse(WithCapabilities("{ kv: false, llm: false }"));
  ASSERT_TRUE(off) << off.error().to_string();
  EXPECT_FALSE(off->agents.at("a").capabilities.kv);
}

TEST(ConfigCapabilities, RefusesFoldersOutsideTheProject) {
  ExpectError(WithCapabilities("{ filesystem: { read: [../etc] } }"), 3, 42,
              "agents.a.capabilities.filesystem.read[0]: must be a folder inside the project");
  ExpectError(WithCapabilities("{ filesystem: { write: [/etc] } }"), 3, 43,
              "agents.a.capabilities.filesystem.write[0]: must be a folder inside the project");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [inputs, data/../../secrets] } }"),
                "agents.a.capabilities.filesystem.read[1]: must be a folder inside the project");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [inputs/..] } }"), "filesystem.read[0]");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [\"\"] } }"), "filesystem.read[0]");
}

TEST(ConfigCapabilities, RefusesTheProjectRootAndDataInAnySpelling) {
  ExpectError(WithCapabilities("{ filesystem: { write: [data] } }"), 3, 43,
              "agents.a.capabilities.filesystem.write[0]: data/ is the host's");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [data/cache] } }"), "filesystem.read[0]: data/ is the host's");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [./data/] } }"), "filesystem.read[0]: data/ is the host's");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [Data] } }"), "filesystem.read[0]: data/ is the host's");
  ExpectRefused(WithCapabilities("{ filesystem: { read: [DATA/logs] } }"), "filesystem.read[0]: data/ is the host's");
  ExpectRefused(WithCapabilities("{ filesystem: { write: [.] } }"), "filesystem.write[0]: is the project root");
  ExpectRefused(WithCapabilities("{ filesystem: { write: [./] } }"), "filesystem.write[0]: is the project root");
}

TEST(ConfigCapabilities, AcceptsNestedProjectRelativeFolders) {
  auto config = Parse(WithCapabilities("{ filesystem: { read: [inputs, raw/data, ./docs, database], write: [out/run] } }"));
  ASSERT_TRUE(config) << config.error().to_string();
  const CapabilitiesConfig& caps = config->agents.at("a").capabilities;
  EXPECT_EQ(caps.read, (std::vector<std::string>{"inputs", "raw/data", "./docs", "database"}));
  EXPECT_EQ(caps.write, std::vector<std::string>{"out/run"});
}

TEST(ConfigCapabilities, RefusesNonListsWhereListsBelong) {
  ExpectRefused(WithCapabilities("{ filesystem: { read: inputs } }"), "agents.a.capabilities.filesystem.read: expected a list");
  ExpectRefused(WithCapabilities("{ env: LANG }"), "agents.a.capabilities.env: expected a list");
  ExpectRefused(WithCapabilities("{ network: open, allowedHosts: x.com }"), "agents.a.capabilities.allowedHosts: expected a list");
  ExpectRefused(WithCapabilities("{ env: [[LANG]] }"), "agents.a.capabilities.env[0]: expected a single value");
}

// ---- agents ----------------------------------------------------------------

TEST(ConfigAgents, AcceptsNamesOfLettersDigitsDashesAndUnderscores) {
  auto config = Parse("agents:\n  auth-agent: {}\n  processor_1: {}\n  9lives: {}\n  " + std::string(64, 'a') + ":\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->agents.size(), 4u);
  EXPECT_TRUE(config->agents.count("auth-agent"));
  EXPECT_TRUE(config->agents.count(std::string(64, 'a')));
}

TEST(ConfigAgents, RefusesInvalidAgentNamesAtTheName) {
  ExpectError("agents:\n  -bad: {}\n", 2, 3, "agents.-bad: an agent name is 1-64 letters, digits, '-' or '_'");
  ExpectError("agents:\n  _bad: {}\n", 2, 3, "agents._bad: an agent name");
  ExpectError("agents:\n  bad name: {}\n", 2, 3, "agents.bad name: an agent name");
  ExpectError("agents:\n  a.b: {}\n", 2, 3, "agents.a.b: an agent name");
  ExpectError("agents:\n  ../x: {}\n", 2, 3, "an agent name");
  ExpectError("agents:\n  \"\": {}\n", 2, 3, "an agent name");
  ExpectError("agents:\n  " + std::string(65, 'a') + ": {}\n", 2, 3, "an agent name");
}

TEST(ConfigAgents, RefusesAnAgentsSectionThatIsNotAMapping) {
  ExpectError("agents: [a, b]\n", 1, 9, "agents: expected a mapping");
  ExpectError("agents:\n  a: echo\n", 2, 6, "agents.a: expected a mapping");
}

TEST(ConfigAgents, ReadsSourceAndSeveralTests) {
  auto config = Parse(
      "agents:\n"
      "  a:\n"
      "    source: agents/a/a.wasm\n"
      "    description: free text\n"
      "    metadata: { owner: me, tags: [x] }\n"
      "    tests:\n"
      "      - { input: \"1\", expect: \"2\" }\n"
      "      - input: hello\n"
      "        expect: HELLO\n");
  ASSERT_TRUE(config) << config.error().to_string();
  const AgentConfig& agent = config->agents.at("a");
  EXPECT_EQ(agent.source, "agents/a/a.wasm");
  ASSERT_EQ(agent.tests.size(), 2u);
  EXPECT_EQ(agent.tests[0].input, "1");
  EXPECT_EQ(agent.tests[0].expect, "2");
  EXPECT_EQ(agent.tests[1].input, "hello");
  EXPECT_EQ(agent.tests[1].expect, "HELLO");
}

TEST(ConfigAgents, RefusesMalformedTests) {
  ExpectError("agents:\n  a:\n    tests: { input: x }\n", 3, 12, "agents.a.tests: expected a list of {input, expect}");
  ExpectError("agents:\n  a:\n    tests: [ ping ]\n", 3, 14, "agents.a.tests[0]: expected a mapping");
  ExpectError("agents:\n  a:\n    tests: [ { input: x, expect: [1] } ]\n", 3, 34,
              "agents.a.tests[0].expect: expected a single value");
}

// ---- effective limits: defaults, then top-level execution, then the agent --

TEST(ConfigEffectiveLimits, AreTheBuiltInDefaultsWhenNothingIsSet) {
  auto config = Parse("agents:\n  a:\n");
  ASSERT_TRUE(config) << config.error().to_string();
  for (const AgentConfig* agent : std::initializer_list<const AgentConfig*>{nullptr, &config->agents.at("a")}) {
    sandbox::Limits limits = effective_limits(*config, agent);
    EXPECT_EQ(limits.memory_bytes, 256 * kMiB);
    EXPECT_EQ(limits.timeout, std::chrono::seconds(30));
    EXPECT_EQ(limits.fuel, 0u);
    EXPECT_EQ(limits.max_output_bytes, kMiB);
    EXPECT_EQ(limits.max_log_bytes, 4 * kMiB);
  }
}

TEST(ConfigEffectiveLimits, TopLevelExecutionOverridesDefaultsAndAgentExecutionOverridesBoth) {
  auto config = Parse(
      "execution: { memoryLimit: 128MB, timeout: 10s, maxOutput: 64KB }\n"
      "agents:\n"
      "  big:\n"
      "    execution: { memoryLimit: 1GB, fuel: 500 }\n"
      "  plain:\n"
      "    template: echo\n");
  ASSERT_TRUE(config) << config.error().to_string();

  sandbox::Limits top = effective_limits(*config, nullptr);
  EXPECT_EQ(top.memory_bytes, 128 * kMiB);
  EXPECT_EQ(top.timeout, std::chrono::seconds(10));
  EXPECT_EQ(top.fuel, 0u);  // not set anywhere: the default
  EXPECT_EQ(top.max_output_bytes, 64u * 1024);

  sandbox::Limits big = effective_limits(*config, &config->agents.at("big"));
  EXPECT_EQ(big.memory_bytes, 1024 * kMiB);           // the agent's own
  EXPECT_EQ(big.fuel, 500u);                          // the agent's own
  EXPECT_EQ(big.timeout, std::chrono::seconds(10));   // inherited from the top level
  EXPECT_EQ(big.max_output_bytes, 64u * 1024);        // inherited from the top level

  sandbox::Limits plain = effective_limits(*config, &config->agents.at("plain"));
  EXPECT_EQ(plain.memory_bytes, 128 * kMiB);
  EXPECT_EQ(plain.timeout, std::chrono::seconds(10));
  EXPECT_EQ(plain.fuel, 0u);
}

TEST(ConfigEffectiveLimits, TheProductExampleGivesTheResearcherItsOwnMemoryAndTheSharedTimeout) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  sandbox::Limits limits = effective_limits(*config, &config->agents.at("researcher"));
  EXPECT_EQ(limits.memory_bytes, 512 * kMiB);
  EXPECT_EQ(limits.timeout, std::chrono::seconds(30));
  EXPECT_EQ(limits.fuel, 0u);
}


// ---- names other sections refer to ----------------------------------------

// `rest` followed by an agents section defining a, b, c, fetcher and cleaner
// on the last line, so positions inside `rest` start at line 1.
std::string With(const std::string& rest) {
  return rest + "agents: { a: {}, b: {}, c: {}, fetcher: {}, cleaner: {} }\n";
}

// ---- supervisors -----------------------------------------------------------

TEST(ConfigSupervisors, ReadsTheProductExampleTree) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const SupervisorConfig& root = config->supervisors.at("root");
  EXPECT_EQ(root.name, "root");
  EXPECT_EQ(root.strategy, SupervisorStrategy::kOneForOne);
  EXPECT_EQ(root.max_restarts, 3u);
  EXPECT_EQ(root.restart_window, std::chrono::seconds(60));
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].name, "api");
  EXPECT_EQ(root.children[1].name, "workers");
  EXPECT_EQ(config->supervisors.at("api").strategy, SupervisorStrategy::kOneForAll);

  const SupervisorConfig& workers = config->supervisors.at("workers");
  EXPECT_EQ(workers.strategy, SupervisorStrategy::kRestForOne);
  EXPECT_EQ(workers.max_restarts, 5u);
  ASSERT_TRUE(workers.backoff);
  EXPECT_EQ(workers.backoff->min, std::chrono::milliseconds(100));
  EXPECT_EQ(workers.backoff->max, std::chrono::seconds(30));
  EXPECT_DOUBLE_EQ(workers.backoff->jitter, 0.2);
  ASSERT_EQ(workers.children.size(), 3u);
  EXPECT_EQ(workers.children[2].name, "processor-3");  // start order kept
}

TEST(ConfigSupervisors, DefaultsAreTheDocumentedOnes) {
  auto config = Parse(With("supervisors:\n  s: { children: [a] }\n  empty:\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  for (const char* name : {"s", "empty"}) {
    const SupervisorConfig& s = config->supervisors.at(name);
    EXPECT_EQ(s.strategy, SupervisorStrategy::kOneForOne) << name;
    EXPECT_EQ(s.max_restarts, 3u) << name;
    EXPECT_EQ(s.restart_window, std::chrono::seconds(60)) << name;
    EXPECT_FALSE(s.backoff) << name << ": no backoff unless asked for";
    EXPECT_EQ(s.shutdown, std::chrono::seconds(5)) << name;
  }
  ASSERT_EQ(config->supervisors.at("s").children.size(), 1u);
  EXPECT_EQ(config->supervisors.at("s").children[0].restart, RestartType::kTransient);
  EXPECT_FALSE(config->supervisors.at("s").children[0].shutdown);
}

TEST(ConfigSupervisors, AnEmptyBackoffTakesTheDefaults) {
  auto config = Parse("supervisors:\n  s: { backoff: {} }\n  t: { backoff: { max: 1m } }\n");
  ASSERT_TRUE(config) << config.error().to_string();
  const BackoffConfig& s = *config->supervisors.at("s").backoff;
  EXPECT_EQ(s.min, std::chrono::milliseconds(100));
  EXPECT_EQ(s.max, std::chrono::seconds(30));
  EXPECT_DOUBLE_EQ(s.jitter, 0.2);
  EXPECT_EQ(config->supervisors.at("t").backoff->max, std::chrono::minutes(1));
}

TEST(ConfigSupervisors, AcceptsKebabAndUnderscoreSpellingsOfEveryStrategy) {
  for (auto [text, strategy] : {std::pair{"one-for-one", SupervisorStrategy::kOneForOne},
                                {"one_for_one", SupervisorStrategy::kOneForOne},
                                {"one-for-all", SupervisorStrategy::kOneForAll},
                                {"one_for_all", SupervisorStrategy::kOneForAll},
                                {"rest-for-one", SupervisorStrategy::kRestForOne},
                                {"rest_for_one", SupervisorStrategy::kRestForOne}}) {
    auto config = Parse(std::string("supervisors:\n  s: { strategy: ") + text + " }\n");
    ASSERT_TRUE(config) << text << ": " << config.error().to_string();
    EXPECT_EQ(config->supervisors.at("s").strategy, strategy) << text;
  }
}

TEST(ConfigSupervisors, RefusesAnUnknownStrategyAndSuggestsTheClosest) {
  ExpectError("supervisors:\n  s: { strategy: one-for-on }\n", 2, 18,
              "supervisors.s.strategy: expected one-for-one, one-for-all or rest-for-one, got \"one-for-on\"; "
              "did you mean one-for-one?");
  ExpectRefused("supervisors:\n  s: { strategy: OneForOne }\n", "expected one-for-one, one-for-all or rest-for-one");
}

TEST(ConfigSupervisors, ReadsChildrenWrittenAsMappingsWithARestartTypeAndShutdown) {
  auto config = Parse(With(
      "supervisors:\n"
      "  s:\n"
      "    shutdown: 2s\n"
      "    children:\n"
      "      - a\n"
      "      - { name: b, restart: permanent, shutdown: 10s }\n"
      "      - { name: c, restart: temporary }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const SupervisorConfig& s = config->supervisors.at("s");
  EXPECT_EQ(s.shutdown, std::chrono::seconds(2));
  ASSERT_EQ(s.children.size(), 3u);
  EXPECT_EQ(s.children[0].name, "a");
  EXPECT_EQ(s.children[0].restart, RestartType::kTransient);
  EXPECT_EQ(s.children[1].name, "b");
  EXPECT_EQ(s.children[1].restart, RestartType::kPermanent);
  EXPECT_EQ(s.children[1].shutdown, std::chrono::seconds(10));
  EXPECT_EQ(s.children[2].restart, RestartType::kTemporary);
}

TEST(ConfigSupervisors, RefusesMalformedChildren) {
  ExpectError("supervisors:\n  s: { children: [ { restart: permanent } ] }\n", 2, 20,
              "supervisors.s.children[0]: a child needs a name (an agent or a supervisor)");
  ExpectError(With("supervisors:\n  s: { children: [ { name: a, restrat: permanent } ] }\n"), 2, 31,
              "supervisors.s.children[0].restrat: unknown key; did you mean restart?");
  ExpectRefused(With("supervisors:\n  s: { children: [ { name: a, restart: always } ] }\n"),
                "supervisors.s.children[0].restart: expected permanent, transient or temporary, got \"always\"");
  ExpectError("supervisors:\n  s: { children: a }\n", 2, 18,
              "supervisors.s.children: expected a list of agent or supervisor names");
  ExpectRefused("supervisors:\n  s: { children: [ [a] ] }\n", "supervisors.s.children[0]: expected a name");
}

TEST(ConfigSupervisors, RefusesAnUnknownChildAtItsPositionWithTheClosestName) {
  ExpectError(With("supervisors:\n  s: { children: [a, fetchr] }\n"), 2, 22,
              "supervisors.s.children[1]: unknown agent or supervisor \"fetchr\"; did you mean fetcher?");
  ExpectRefused("supervisors:\n  s: { children: [ghost] }\n", "unknown agent or supervisor \"ghost\"");
}

TEST(ConfigSupervisors, AcceptsSupervisorsAsChildren) {
  auto config = Parse(With("supervisors:\n  top: { children: [mid] }\n  mid: { children: [a, b] }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->supervisors.at("top").children[0].name, "mid");
}

TEST(ConfigSupervisors, RefusesAChildListedTwiceOrUnderTwoParents) {
  ExpectError(With("supervisors:\n  s: { children: [a, a] }\n"), 2, 22,
              "supervisors.s.children[1]: \"a\" is listed twice (also supervisors.s.children[0])");
  ExpectError(With("supervisors:\n  s: { children: [a] }\n  t: { children: [b, a] }\n"), 3, 22,
              "supervisors.t.children[1]: \"a\" is already supervised by s (supervisors.s.children[0]); "
              "each agent or supervisor has one parent");
}

TEST(ConfigSupervisors, RefusesACycleInTheTree) {
  ExpectError("supervisors:\n  s: { children: [s] }\n", 2, 19,
              "supervisors.s.children[0]: supervision cycle: s -> s");
  ExpectError("supervisors:\n  s: { children: [t] }\n  t: { children: [s] }\n", 2, 19,
              "supervisors.s.children[0]: supervision cycle: s -> t -> s");
  ExpectError(With("supervisors:\n  top: { children: [a] }\n  s: { children: [t] }\n  t: { children: [u] }\n"
                   "  u: { children: [s, b] }\n"),
              3, 19, "supervisors.s.children[0]: supervision cycle: s -> t -> u -> s");
}

// s1 supervises s2, ..., s<levels-1> supervises s<levels>, which supervises a.
std::string SupervisorChain(int levels) {
  std::string text = "supervisors:\n";
  for (int i = 1; i < levels; ++i) {
    text += "  s" + std::to_string(i) + ": { children: [s" + std::to_string(i + 1) + "] }\n";
  }
  text += "  s" + std::to_string(levels) + ": { children: [a] }\n";
  return With(text);
}

TEST(ConfigSupervisors, AllowsTreesTenLevelsDeepAndNoDeeper) {
  auto ten = Parse(SupervisorChain(10));
  ASSERT_TRUE(ten) << ten.error().to_string();
  ExpectError(SupervisorChain(11), 12, 3,
              "supervisors.s11: the supervision tree is 11 levels deep here (s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> "
              "s7 -> s8 -> s9 -> s10 -> s11); at most 10");
}

// This thread's CPU time: unlike wall time, other processes on a loaded
// machine (CI runs two suites side by side) do not add to it.
std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// Refuses a chain of `depth` supervisors written root first, leaf first, and
// as a cycle, each with its precise error; the CPU time that took.
std::chrono::nanoseconds RefuseDeepChains(int depth) {
  auto started = ThreadCpuTime();
  ExpectRefused(SupervisorChain(depth), "supervisors.s11: the supervision tree is 11 levels deep here");
  // Leaf first: the first supervisor in the file is `depth` levels down; the
  // chain in the message is shortened.
  const std::string last = "s" + std::to_string(depth);
  std::string reversed = "supervisors:\n  " + last + ": { children: [a] }\n";
  for (int i = depth - 1; i >= 1; --i) {
    reversed += "  s" + std::to_string(i) + ": { children: [s" + std::to_string(i + 1) + "] }\n";
  }
  ExpectError(With(reversed), 2, 3,
              "supervisors." + last + ": the supervision tree is " + std::to_string(depth) + " levels deep here (... -> s" +
                  std::to_string(depth - 10) + " -> s" + std::to_string(depth - 9) + " -> ");
  // A cycle through all of them.
  std::string cycle = "supervisors:\n";
  for (int i = 1; i <= depth; ++i) {
    cycle += "  s" + std::to_string(i) + ": { children: [s" + std::to_string(i % depth + 1) + "] }\n";
  }
  ExpectError(cycle, 2, 20, "supervisors.s1.children[0]: supervision cycle: s1 -> s2 -> s3 -> ");
  return ThreadCpuTime() - started;
}

TEST(ConfigSupervisors, RefusesATwentyThousandDeepChainFastWhicheverWayItIsWritten) {
  // Issue 19.5: the checks walked up from every supervisor (quadratic). Ten
  // times the depth costs about ten times the CPU when the checks are
  // linear, a hundred times when quadratic: compared in the same run, not
  // against a wall-clock limit that a loaded machine breaks.
  auto small = RefuseDeepChains(2'000);
  auto large = RefuseDeepChains(20'000);
  EXPECT_LT(large, 40 * small + std::chrono::milliseconds(200))
      << "2,000 deep: " << small.count() / 1'000'000 << " ms; 20,000 deep: " << large.count() / 1'000'000 << " ms";
}

TEST(ConfigSupervisors, RefusesASupervisorNamedLikeAnAgent) {
  ExpectError(With("supervisors:\n  a: { children: [b] }\n"), 2, 3,
              "supervisors.a: an agent has the same name; a supervisor's children could not tell them apart");
}

TEST(ConfigSupervisors, RefusesInvalidLimitsAndBackoff) {
  ExpectError("supervisors:\n  s: { restartWindow: 0s }\n", 2, 23, "supervisors.s.restartWindow: must be longer than 0");
  ExpectRefused("supervisors:\n  s: { restartWindow: 60x }\n", "supervisors.s.restartWindow: expected a duration like");
  ExpectRefused("supervisors:\n  s: { maxRestarts: -1 }\n", "supervisors.s.maxRestarts: expected a whole number");
  ExpectError("supervisors:\n  s: { backoff: { min: 1s, max: 500ms } }\n", 2, 17,
              "supervisors.s.backoff: min (1s) is longer than max (500ms)");
  ExpectError("supervisors:\n  s: { backoff: { jitter: 1.5 } }\n", 2, 27,
              "supervisors.s.backoff.jitter: expected a number from 0 to 1, got \"1.5\"");
  ExpectRefused("supervisors:\n  s: { backoff: { jitter: .5 } }\n", "expected a number from 0 to 1");
  ExpectRefused("supervisors:\n  s: { backoff: { jitter: -0.1 } }\n", "expected a number from 0 to 1");
  auto exact = Parse("supervisors:\n  s: { backoff: { jitter: 1.0 } }\n  t: { backoff: { jitter: 0 } }\n");
  ASSERT_TRUE(exact) << exact.error().to_string();
  EXPECT_DOUBLE_EQ(exact->supervisors.at("s").backoff->jitter, 1.0);
  EXPECT_DOUBLE_EQ(exact->supervisors.at("t").backoff->jitter, 0.0);
}

TEST(ConfigSupervisors, RefusesUnknownKeysAndInvalidNames) {
  ExpectError("supervisors:\n  s: { maxRestart: 3 }\n", 2, 8,
              "supervisors.s.maxRestart: unknown key; did you mean maxRestarts?");
  ExpectError("supervisors:\n  s: { windw: 60s }\n", 2, 8, "supervisors.s.windw: unknown key");
  ExpectError("supervisors:\n  bad.name: {}\n", 2, 3, "supervisors.bad.name: a supervisor name is 1-64 letters");
  ExpectError("supervisr:\n  strategy: one-for-one\n", 1, 1, "supervisr: unknown key; did you mean supervisors?");
  ExpectError("supervisors: [s]\n", 1, 14, "supervisors: expected a mapping");
}

// ---- sagas -----------------------------------------------------------------

TEST(ConfigSagas, ReadsTheProductExampleSaga) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const SagaConfig& saga = config->sagas.at("order");
  EXPECT_EQ(saga.name, "order");
  EXPECT_EQ(saga.timeout, std::chrono::seconds(300));
  EXPECT_EQ(saga.step_timeout, std::chrono::seconds(60));
  ASSERT_EQ(saga.steps.size(), 2u);
  EXPECT_EQ(saga.steps[0].name, "reserve");
  EXPECT_EQ(saga.steps[0].agent, "inventory-reserve");
  EXPECT_EQ(saga.steps[0].compensate, "inventory-release");
  EXPECT_EQ(saga.steps[1].name, "charge");
  EXPECT_EQ(saga.steps[1].compensate, "payment-refund");
  EXPECT_FALSE(saga.parallel_compensation);
  EXPECT_FALSE(saga.continue_on_compensation_error);
}

TEST(ConfigSagas, DefaultsAStepsNameToItsAgentAndReadsEveryOption) {
  auto config = Parse(With(
      "sagas:\n"
      "  s:\n"
      "    parallelCompensation: true\n"
      "    continueOnCompensationError: true\n"
      "    steps:\n"
      "      - { agent: a }\n"
      "      - { name: second, agent: b, compensate: c, retries: 2, timeout: 10s }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const SagaConfig& saga = config->sagas.at("s");
  EXPECT_FALSE(saga.timeout);
  EXPECT_FALSE(saga.step_timeout);
  EXPECT_TRUE(saga.parallel_compensation);
  EXPECT_TRUE(saga.continue_on_compensation_error);
  ASSERT_EQ(saga.steps.size(), 2u);
  EXPECT_EQ(saga.steps[0].name, "a");
  EXPECT_EQ(saga.steps[0].compensate, "");
  EXPECT_EQ(saga.steps[0].retries, 0u);
  EXPECT_FALSE(saga.steps[0].timeout);
  EXPECT_EQ(saga.steps[1].retries, 2u);
  EXPECT_EQ(saga.steps[1].timeout, std::chrono::seconds(10));
}

TEST(ConfigSagas, RefusesUnknownAgentsInStepsAndCompensations) {
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { agent: fetchr }\n"), 4, 18,
              "sagas.o.steps[0].agent: unknown agent, workflow, saga or pool \"fetchr\"; did you mean fetcher?");
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { agent: a, compensate: claener }\n"), 4, 33,
              "sagas.o.steps[0].compensate: unknown agent \"claener\"; did you mean cleaner?");
}

TEST(ConfigSagas, RefusesAStepWithoutAnAgentOrWithADuplicateName) {
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { name: x }\n"), 4, 9, "sagas.o.steps[0]: a step needs an agent");
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { agent: a }\n      - { agent: a }\n"), 5, 9,
              "sagas.o.steps[1]: two steps are named \"a\" (also sagas.o.steps[0])");
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { name: x, agent: a }\n      - { name: x, agent: b }\n"), 5, 17,
              "sagas.o.steps[1]: two steps are named \"x\"");
}

TEST(ConfigSagas, RefusesTimeoutsWithoutAUnitAndUnknownStepKeys) {
  ExpectError("sagas:\n  o: { timeout: 300x }\n", 2, 17, "sagas.o.timeout: expected a duration like");
  ExpectError("sagas:\n  o: { stepTimeout: 0s }\n", 2, 21, "sagas.o.stepTimeout: must be longer than 0");
  ExpectError(With("sagas:\n  o:\n    steps:\n      - { agent: a, compensation: b }\n"), 4, 21,
              "sagas.o.steps[0].compensation: unknown key; did you mean compensate?");
  ExpectError("sagas:\n  o: { step: [] }\n", 2, 8, "sagas.o.step: unknown key; did you mean steps?");
  ExpectRefused("sagas:\n  o: { parallelCompensation: yes }\n", "sagas.o.parallelCompensation: expected true or false");
  ExpectRefused("sagas:\n  o: { steps: { agent: a } }\n", "sagas.o.steps: expected a list of steps");
}

// ---- workflows -------------------------------------------------------------

TEST(ConfigWorkflows, ReadsTheProductExampleWorkflow) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const WorkflowConfig& wf = config->workflows.at("pipeline");
  EXPECT_EQ(wf.on_error, OnError::kStop);
  EXPECT_EQ(wf.retries, 3u);
  EXPECT_EQ(wf.retry_delay, std::chrono::seconds(5));
  ASSERT_EQ(wf.steps.size(), 2u);
  EXPECT_EQ(wf.steps[0].name, "fetch");
  EXPECT_EQ(wf.steps[0].agent, "fetcher");
  EXPECT_EQ(wf.steps[0].on_error, OnError::kRetry);
  EXPECT_EQ(wf.steps[0].retries, 5u);
  EXPECT_EQ(wf.steps[1].name, "clean");
  EXPECT_FALSE(wf.steps[1].on_error);
  EXPECT_FALSE(wf.steps[1].retries);
}

TEST(ConfigWorkflows, DefaultsAndStepOptions) {
  auto config = Parse(With(
      "workflows:\n"
      "  w:\n"
      "    steps:\n"
      "      - { agent: a, input: /data/items, timeout: 1m, retryDelay: 0s, onError: skip }\n"
      "      - { agent: b, input: \"\", condition: \"/ready\" }\n"
      "      - { agent: c, condition: \"!/done\" }\n"
      "      - { name: eq, agent: a, condition: '/kind == \"pdf\"' }\n"
      "      - { name: ne, agent: a, condition: \"/count != 0\" }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const WorkflowConfig& wf = config->workflows.at("w");
  EXPECT_EQ(wf.on_error, OnError::kStop);
  EXPECT_EQ(wf.retries, 3u);
  EXPECT_EQ(wf.retry_delay, std::chrono::seconds(5));
  ASSERT_EQ(wf.steps.size(), 5u);
  EXPECT_EQ(wf.steps[0].input, "/data/items");
  EXPECT_EQ(wf.steps[0].timeout, std::chrono::minutes(1));
  EXPECT_EQ(wf.steps[0].retry_delay, std::chrono::milliseconds(0));
  EXPECT_EQ(wf.steps[0].on_error, OnError::kSkip);
  EXPECT_FALSE(wf.steps[0].condition);
  EXPECT_EQ(wf.steps[1].input, "");
  ASSERT_TRUE(wf.steps[1].condition);
  EXPECT_EQ(wf.steps[1].condition->pointer, "/ready");
  EXPECT_EQ(wf.steps[1].condition->op, StepCondition::Op::kTruthy);
  EXPECT_EQ(wf.steps[2].condition->op, StepCondition::Op::kFalsy);
  EXPECT_EQ(wf.steps[2].condition->pointer, "/done");
  EXPECT_FALSE(wf.steps[2].input);
  EXPECT_EQ(wf.steps[3].condition->op, StepCondition::Op::kEquals);
  EXPECT_EQ(wf.steps[3].condition->pointer, "/kind");
  EXPECT_EQ(wf.steps[3].condition->literal, "\"pdf\"");
  EXPECT_EQ(wf.steps[3].condition->text, "/kind == \"pdf\"");
  EXPECT_EQ(wf.steps[4].condition->op, StepCondition::Op::kNotEquals);
  EXPECT_EQ(wf.steps[4].condition->literal, "0");
}

TEST(ConfigWorkflows, RefusesAnUnknownOnErrorWithTheChoices) {
  ExpectError("workflows:\n  w: { onError: abort }\n", 2, 17,
              "workflows.w.onError: expected stop, skip or retry, got \"abort\"");
  ExpectRefused(With("workflows:\n  w:\n    steps: [ { agent: a, onError: Retry } ]\n"),
                "workflows.w.steps[0].onError: expected stop, skip or retry, got \"Retry\"; did you mean retry?");
}

TEST(ConfigWorkflows, RefusesBadPointersAndConditions) {
  ExpectError(With("workflows:\n  w:\n    steps:\n      - { agent: a, input: data }\n"), 4, 28,
              "workflows.w.steps[0].input: expected a JSON pointer like \"/data/items\"");
  ExpectRefused(With("workflows:\n  w:\n    steps: [ { agent: a, input: \"/a~2\" } ]\n"), "expected a JSON pointer");
  for (const char* bad : {"ready", "/a = 1", "/a == ", "/a == pdf", "/a == [1]", "!/a == 1", "/a <> 1", "!"}) {
    ExpectRefused(With(std::string("workflows:\n  w:\n    steps: [ { agent: a, condition: '") + bad + "' } ]\n"),
                  "workflows.w.steps[0].condition: expected \"/pointer\"");
  }
}

TEST(ConfigWorkflows, RefusesUnknownAgentsMissingAgentsAndDuplicateSteps) {
  ExpectError(With("workflows:\n  w:\n    steps: [ { agent: claener } ]\n"), 3, 23,
              "workflows.w.steps[0].agent: unknown agent, workflow, saga or pool \"claener\"; did you mean cleaner?");
  ExpectRefused(With("workflows:\n  w:\n    steps: [ { name: x } ]\n"), "workflows.w.steps[0]: a step needs an agent");
  ExpectRefused(With("workflows:\n  w:\n    steps: [ { agent: a }, { agent: a } ]\n"),
                "workflows.w.steps[1]: two steps are named \"a\"");
  ExpectError("workflows:\n  w: { retryDelay: 5sec }\n", 2, 20, "workflows.w.retryDelay: expected a duration like");
  ExpectError("workflows:\n  w: { onErorr: stop }\n", 2, 8, "workflows.w.onErorr: unknown key; did you mean onError?");
}

TEST(ConfigWorkflows, StepsMayNameWorkflowsSagasAndPools) {
  auto config = Parse(With("workflows:\n  inner: { steps: [ { agent: a } ] }\n"
                           "  outer: { steps: [ { agent: inner }, { agent: s }, { agent: p } ] }\n"
                           "sagas:\n  s: { steps: [ { agent: p } ] }\n"
                           "pools:\n  p: { members: [a, b] }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->workflows.at("outer").steps[2].agent, "p");
}

TEST(ConfigWorkflows, RefusesANestingCycleAndNamesSharedBetweenStepTargets) {
  ExpectRefused(With("workflows:\n  x: { steps: [ { agent: y } ] }\n  y: { steps: [ { agent: s } ] }\n"
                     "sagas:\n  s: { steps: [ { agent: x } ] }\n"),
                "nesting cycle: ");
  ExpectRefused(With("workflows:\n  x: { steps: [ { agent: x } ] }\n"), "workflows.x.steps[0].agent: nesting cycle: x -> x");
  ExpectRefused(With("workflows:\n  a: { steps: [ { agent: b } ] }\n"), "workflows.a: the name is taken by agents.a");
  ExpectRefused(With("workflows:\n  p: { steps: [ { agent: b } ] }\npools:\n  p: { members: [a] }\n"),
                "the name is taken by workflows.p");
  // Supervisors never name pools or sagas, so those may share a supervisor's name.
  EXPECT_TRUE(Parse(With("supervisors:\n  p: { children: [a] }\npools:\n  p: { members: [b] }\n")));
}

TEST(ConfigWorkflows, ReadsRetryPoliciesAndRefusesBadOnes) {
  auto config = Parse(With("workflows:\n  w:\n    retry: { maxAttempts: 3 }\n    steps:\n"
                           "      - agent: a\n        retry: { maxAttempts: 5, initialInterval: 200ms, "
                           "backoffCoefficient: 1.5, maxInterval: 2s, nonRetryable: [timeout, trap] }\n"
                           "sagas:\n  s: { compensationRetries: 1, steps: [ { agent: a, retry: { maxAttempts: 2 } } ] }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const auto& retry = *config->workflows.at("w").steps[0].retry;
  EXPECT_EQ(retry.max_attempts, 5u);
  EXPECT_EQ(retry.initial_interval, std::chrono::milliseconds(200));
  EXPECT_EQ(retry.backoff_coefficient, 1.5);
  EXPECT_EQ(retry.max_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(retry.non_retryable, (std::vector<std::string>{"timeout", "trap"}));
  EXPECT_EQ(config->workflows.at("w").retry->max_attempts, 3u);
  EXPECT_EQ(config->sagas.at("s").compensation_retries, 1u);
  EXPECT_EQ(config->sagas.at("s").steps[0].retry->max_attempts, 2u);
  ExpectRefused(With("workflows:\n  w: { retry: { backoffCoefficient: 0.5 }, steps: [ { agent: a } ] }\n"),
                "workflows.w.retry.backoffCoefficient: expected a number from 1 to 100");
  ExpectRefused(With("workflows:\n  w: { retry: { maxAttempts: 0 }, steps: [ { agent: a } ] }\n"),
                "workflows.w.retry.maxAttempts:");
  ExpectRefused(With("workflows:\n  w: { retry: { initialInterval: 2s, maxInterval: 1s }, steps: [ { agent: a } ] }\n"),
                "maxInterval is shorter than initialInterval");
  ExpectRefused(With("workflows:\n  w: { retry: { maxAttempt: 2 }, steps: [ { agent: a } ] }\n"),
                "did you mean maxAttempts?");
}

// ---- pools -----------------------------------------------------------------

TEST(ConfigPools, ReadsTheProductExampleFanOutAndClonePools) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const PoolConfig& research = config->pools.at("research");
  EXPECT_TRUE(research.fan_out());
  EXPECT_EQ(research.members, (std::vector<std::string>{"web-agent", "paper-agent", "news-agent"}));
  EXPECT_EQ(research.merge, MergeMode::kAll);
  EXPECT_EQ(research.workers(), 3u);
  const PoolConfig& workers = config->pools.at("workers");
  EXPECT_FALSE(workers.fan_out());
  EXPECT_EQ(workers.agent, "researcher");
  EXPECT_EQ(workers.size, 5u);
  EXPECT_EQ(workers.strategy, PoolStrategy::kRoundRobin);
  EXPECT_EQ(workers.workers(), 5u);
}

TEST(ConfigPools, DefaultsAndOptions) {
  auto config = Parse(With(
      "pools:\n"
      "  plain: { members: [a, b] }\n"
      "  q: { members: [a, b, c], merge: quorum, quorum: 2, maxConcurrency: 2, tolerate: 1 }\n"
      "  clones: { agent: a, size: 4, strategy: least_busy, merge: first, tolerate: \"25%\" }\n"
      "  r: { agent: b, size: 1, strategy: random, merge: majority }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const PoolConfig& plain = config->pools.at("plain");
  EXPECT_EQ(plain.merge, MergeMode::kAll);
  EXPECT_FALSE(plain.max_concurrency);
  EXPECT_EQ(plain.tolerate.kind, Tolerance::Kind::kPercent);
  EXPECT_EQ(plain.tolerate.value, 100u);
  const PoolConfig& q = config->pools.at("q");
  EXPECT_EQ(q.merge, MergeMode::kQuorum);
  EXPECT_EQ(q.quorum, 2u);
  EXPECT_EQ(q.max_concurrency, 2u);
  EXPECT_EQ(q.tolerate.kind, Tolerance::Kind::kCount);
  EXPECT_EQ(q.tolerate.value, 1u);
  const PoolConfig& clones = config->pools.at("clones");
  EXPECT_EQ(clones.strategy, PoolStrategy::kLeastBusy);
  EXPECT_EQ(clones.merge, MergeMode::kFirst);
  EXPECT_EQ(clones.tolerate.kind, Tolerance::Kind::kPercent);
  EXPECT_EQ(clones.tolerate.value, 25u);
  EXPECT_EQ(config->pools.at("r").strategy, PoolStrategy::kRandom);
  EXPECT_EQ(config->pools.at("r").merge, MergeMode::kMajority);
}

TEST(ConfigPools, AreEitherFanOutOrClonePools) {
  ExpectError("pools:\n  p: {}\n", 2, 6, "pools.p: a pool needs members (fan-out) or agent and size (clone pool)");
  ExpectError("pools:\n  p:\n", 3, 1, "pools.p: a pool needs members (fan-out) or agent and size (clone pool)");
  ExpectError("pools:\n  p: { size: 3 }\n", 2, 8, "pools.p.size: size is for a clone pool; add agent");
  ExpectError(With("pools:\n  p: { members: [a], agent: b, size: 2 }\n"), 2, 22,
              "pools.p.agent: a pool has either members (fan-out) or agent and size (clone pool), not both");
  ExpectError(With("pools:\n  p: { agent: a }\n"), 2, 8, "pools.p.agent: a clone pool needs size");
  ExpectError(With("pools:\n  p: { members: [a, b], size: 2 }\n"), 2, 25,
              "pools.p.size: size is for a clone pool; a fan-out pool runs each member once");
  ExpectError(With("pools:\n  p: { members: [a, b], strategy: random }\n"), 2, 25,
              "pools.p.strategy: strategy is for a clone pool (agent + size)");
  ExpectError("pools:\n  p: { members: [] }\n", 2, 17, "pools.p.members: expected at least one agent");
}

TEST(ConfigPools, ChecksQuorumAndTolerateAgainstThePoolsSize) {
  ExpectError(With("pools:\n  p: { members: [a, b], merge: quorum }\n"), 2, 32,
              "pools.p.merge: merge: quorum needs quorum: K");
  ExpectError(With("pools:\n  p: { members: [a, b], quorum: 2 }\n"), 2, 25,
              "pools.p.quorum: quorum is only used with merge: quorum");
  ExpectError(With("pools:\n  p: { members: [a, b], merge: quorum, quorum: 3 }\n"), 2, 48,
              "pools.p.quorum: must be between 1 and 2 (the pool's 2 members)");
  ExpectRefused(With("pools:\n  p: { members: [a, b], merge: quorum, quorum: 0 }\n"), "pools.p.quorum: must be between 1 and");
  ExpectError(With("pools:\n  p: { agent: a, size: 4, tolerate: 5 }\n"), 2, 37,
              "pools.p.tolerate: tolerates more failures than the pool's 4 clones; at most 4");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 4, tolerate: \"150%\" }\n"), "pools.p.tolerate: expected a percentage");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 4, tolerate: some }\n"),
                "pools.p.tolerate: expected a number of failed members (2) or a percentage (\"25%\")");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 0 }\n"), "pools.p.size: must be between 1 and 10000");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 2, maxConcurrency: 0 }\n"), "pools.p.maxConcurrency: must be between 1");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 2, merge: any }\n"),
                "pools.p.merge: expected all, first, majority or quorum, got \"any\"");
  ExpectRefused(With("pools:\n  p: { agent: a, size: 2, strategy: least-loaded }\n"),
                "expected round-robin, least-busy or random, got \"least-loaded\"");
}

TEST(ConfigPools, RefusesUnknownAndRepeatedMembers) {
  ExpectError(With("pools:\n  p: { members: [a, fetchr] }\n"), 2, 21,
              "pools.p.members[1]: unknown agent \"fetchr\"; did you mean fetcher?");
  ExpectError(With("pools:\n  p: { agent: fetchr, size: 2 }\n"), 2, 15, "pools.p.agent: unknown agent \"fetchr\"");
  ExpectError(With("pools:\n  p: { members: [a, b, a] }\n"), 2, 24,
              "pools.p.members[2]: \"a\" is listed twice (also pools.p.members[0])");
}

// ---- cost ------------------------------------------------------------------

TEST(ConfigCost, ReadsTheProductExampleBudgetsAndModelsExactly) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const CostConfig& cost = config->cost;
  EXPECT_EQ(cost.enforcement, Enforcement::kHard);
  EXPECT_EQ(cost.timezone, "UTC");
  const BudgetConfig& researcher = cost.budgets.at("researcher");
  EXPECT_EQ(researcher.target, "researcher");
  EXPECT_EQ(researcher.limit_cents, 1000);
  EXPECT_EQ(researcher.period, BudgetPeriod::kDay);
  EXPECT_EQ(researcher.on_exceed, OnExceed::kPause);
  EXPECT_EQ(researcher.alert_at_percent, 80u);
  const BudgetConfig& global = cost.budgets.at("global");
  EXPECT_EQ(global.limit_cents, 20000);
  EXPECT_EQ(global.period, BudgetPeriod::kMonth);
  const ModelPrice& haiku = cost.models.at("claude-3-haiku");
  EXPECT_EQ(haiku.input_per_1k, 25'000);    // $0.00025 = 0.025 cents
  EXPECT_EQ(haiku.output_per_1k, 125'000);  // $0.00125
  EXPECT_FALSE(haiku.cached_input_per_1k);
}

TEST(ConfigCost, DefaultsAndEveryOption) {
  auto config = Parse(With(
      "cost:\n"
      "  enforcement: soft\n"
      "  timezone: Europe/Berlin\n"
      "  budgets:\n"
      "    a: { limit: \"$10.50\" }\n"
      "    b: { limit: \"$3\", period: total, onExceed: throttle, alertAt: \"90%\" }\n"
      "    c: { limit: 5, period: hour, onExceed: warn, alertAt: 0 }\n"
      "    global: { limit: 100, period: week, onExceed: stop }\n"
      "  models:\n"
      "    gpt-4o: { inputCostPer1k: 0.0025, outputCostPer1k: \"$0.01\", cachedInputCostPer1k: \"0.00125\" }\n"
      "    meta-llama/Llama-3.1-8b: { inputCostPer1k: 0, outputCostPer1k: 1 }\n"
      "  endpoints:\n"
      "    api.example.com: { costPerCall: \"$0.001\" }\n"
      "    \"*.search.example\": { costPerCall: 2 }\n"));
  ASSERT_TRUE(config) << config.error().to_string();
  const CostConfig& cost = config->cost;
  EXPECT_EQ(cost.enforcement, Enforcement::kSoft);
  EXPECT_EQ(cost.timezone, "Europe/Berlin");
  EXPECT_EQ(cost.budgets.at("a").limit_cents, 1050);
  EXPECT_EQ(cost.budgets.at("a").period, BudgetPeriod::kDay);
  EXPECT_EQ(cost.budgets.at("a").on_exceed, OnExceed::kPause);
  EXPECT_EQ(cost.budgets.at("a").alert_at_percent, 80u);
  EXPECT_EQ(cost.budgets.at("b").limit_cents, 300);
  EXPECT_EQ(cost.budgets.at("b").period, BudgetPeriod::kTotal);
  EXPECT_EQ(cost.budgets.at("b").on_exceed, OnExceed::kThrottle);
  EXPECT_EQ(cost.budgets.at("b").alert_at_percent, 90u);
  EXPECT_EQ(cost.budgets.at("c").period, BudgetPeriod::kHour);
  EXPECT_EQ(cost.budgets.at("c").on_exceed, OnExceed::kWarn);
  EXPECT_EQ(cost.budgets.at("c").alert_at_percent, 0u);
  EXPECT_EQ(cost.budgets.at("global").period, BudgetPeriod::kWeek);
  EXPECT_EQ(cost.budgets.at("global").on_exceed, OnExceed::kStop);
  const ModelPrice& gpt = cost.models.at("gpt-4o");
  EXPECT_EQ(gpt.input_per_1k, 250'000);
  EXPECT_EQ(gpt.output_per_1k, 1'000'000);
  EXPECT_EQ(gpt.cached_input_per_1k, 125'000);
  EXPECT_EQ(cost.models.at("meta-llama/Llama-3.1-8b").output_per_1k, 100'000'000);  // $1
  EXPECT_EQ(cost.endpoints.at("api.example.com"), 100'000);                         // $0.001 = 0.1 cent
  EXPECT_EQ(cost.endpoints.at("*.search.example"), 2'000'000);                      // 2 cents
}

TEST(ConfigCost, RefusesAmbiguousImpreciseAndNonPositiveLimits) {
  ExpectError(With("cost:\n  budgets:\n    a: { limit: 10.5 }\n"), 3, 17,
              "cost.budgets.a.limit: a number with a point is ambiguous (cents or dollars?): write whole cents "
              "(1050) or dollars with $ (\"$10.50\"), got \"10.5\"");
  ExpectError(With("cost:\n  budgets:\n    a: { limit: \"$10.001\" }\n"), 3, 17,
              "cost.budgets.a.limit: at most 2 digits after the point, got \"$10.001\"");
  ExpectError(With("cost:\n  budgets:\n    a: { limit: 0 }\n"), 3, 17, "cost.budgets.a.limit: must be more than 0");
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: -500 }\n"), "an amount cannot be negative");
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: \"$10/day\" }\n"), "write the period in `period:`");
  ExpectError(With("cost:\n  budgets:\n    a: { period: day }\n"), 3, 8,
              "cost.budgets.a: a budget needs a limit (cents, or \"$10.00\")");
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: 1, alertAt: 101 }\n"),
                "cost.budgets.a.alertAt: expected a percentage from 0 to 100");
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: 1, alertAt: 0.8 }\n"), "expected a percentage from 0 to 100");
}

TEST(ConfigCost, RefusesUnknownEnumValuesWithSuggestions) {
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: 1, period: daily }\n"),
                "cost.budgets.a.period: expected hour, day, week, month or total, got \"daily\"; did you mean day?");
  ExpectRefused(With("cost:\n  budgets:\n    a: { limit: 1, onExceed: kill }\n"),
                "cost.budgets.a.onExceed: expected pause, stop, throttle or warn, got \"kill\"");
  ExpectError("cost:\n  enforcement: strict\n", 2, 16, "cost.enforcement: expected hard, soft or warn, got \"strict\"");
  ExpectError(With("cost:\n  budgets:\n    a: { limt: 1 }\n"), 3, 10, "cost.budgets.a.limt: unknown key; did you mean limit?");
  // `budget:` is a documented form (config_forms.h); a misspelling of it is not.
  ExpectRefused("cost:\n  budgit: \"$10/day\"\n", "cost.budgit: unknown key");
}

TEST(ConfigCost, BudgetsAreForConfiguredAgentsOrGlobal) {
  auto global_only = Parse("cost:\n  budgets:\n    global: { limit: 100 }\n");
  ASSERT_TRUE(global_only) << global_only.error().to_string();
  EXPECT_EQ(global_only->cost.budgets.at("global").target, "global");
  ExpectError(With("cost:\n  budgets:\n    fetchr: { limit: 100 }\n"), 3, 5,
              "cost.budgets.fetchr: unknown agent \"fetchr\" (a budget is for an agent, or global); did you mean fetcher?");
}

TEST(ConfigCost, ModelPricesAreExactDecimalsOfAtMostEightPlaces) {
  ExpectError("cost:\n  models:\n    m: { inputCostPer1k: \"0.00025\" }\n", 3, 8,
              "cost.models.m: a model needs outputCostPer1k (USD per 1K tokens, like \"0.00025\")");
  ExpectRefused("cost:\n  models:\n    m: { outputCostPer1k: 1 }\n", "cost.models.m: a model needs inputCostPer1k");
  ExpectError("cost:\n  models:\n    m: { inputCostPer1k: 0.000000001, outputCostPer1k: 1 }\n", 3, 26,
              "cost.models.m.inputCostPer1k: at most 8 digits after the point, got \"0.000000001\"");
  ExpectRefused("cost:\n  models:\n    m: { inputCostPer1k: -0.1, outputCostPer1k: 1 }\n", "a price cannot be negative");
  ExpectRefused("cost:\n  models:\n    m: { inputCostPer1k: 1e-5, outputCostPer1k: 1 }\n",
                "expected US dollars like \"0.00025\"");
  ExpectRefused("cost:\n  models:\n    m: { inputCostPer1K: 1, outputCostPer1k: 1 }\n", "did you mean inputCostPer1k?");
  ExpectRefused("cost:\n  models:\n    \"bad name\": { inputCostPer1k: 1, outputCostPer1k: 1 }\n",
                "cost.models.bad name: a model name is");
}

TEST(ConfigCost, EndpointsAreHostPatternsWithAPricePerCall) {
  ExpectRefused("cost:\n  endpoints:\n    \"ftp://x\": { costPerCall: 1 }\n", "cost.endpoints.ftp://x:");
  ExpectRefused("cost:\n  endpoints:\n    api.example.com: {}\n", "cost.endpoints.api.example.com: an endpoint needs costPerCall");
  ExpectRefused("cost:\n  endpoints:\n    api.example.com: { costPerCall: 0.5 }\n", "a number with a point is ambiguous");
  ExpectRefused("cost:\n  endpoints:\n    api.example.com: { costPerCall: \"$0.000000001\" }\n",
                "at most 8 digits after the point");
}

TEST(ConfigCost, TimezoneIsUtcOrATzDatabaseName) {
  for (const char* zone : {"UTC", "America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5"}) {
    auto config = Parse(std::string("cost: { timezone: ") + zone + " }\n");
    ASSERT_TRUE(config) << zone << ": " << config.error().to_string();
    EXPECT_EQ(config->cost.timezone, zone);
  }
  ExpectError("cost: { timezone: Mars }\n", 1, 19,
              "cost.timezone: expected UTC or a tz database name like Europe/Berlin, got \"Mars\"");
  ExpectRefused("cost: { timezone: ../etc/passwd }\n", "cost.timezone: expected UTC");
  ExpectRefused("cost: { timezone: \"Europe/ Berlin\" }\n", "cost.timezone: expected UTC");
  // Well-formed but not in the tz database.
  ExpectRefused("cost: { timezone: Europe/Atlantis }\n", "cost.timezone: expected UTC");
}

// ---- money -----------------------------------------------------------------

TEST(Money, CentsAreWholeNumbersAndDollarsCarryADollarSign) {
  EXPECT_EQ(parse_money_cents("1000").value(), 1000);
  EXPECT_EQ(parse_money_cents("0").value(), 0);
  EXPECT_EQ(parse_money_cents("$10.00").value(), 1000);
  EXPECT_EQ(parse_money_cents("$10").value(), 1000);
  EXPECT_EQ(parse_money_cents("$10.5").value(), 1050);
  EXPECT_EQ(parse_money_cents("$0.01").value(), 1);
  EXPECT_EQ(parse_money_cents("$0.99").value(), 99);
  EXPECT_EQ(parse_money_cents("$10000000000000").value(), kMaxCents);
  EXPECT_EQ(parse_money_cents("1000000000000000").value(), kMaxCents);
}

TEST(Money, RefusesEverythingElseWithAMessageSayingWhatToWrite) {
  auto message = [](const char* text) {
    auto result = parse_money_cents(text);
    EXPECT_FALSE(result) << text << " parsed as " << (result ? *result : 0);
    return result ? std::string() : result.error().message();
  };
  EXPECT_EQ(message("10.5"),
            "a number with a point is ambiguous (cents or dollars?): write whole cents (1050) or dollars with $ "
            "(\"$10.50\"), got \"10.5\"");
  EXPECT_EQ(message("$10.001"), "at most 2 digits after the point, got \"$10.001\"");
  EXPECT_EQ(message("-5"), "an amount cannot be negative, got \"-5\"");
  EXPECT_EQ(message("$-5"), "an amount cannot be negative, got \"$-5\"");
  EXPECT_EQ(message("$10000000000000.01"), "the amount is too large, got \"$10000000000000.01\"");
  EXPECT_EQ(message("1000000000000001"), "the amount is too large, got \"1000000000000001\"");
  EXPECT_EQ(message("99999999999999999999999"), "the amount is too large, got \"99999999999999999999999\"");
  EXPECT_EQ(message("$99999999999999999999"), "the amount is too large, got \"$99999999999999999999\"");
  for (const char* bad : {"", "$", "$.5", "$10.", "ten", "1e3", "+5", "10$", "$1,000", "1 000", " 5", "0x10", "$$1",
                          "10.5.1", "USD 10", "€10"}) {
    EXPECT_FALSE(parse_money_cents(bad)) << "\"" << bad << "\"";
  }
}

TEST(Money, PricesPerCallAreMicroCentsWithUpToEightDecimals) {
  EXPECT_EQ(parse_price_microcents("0").value(), 0);
  EXPECT_EQ(parse_price_microcents("2").value(), 2 * kMicroCentsPerCent);
  EXPECT_EQ(parse_price_microcents("$0.0001").value(), 10'000);
  EXPECT_EQ(parse_price_microcents("$0.00000001").value(), 1);
  EXPECT_EQ(parse_price_microcents("$1").value(), 100 * kMicroCentsPerCent);
  EXPECT_FALSE(parse_price_microcents("$0.000000001"));
  EXPECT_FALSE(parse_price_microcents("0.5"));
  EXPECT_FALSE(parse_price_microcents("-1"));
}

TEST(Money, UsdPricesAreExactToTheMicroCent) {
  EXPECT_EQ(parse_usd_microcents("0.00025").value(), 25'000);
  EXPECT_EQ(parse_usd_microcents("$0.00025").value(), 25'000);
  EXPECT_EQ(parse_usd_microcents("0.015").value(), 1'500'000);
  EXPECT_EQ(parse_usd_microcents("0.075").value(), 7'500'000);
  EXPECT_EQ(parse_usd_microcents("0.0000375").value(), 3'750);
  EXPECT_EQ(parse_usd_microcents("3").value(), 300 * kMicroCentsPerCent);
  EXPECT_EQ(parse_usd_microcents("0").value(), 0);
  // Would be 0.1 + 0.2 != 0.3 in binary floating point.
  EXPECT_EQ(parse_usd_microcents("0.1").value() + parse_usd_microcents("0.2").value(),
            parse_usd_microcents("0.3").value());
  for (const char* bad : {"", "$", ".5", "1.", "0.000000001", "-0.1", "1e-5", "0,5", "abc", "99999999999999999999"}) {
    EXPECT_FALSE(parse_usd_microcents(bad)) << "\"" << bad << "\"";
  }
}

// An amount whose whole part fits in 64 bits but whose fraction carries it
// past INT64_MAX once wrapped to a negative limit (-$92233720368547758.08/day).
TEST(Money, AnAmountThatWouldWrapIsTooLargeNeverNegative) {
  for (const char* wraps : {"$92233720368547758.08", "$92233720368547758.07", "$92233720368547758.99"}) {
    auto cents = parse_money_cents(wraps);
    ASSERT_FALSE(cents) << wraps << " parsed as " << *cents;
    EXPECT_NE(cents.error().message().find("too large"), std::string::npos) << cents.error().message();
  }
  for (const char* wraps : {"$92233720368.54775808", "$92233720368.54775899"}) {
    EXPECT_FALSE(parse_price_microcents(wraps)) << wraps;
    EXPECT_FALSE(parse_usd_microcents(wraps)) << wraps;
  }
  ExpectRefused("cost:\n  budgets:\n    global: { limit: \"$92233720368547758.08\", period: day }\n",
                "the amount is too large");
}

// A price is what one call (or 1K tokens) costs, so at most what one cost may
// be: $10,000,000 (base/money.h).
TEST(Money, PricesAreAtMostTheCapOnOneCost) {
  EXPECT_EQ(parse_price_microcents("$10000000").value(), kMaxCostMicrocents);
  EXPECT_EQ(parse_usd_microcents("10000000").value(), kMaxCostMicrocents);
  auto over = parse_price_microcents("$10000000.00000001");
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message().find("a price may be at most $10000000"), std::string::npos)
      << over.error().message();
  EXPECT_FALSE(parse_usd_microcents("10000000.00000001"));
  EXPECT_FALSE(parse_price_microcents("1000000001"));  // cents
  EXPECT_FALSE(parse_price_microcents("1000000000000000"));  // kMaxCents cents: 10^21 micro-cents would wrap
  ExpectRefused("cost:\n  endpoints:\n    api.example.com: { costPerCall: \"$10000001\" }\n",
                "a price may be at most $10000000");
  ExpectRefused("cost:\n  models:\n    m: { inputCostPer1k: \"10000001\", outputCostPer1k: 1 }\n",
                "a price may be at most $10000000");
}

// ---- trust -----------------------------------------------------------------

TEST(ConfigTrust, ReadsTiersRatingsAndCapabilityTiers) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const TrustConfig& trust = config->trust;
  EXPECT_EQ(trust.minimum_tier, TrustTier::kT3);
  EXPECT_EQ(trust.min_credit_rating, CreditRating::kBBB);
  EXPECT_EQ(trust.capability_tiers, (std::map<std::string, TrustTier>{{"network", TrustTier::kT3},
                                                                        {"llm", TrustTier::kT4}}));
  auto empty = Parse("trust: {}\n");
  ASSERT_TRUE(empty) << empty.error().to_string();
  EXPECT_FALSE(empty->trust.minimum_tier);
  EXPECT_FALSE(empty->trust.min_credit_rating);
  auto all = Parse("trust: { minimumTier: T1, minCreditRating: D, capabilityTiers: { filesystem: T5, env: T2, kv: T1 } }\n");
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->trust.minimum_tier, TrustTier::kT1);
  EXPECT_EQ(all->trust.min_credit_rating, CreditRating::kD);
  EXPECT_EQ(all->trust.capability_tiers.at("filesystem"), TrustTier::kT5);
}

TEST(ConfigTrust, RefusesUnknownTiersRatingsAndCapabilities) {
  ExpectError("trust:\n  minimumTier: T6\n", 2, 16, "trust.minimumTier: expected T1, T2, T3, T4 or T5, got \"T6\"");
  auto t6 = Parse("trust:\n  minimumTier: T6\n");
  EXPECT_EQ(t6.error().message().find("did you mean"), std::string::npos) << t6.error().message();
  ExpectRefused("trust:\n  minimumTier: t3\n", "got \"t3\"; did you mean T3?");
  ExpectRefused("trust:\n  minCreditRating: AAAA\n",
                "trust.minCreditRating: expected AAA, AA, A, BBB, BB, B, CCC, CC, C or D, got \"AAAA\"");
  ExpectError("trust:\n  capabilityTiers: { netwrok: T3 }\n", 2, 22,
              "trust.capabilityTiers.netwrok: unknown key; did you mean network?");
  ExpectRefused("trust:\n  capabilityTiers: { llm: high }\n", "trust.capabilityTiers.llm: expected T1, T2, T3, T4 or T5");
  ExpectError("trust:\n  minTrustTier: T3\n", 2, 3, "trust.minTrustTier: unknown key; did you mean minimumTier?");
}

// ---- broker and skills -----------------------------------------------------

TEST(ConfigBroker, ReadsTheProductExampleAndDefaults) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const BrokerConfig& broker = config->broker;
  EXPECT_TRUE(broker.enabled);
  EXPECT_DOUBLE_EQ(broker.confidence_threshold, 0.9);
  EXPECT_TRUE(broker.prefer_skill);
  EXPECT_TRUE(broker.llm_as_last_resort);
  EXPECT_EQ(broker.llm_provider, "anthropic");
  EXPECT_EQ(broker.llm_model, "claude-3-haiku");
  EXPECT_TRUE(broker.cache_enabled);
  EXPECT_EQ(broker.cache_ttl, std::chrono::hours(1));

  auto other = Parse("broker: { enabled: false, confidenceThreshold: 0.85, preferSkill: false, llmAsLastResort: false, "
                     "cache: { enabled: false, ttl: 10m } }\n");
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_FALSE(other->broker.enabled);
  EXPECT_DOUBLE_EQ(other->broker.confidence_threshold, 0.85);
  EXPECT_FALSE(other->broker.prefer_skill);
  EXPECT_FALSE(other->broker.llm_as_last_resort);
  EXPECT_EQ(other->broker.llm_provider, "");
  EXPECT_FALSE(other->broker.cache_enabled);
  EXPECT_EQ(other->broker.cache_ttl, std::chrono::minutes(10));
}

TEST(ConfigBroker, RefusesBadThresholdsAndUnknownProviders) {
  ExpectError("broker:\n  confidenceThreshold: 1.5\n", 2, 24,
              "broker.confidenceThreshold: expected a number from 0 to 1, got \"1.5\"");
  ExpectRefused("broker:\n  confidenceThreshold: 90%\n", "expected a number from 0 to 1");
  ExpectError("broker:\n  llm: { provider: antropic, model: m }\nllm:\n  providers:\n    anthropic: {}\n", 2, 20,
              "broker.llm.provider: unknown provider \"antropic\" (not in llm.providers); did you mean anthropic?");
  ExpectError("broker:\n  llm: { provider: anthropic }\n", 2, 8, "broker.llm: needs model");
  ExpectError("broker:\n  cache: { ttl: 0s }\n", 2, 17, "broker.cache.ttl: must be longer than 0");
  ExpectRefused("broker:\n  routing: { preferSkil: true }\n", "broker.routing.preferSkil: unknown key");
}

TEST(ConfigSkills, ReadsTheProductExampleSkill) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const SkillConfig& skill = config->skills.at("summarize");
  EXPECT_EQ(skill.name, "summarize");
  EXPECT_EQ(skill.description, "Summarize text");
  EXPECT_EQ(skill.handler, "skills/summarize.wasm");
  EXPECT_EQ(skill.patterns, (std::vector<std::string>{"summarize", "summary", "tldr"}));
  EXPECT_EQ(skill.cost_per_call, 0);
  auto priced = Parse("skills:\n  s: { handler: s.wasm, patterns: [x], costPerCall: \"$0.0001\" }\n");
  ASSERT_TRUE(priced) << priced.error().to_string();
  EXPECT_EQ(priced->skills.at("s").cost_per_call, 10'000);
}

TEST(ConfigSkills, RefusesTheListFormMissingFieldsAndPathsOutsideTheProject) {
  ExpectError("skills:\n  - name: summarize\n", 2, 5, "skills[0]: a skill needs a handler (skills/NAME.wasm)");
  ExpectError("skills:\n  s: { patterns: [x] }\n", 2, 6, "skills.s: a skill needs a handler (skills/NAME.wasm)");
  ExpectError("skills:\n  s: { handler: s.wasm }\n", 2, 6, "skills.s: a skill needs patterns");
  ExpectError("skills:\n  s: { handler: ../x.wasm, patterns: [x] }\n", 2, 17,
              "skills.s.handler: must be a .wasm file inside the project (relative, without ..)");
  ExpectRefused("skills:\n  s: { handler: /x.wasm, patterns: [x] }\n", "must be a .wasm file inside the project");
  ExpectRefused("skills:\n  s: { handler: s.py, patterns: [x] }\n", "skills.s.handler: expected a .wasm (or .wat) file");
  ExpectRefused("skills:\n  s: { handler: s.wasm, patterns: [] }\n", "skills.s.patterns: expected at least one pattern");
  ExpectRefused("skills:\n  s: { handler: s.wasm, patterns: [\"\"] }\n", "skills.s.patterns[0]: a pattern cannot be empty");
  ExpectRefused("skills:\n  s: { handler: s.wasm, patterns: [x], costPerCall: 0.5 }\n", "ambiguous");
  ExpectRefused("skills:\n  s: { handler: s.wasm, patterns: [x], cots: 1 }\n", "skills.s.cots: unknown key");
}

// ---- llm providers and secrets ---------------------------------------------

TEST(ConfigSecrets, AnApiKeyIsKeptAsTheNameOfItsEnvironmentVariable) {
  auto config = Parse(CompleteProductExample());
  ASSERT_TRUE(config) << config.error().to_string();
  const LlmProviderConfig& anthropic = config->llm.providers.at("anthropic");
  EXPECT_EQ(anthropic.name, "anthropic");
  EXPECT_EQ(anthropic.api_key, SecretRef{"ANTHROPIC_API_KEY"});
  EXPECT_EQ(anthropic.base_url, "");
  const LlmProviderConfig& openai = config->llm.providers.at("openai");
  EXPECT_EQ(openai.api_key->variable, "OPENAI_API_KEY");
  EXPECT_EQ(openai.base_url, "https://api.openai.com/v1");
  auto local = Parse("llm:\n  providers:\n    local: { baseUrl: \"http://127.0.0.1:11434/v1\" }\n");
  ASSERT_TRUE(local) << local.error().to_string();
  EXPECT_FALSE(local->llm.providers.at("local").api_key);
}

TEST(ConfigSecrets, RefusesALiteralApiKeyWithoutPrintingIt) {
  const std::string key = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";
  const std::string text = "llm:\n  providers:\n    openai: { apiKey: \"" + key + "\" }\n";
  ExpectError(text, 3, 23, "llm.providers.openai.apiKey: looks like an API key written into the config");
  EXPECT_EQ(Parse(text).error().to_string().find(key.substr(3)), std::string::npos) << Parse(text).error().to_string();

  const std::string other = "llm:\n  providers:\n    openai: { apiKey: hunter2-secret }\n";
  ExpectError(other, 3, 23,
              "llm.providers.openai.apiKey: a secret is never written into the config; write a reference to an "
              "environment variable, like \"${OPENAI_API_KEY}\"");
  EXPECT_EQ(Parse(other).error().to_string().find("hunter2"), std::string::npos);
}

TEST(ConfigSecrets, RefusesMalformedReferences) {
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: \"$OPENAI_API_KEY\" }\n",
                "llm.providers.openai.apiKey: write \"${OPENAI_API_KEY}\", with braces");
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: \"${1KEY}\" }\n", "expected ${NAME}");
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: \"${}\" }\n", "expected ${NAME}");
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: \"Bearer ${KEY}\" }\n", "a secret is never written");
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: \"${A}${B}\" }\n", "expected ${NAME}");
  ExpectRefused("llm:\n  providers:\n    openai: { apiKey: [x] }\n", "expected a single value");
  ExpectRefused("llm:\n  providers:\n    my-llm: { apiKey: x }\n", "like \"${MY_LLM_API_KEY}\"");
}

TEST(ConfigSecrets, RefusesReferencesWhereNoSecretGoes) {
  ExpectError("name: \"${PROJECT}\"\n", 1, 7,
              "name: environment references (${NAME}) are only allowed where a secret goes (llm.providers.*.apiKey)");
  ExpectRefused("llm:\n  providers:\n    openai: { baseUrl: \"${OPENAI_BASE_URL}\" }\n",
                "llm.providers.openai.baseUrl: environment references");
  // Free text may mention one.
  auto config = Parse("agents:\n  a:\n    description: \"reads ${HOME}\"\n    tests: [ { input: \"${X}\", expect: x } ]\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->agents.at("a").tests[0].input, "${X}");
}

TEST(ConfigSecrets, RefusesALiteralKeyAnywhereInTheFileWithoutPrintingIt) {
  const std::string key = "sk-abcdefghijklmnopqrstuvwx";
  for (const std::string& text : std::initializer_list<std::string>{
           "agents:\n  a:\n    metadata: { token: " + key + " }\n",
           "agents:\n  a:\n    metadata: { nested: [ { x: " + key + " } ] }\n",
           "agents:\n  a:\n    description: " + key + "\n",
           "agents:\n  a:\n    tests: [ { input: " + key + ", expect: x } ]\n",
           "agents:\n  a:\n    capabilities: { env: [" + key + "] }\n",
           "name: " + key + "\n",
           "agents:\n  a:\n    metadata: { " + key + ": 1 }\n",
           "cost:\n  budgets:\n    " + key + ": { limit: 1 }\n",
           std::string("skills:\n  s: { handler: s.wasm, patterns: [ghp_abcdefghijklmnopqrstuvwxyz0123456789] }\n"),
       }) {
    auto result = Parse(text);
    ASSERT_FALSE(result) << text;
    EXPECT_NE(result.error().message().find("looks like an API key"), std::string::npos) << result.error().to_string();
    EXPECT_EQ(result.error().to_string().find("abcdefghijklmnop"), std::string::npos) << result.error().to_string();
  }
  ExpectError("agents:\n  a:\n    metadata: { token: " + key + " }\n", 3, 24,
              "agents.a.metadata.token: looks like an API key written into the config");
  // Prose that merely starts like one is fine.
  auto prose = Parse("agents:\n  a:\n    description: \"sk-learn models, scored\"\n");
  ASSERT_TRUE(prose) << prose.error().to_string();
}

TEST(ConfigSecrets, ResolvesAtUseTimeAndNeverPutsTheValueInAnError) {
  std::map<std::string, std::string> env = {{"OPENAI_API_KEY", "sk-live-value"}, {"EMPTY", ""}};
  auto lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto value = resolve_secret(SecretRef{"OPENAI_API_KEY"}, lookup, "llm.providers.openai.apiKey");
  ASSERT_TRUE(value) << value.error().to_string();
  EXPECT_EQ(*value, "sk-live-value");
  auto missing = resolve_secret(SecretRef{"ANTHROPIC_API_KEY"}, lookup, "llm.providers.anthropic.apiKey");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "environment variable ANTHROPIC_API_KEY is not set (needed by llm.providers.anthropic.apiKey)");
  EXPECT_FALSE(resolve_secret(SecretRef{"EMPTY"}, lookup, "x"));
}

TEST(ConfigLlm, RefusesBadProvidersAndUrls) {
  ExpectRefused("llm:\n  providers:\n    openai: { baseUrl: \"ftp://x\" }\n", "llm.providers.openai.baseUrl:");
  ExpectRefused("llm:\n  providers:\n    openai: { baseUrl: api.openai.com }\n", "llm.providers.openai.baseUrl:");
  ExpectError("llm:\n  providers:\n    openai: { apikey: x }\n", 3, 15,
              "llm.providers.openai.apikey: unknown key; did you mean apiKey?");
  ExpectError("llm:\n  provider: {}\n", 2, 3, "llm.provider: unknown key; did you mean providers?");
  ExpectError("llm:\n  providers:\n    \"open ai\": {}\n", 3, 5, "llm.providers.open ai: a provider name is 1-64");
}

// ---- dashboard and audit ---------------------------------------------------

TEST(ConfigDashboard, DefaultsToLoopbackPort4200) {
  auto config = Parse("");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->dashboard.port, 4200);
  EXPECT_EQ(config->dashboard.bind, "127.0.0.1");
  EXPECT_EQ(config->audit.retention_days, 0u);
  auto other = Parse("dashboard: { port: 8080, bind: \"::1\" }\naudit: { retentionDays: 90 }\n");
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_EQ(other->dashboard.port, 8080);
  EXPECT_EQ(other->dashboard.bind, "::1");
  EXPECT_EQ(other->audit.retention_days, 90u);
  EXPECT_TRUE(Parse("dashboard: { bind: 0.0.0.0 }\n"));
  EXPECT_TRUE(Parse("dashboard: { bind: localhost }\n"));
}

TEST(ConfigDashboard, RefusesBadPortsAndAddresses) {
  ExpectError("dashboard: { port: 0 }\n", 1, 20, "dashboard.port: must be between 1 and 65535");
  ExpectRefused("dashboard: { port: 70000 }\n", "dashboard.port: must be between 1 and 65535");
  ExpectError("dashboard: { bind: example.com }\n", 1, 20,
              "dashboard.bind: expected an IP address like 127.0.0.1 or ::1, got \"example.com\"");
  ExpectError("dashboard: { host: 0.0.0.0 }\n", 1, 14, "dashboard.host: unknown key");
}

TEST(ConfigAudit, RefusesBadRetention) {
  ExpectError("audit: { retention_dys: 90 }\n", 1, 10, "audit.retention_dys: unknown key; did you mean retentionDays?");
  ExpectError("audit: { retentionDays: -1 }\n", 1, 25, "audit.retentionDays: expected a whole number");
}

// ---- names, enums, errors --------------------------------------------------

TEST(ConfigFile, RefusesMetadataThatRefersToItselfThroughAnAlias) {
  // yaml_bounds.h refuses both before the tree is walked.
  ExpectRefused("agents:\n  a:\n    metadata: &m { x: [ *m ] }\n", "an alias refers to a node that contains it (a cycle)");
  ExpectRefused("agents: &r\n  a: { metadata: *r }\n", "an alias refers to a node that contains it (a cycle)");
  auto shared = Parse("agents:\n  a: &x { template: echo }\n  b: *x\n");
  ASSERT_TRUE(shared) << shared.error().to_string();
  EXPECT_EQ(shared->agents.at("b").template_name, "echo");
}

TEST(ConfigNames, EverySectionChecksItsNames) {
  ExpectError("sagas:\n  \"bad name\": {}\n", 2, 3, "sagas.bad name: a saga name is 1-64 letters");
  ExpectError("workflows:\n  -w: {}\n", 2, 3, "workflows.-w: a workflow name is 1-64 letters");
  ExpectError("pools:\n  p/q: { members: [a] }\n", 2, 3, "pools.p/q: a pool name is 1-64 letters");
  ExpectError("skills:\n  \"s s\": {}\n", 2, 3, "skills.s s: a skill name is 1-64 letters");
  ExpectRefused("sagas:\n  s: {}\n  s: {}\n", "sagas.s: duplicate saga");
}

TEST(ConfigEnums, HaveCanonicalKebabCaseNames) {
  EXPECT_EQ(enum_name(SupervisorStrategy::kRestForOne), "rest-for-one");
  EXPECT_EQ(enum_name(RestartType::kTransient), "transient");
  EXPECT_EQ(enum_name(OnError::kSkip), "skip");
  EXPECT_EQ(enum_name(PoolStrategy::kLeastBusy), "least-busy");
  EXPECT_EQ(enum_name(MergeMode::kQuorum), "quorum");
  EXPECT_EQ(enum_name(Enforcement::kSoft), "soft");
  EXPECT_EQ(enum_name(BudgetPeriod::kTotal), "total");
  EXPECT_EQ(enum_name(OnExceed::kThrottle), "throttle");
  EXPECT_EQ(enum_name(TrustTier::kT1), "T1");
  EXPECT_EQ(enum_name(TrustTier::kT5), "T5");
  EXPECT_EQ(enum_name(CreditRating::kBBB), "BBB");
  EXPECT_EQ(enum_name(CreditRating::kD), "D");
}

TEST(ConfigErrorParts, SplitsFileLineColumnPathAndMessage) {
  auto result = Parse("agents:\n  a:\n    tempalte: echo\n");
  ASSERT_FALSE(result);
  ConfigErrorParts parts = split_config_error(result.error());
  EXPECT_EQ(parts.file, "nexus.config.yaml");
  EXPECT_EQ(parts.line, 3);
  EXPECT_EQ(parts.column, 5);
  EXPECT_EQ(parts.path, "agents.a.tempalte");
  EXPECT_EQ(parts.message, "unknown key; did you mean template?");

  ConfigErrorParts odd = split_config_error(Error(Code::kInvalidArgument, "x: y", "/tmp/a:b/nexus.config.yaml:12:3"));
  EXPECT_EQ(odd.file, "/tmp/a:b/nexus.config.yaml");
  EXPECT_EQ(odd.line, 12);
  EXPECT_EQ(odd.column, 3);

  ConfigErrorParts missing = split_config_error(Error(Code::kNotFound, "cannot read the config file", "/p/nexus.config.yaml"));
  EXPECT_EQ(missing.file, "/p/nexus.config.yaml");
  EXPECT_EQ(missing.line, 0);
  EXPECT_EQ(missing.path, "");
  EXPECT_EQ(missing.message, "cannot read the config file");

  auto yaml = Parse("a: [1,\n");
  ConfigErrorParts malformed = split_config_error(yaml.error());
  EXPECT_EQ(malformed.line, 2);
  EXPECT_EQ(malformed.path, "");
  EXPECT_EQ(malformed.message.rfind("malformed YAML", 0), 0u);
}

TEST(ConfigUnknownKey, IsCaughtInEveryLaterSectionToo) {
  ExpectError("cost: { enforcment: hard }\n", 1, 9, "cost.enforcment: unknown key; did you mean enforcement?");
  ExpectError("broker: { preferSkills: true }\n", 1, 11, "broker.preferSkills: unknown key; did you mean preferSkill?");
  ExpectError("broker: { llm: { modle: x } }\n", 1, 18, "broker.llm.modle: unknown key; did you mean model?");
  ExpectError("broker: { cache: { tll: 1s } }\n", 1, 20, "broker.cache.tll: unknown key; did you mean ttl?");
  ExpectError("dashboard: { prot: 1 }\n", 1, 14, "dashboard.prot: unknown key; did you mean port?");
  ExpectError("pools:\n  p: { member: [a] }\n", 2, 8, "pools.p.member: unknown key; did you mean members?");
  ExpectError("workflows:\n  w:\n    steps: [ { agnet: a } ]\n", 3, 16,
              "workflows.w.steps[0].agnet: unknown key; did you mean agent?");
  ExpectError("skills:\n  s: { handlr: s.wasm }\n", 2, 8, "skills.s.handlr: unknown key; did you mean handler?");
  ExpectError("cost:\n  endpoints:\n    a.com: { costPerCal: 1 }\n", 3, 14,
              "cost.endpoints.a.com.costPerCal: unknown key; did you mean costPerCall?");
  ExpectError("edg: { provider: cloudflare }\n", 1, 1, "edg: unknown key");
}

}  // namespace
}  // namespace naos::project
