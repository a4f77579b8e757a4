// project/config.h: nexus.config.yaml parsed and validated strictly. Every
// error is kInvalidArgument, its context() is "file:line:col" and its message
// starts with the key path.
#include "project/config.h"

#include <gtest/gtest.h>

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

// ---- the whole file --------------------------------------------------------

TEST(ConfigFile, ParsesTheProductExampleWithEveryTopLevelSection) {
  auto config = Parse(kProductExample);
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->name, "demo");
  EXPECT_EQ(config->execution.memory_bytes, 256 * kMiB);
  EXPECT_EQ(config->execution.timeout, std::chrono::seconds(30));
  EXPECT_EQ(config->execution.fuel, 0u);
  EXPECT_EQ(config->execution.max_instances, 100u);
  EXPECT_FALSE(config->execution.max_output_bytes);
  EXPECT_FALSE(config->execution.max_stack_bytes);
  ASSERT_EQ(config->agents.size(), 1u);
  ASSERT_TRUE(config->agents.count("researcher"));
}

TEST(ConfigFile, ReadsAnAgentsTemplateExecutionCapabilitiesAndTestsIntoItsStruct) {
  auto config = Parse(kProductExample);
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
                      "maxOutput: 2MB, maxStack: 1MB }\n");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->execution.memory_bytes, 1024 * kMiB);
  EXPECT_EQ(config->execution.timeout, std::chrono::minutes(5));
  EXPECT_EQ(config->execution.fuel, 1'000'000u);
  EXPECT_EQ(config->execution.max_instances, 8u);
  EXPECT_EQ(config->execution.max_output_bytes, 2 * kMiB);
  EXPECT_EQ(config->execution.max_stack_bytes, kMiB);
}

TEST(ConfigExecution, RefusesMalformedSizesAtTheValue) {
  ExpectError("execution:\n  memoryLimit: 256 MB\n", 2, 16, "execution.memoryLimit: expected a size like 256MB");
  ExpectError("execution:\n  memoryLimit: 1.5GB\n", 2, 16, "execution.memoryLimit:");
  ExpectError("execution:\n  maxOutput: lots\n", 2, 14, "execution.maxOutput:");
}

TEST(ConfigExecution, RefusesMalformedDurations) {
  ExpectError("execution:\n  timeout: 30\n", 2, 12, "execution.timeout: expected a duration like");
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

TEST(ConfigCapabilities, AcceptsNestedProjectRelativeFolders) {
  auto config = Parse(WithCapabilities("{ filesystem: { read: [inputs, data/raw, ./docs], write: [out/run] } }"));
  ASSERT_TRUE(config) << config.error().to_string();
  const CapabilitiesConfig& caps = config->agents.at("a").capabilities;
  EXPECT_EQ(caps.read, (std::vector<std::string>{"inputs", "data/raw", "./docs"}));
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
  auto config = Parse(kProductExample);
  ASSERT_TRUE(config) << config.error().to_string();
  sandbox::Limits limits = effective_limits(*config, &config->agents.at("researcher"));
  EXPECT_EQ(limits.memory_bytes, 512 * kMiB);
  EXPECT_EQ(limits.timeout, std::chrono::seconds(30));
  EXPECT_EQ(limits.fuel, 0u);
}

}  // namespace
}  // namespace naos::project
