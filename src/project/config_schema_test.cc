// docs/nexus.config.schema.json and the validator in project/config.cc
// describe one schema. These tests keep them in sync:
//   - every strict mapping of the schema lists exactly the keys the validator
//     accepts there (schema_key_tables()), and every mapping the validator
//     checks is in the schema;
//   - every enum of the schema lists exactly the spellings the validator
//     accepts (schema_enum_tables(), with the `_` forms);
//   - a config using every key of the schema passes both;
//   - a corpus of valid and invalid configs gets the same verdict from the
//     validator and from the schema (checked with a small JSON Schema
//     evaluator below, enough for the keywords the file uses).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "project/config.h"

namespace naos::project {
namespace {

using json = nlohmann::json;

const json& Schema() {
  static const json schema = [] {
    std::ifstream in(std::string(NAOS_SOURCE_DIR) + "/docs/nexus.config.schema.json");
    EXPECT_TRUE(in) << "cannot read docs/nexus.config.schema.json";
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
  }();
  return schema;
}

// "#/$defs/name" -> the definition.
const json& Resolve(const json& ref) {
  std::string pointer = ref.get<std::string>();
  EXPECT_EQ(pointer.rfind("#/", 0), 0u) << pointer;
  return Schema().at(json::json_pointer(pointer.substr(1)));
}

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// ---- what the schema says, per path ----------------------------------------

struct SchemaTables {
  std::map<std::string, std::set<std::string>> keys;   // strict mappings
  std::map<std::string, std::set<std::string>> enums;  // enum values
  std::set<std::string> lax;                           // mappings with properties but not strict
};

void Collect(const json& node, const std::string& path, SchemaTables& out) {
  if (!node.is_object()) return;
  if (node.contains("$ref")) Collect(Resolve(node["$ref"]), path, out);
  for (const char* keyword : {"anyOf", "oneOf", "allOf"}) {
    if (node.contains(keyword)) {
      for (const auto& branch : node[keyword]) Collect(branch, path, out);
    }
  }
  if (node.contains("enum")) {
    std::set<std::string> values;
    for (const auto& value : node["enum"]) values.insert(value.get<std::string>());
    auto [it, fresh] = out.enums.emplace(path, values);
    EXPECT_TRUE(fresh || it->second == values) << path << ": two different enums";
  }
  if (node.contains("properties")) {
    std::set<std::string> keys;
    for (const auto& [key, child] : node["properties"].items()) {
      keys.insert(key);
      Collect(child, Join(path, key), out);
    }
    if (node.value("additionalProperties", json(true)) == json(false)) {
      auto [it, fresh] = out.keys.emplace(path, keys);
      EXPECT_TRUE(fresh || it->second == keys) << path << ": two different key sets";
    } else {
      out.lax.insert(path);
    }
  }
  if (node.contains("additionalProperties") && node["additionalProperties"].is_object()) {
    Collect(node["additionalProperties"], Join(path, "*"), out);
  }
  if (node.contains("items")) Collect(node["items"], path + "[]", out);
}

const SchemaTables& Tables() {
  static const SchemaTables tables = [] {
    SchemaTables out;
    Collect(Schema(), "", out);
    return out;
  }();
  return tables;
}

std::string Show(const std::set<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return "{" + out + "}";
}

// ---- a small JSON Schema evaluator ------------------------------------------

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  ADD_FAILURE() << "unknown type " << type;
  return false;
}

bool Matches(const std::string& pattern, const std::string& text) {
  return std::regex_search(text, std::regex(pattern, std::regex::ECMAScript));
}

bool Valid(const json& schema, const json& value);

bool ValidKeywords(const json& schema, const json& value) {
  static const std::set<std::string> kKnown = {
      "$schema", "title", "description", "$defs", "$ref", "type", "enum", "pattern", "minimum", "maximum",
      "minLength", "minItems", "uniqueItems", "properties", "additionalProperties", "propertyNames", "required",
      "items", "anyOf", "oneOf", "allOf", "not"};
  for (const auto& [keyword, _] : schema.items()) {
    EXPECT_TRUE(kKnown.count(keyword)) << "the evaluator does not know the keyword " << keyword;
  }
  if (schema.contains("$ref") && !Valid(Resolve(schema["$ref"]), value)) return false;
  if (schema.contains("type")) {
    const json& type = schema["type"];
    bool any = false;
    if (type.is_string()) any = HasType(value, type);
    for (const auto& t : type.is_array() ? type : json::array()) any = any || HasType(value, t);
    if (!any) return false;
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    return false;
  }
  if (value.is_string()) {
    std::string text = value;
    if (schema.contains("pattern") && !Matches(schema["pattern"], text)) return false;
    if (schema.contains("minLength") && text.size() < schema["minLength"].get<size_t>()) return false;
  }
  if (value.is_number()) {
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) return false;
    if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) return false;
  }
  if (value.is_object()) {
    for (const auto& key : schema.value("required", json::array())) {
      if (!value.contains(key.get<std::string>())) return false;
    }
    for (const auto& [key, child] : value.items()) {
      if (schema.contains("propertyNames") && !Valid(schema["propertyNames"], key)) return false;
      if (schema.contains("properties") && schema["properties"].contains(key)) {
        if (!Valid(schema["properties"][key], child)) return false;
      } else if (schema.contains("additionalProperties")) {
        if (!Valid(schema["additionalProperties"], child)) return false;
      }
    }
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) return false;
    if (schema.value("uniqueItems", false)) {
      for (size_t i = 0; i < value.size(); ++i) {
        for (size_t j = i + 1; j < value.size(); ++j) {
          if (value[i] == value[j]) return false;
        }
      }
    }
    if (schema.contains("items")) {
      for (const auto& item : value) {
        if (!Valid(schema["items"], item)) return false;
      }
    }
  }
  if (schema.contains("allOf")) {
    for (const auto& branch : schema["allOf"]) {
      if (!Valid(branch, value)) return false;
    }
  }
  if (schema.contains("anyOf")) {
    bool any = false;
    for (const auto& branch : schema["anyOf"]) any = any || Valid(branch, value);
    if (!any) return false;
  }
  if (schema.contains("oneOf")) {
    int count = 0;
    for (const auto& branch : schema["oneOf"]) count += Valid(branch, value) ? 1 : 0;
    if (count != 1) return false;
  }
  if (schema.contains("not") && Valid(schema["not"], value)) return false;
  return true;
}

bool Valid(const json& schema, const json& value) {
  if (schema.is_boolean()) return schema.get<bool>();
  return ValidKeywords(schema, value);
}

// YAML as an editor's YAML language server sees it: plain scalars typed by
// the YAML 1.2 core schema, quoted ones strings.
json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) out[item.first.Scalar()] = ToJson(item.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "true") return true;
      if (text == "false") return false;
      if (text == "null" || text == "~") return nullptr;
      if (std::regex_match(text, std::regex("[-+]?[0-9]+")) && text.size() < 19) return std::stoll(text);
      if (std::regex_match(text, std::regex("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"))) {
        return std::stod(text);
      }
      return text;
    }
    default: return nullptr;
  }
}

bool SchemaAccepts(const std::string& yaml) { return Valid(Schema(), ToJson(YAML::Load(yaml))); }

// ---- the tests -------------------------------------------------------------

TEST(ConfigSchema, IsJsonSchemaDraft2020_12ForAnObject) {
  EXPECT_EQ(Schema().at("$schema"), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(Schema().at("type"), json({"object", "null"}));  // an empty file is a valid config
  EXPECT_EQ(Schema().at("additionalProperties"), false);
}

TEST(ConfigSchema, EveryMappingWithPropertiesIsStrictAsTheValidatorIs) {
  EXPECT_TRUE(Tables().lax.empty()) << "not additionalProperties: false at " << Show(Tables().lax);
}

TEST(ConfigSchema, ListsExactlyTheKeysTheValidatorAcceptsInEveryMapping) {
  std::map<std::string, std::set<std::string>> validator;
  for (const SchemaKeyTable& table : schema_key_tables()) {
    validator[std::string(table.path)] = std::set<std::string>(table.keys.begin(), table.keys.end());
  }
  for (const auto& [path, keys] : Tables().keys) {
    auto it = validator.find(path);
    if (it == validator.end()) {
      ADD_FAILURE() << "the schema has a strict mapping at \"" << path << "\" that the validator has no table for";
      continue;
    }
    EXPECT_EQ(keys, it->second) << "at \"" << path << "\": schema " << Show(keys) << ", validator " << Show(it->second);
  }
  for (const auto& [path, keys] : validator) {
    EXPECT_TRUE(Tables().keys.count(path)) << "the validator checks \"" << path << "\" " << Show(keys)
                                           << " but the schema has no strict mapping there";
  }
}

TEST(ConfigSchema, ListsExactlyTheEnumSpellingsTheValidatorAccepts) {
  std::map<std::string, std::set<std::string>> validator;
  for (const SchemaEnumTable& table : schema_enum_tables()) {
    auto spellings = accepted_spellings(table);
    validator[std::string(table.path)] = std::set<std::string>(spellings.begin(), spellings.end());
  }
  for (const auto& [path, values] : Tables().enums) {
    auto it = validator.find(path);
    if (it == validator.end()) {
      ADD_FAILURE() << "the schema has an enum at \"" << path << "\" that the validator does not";
      continue;
    }
    EXPECT_EQ(values, it->second) << "at \"" << path << "\": schema " << Show(values) << ", validator " << Show(it->second);
  }
  for (const auto& [path, values] : validator) {
    EXPECT_TRUE(Tables().enums.count(path)) << "the validator has enum \"" << path << "\" " << Show(values)
                                            << " but the schema does not";
  }
}

TEST(ConfigSchema, AcceptedSpellingsAddTheUnderscoreFormOfKebabCaseValues) {
  for (const SchemaEnumTable& table : schema_enum_tables()) {
    if (table.path != "supervisors.*.strategy") continue;
    EXPECT_EQ(accepted_spellings(table), (std::vector<std::string>{"one-for-one", "one_for_one", "one-for-all",
                                                                   "one_for_all", "rest-for-one", "rest_for_one"}));
  }
}

// Every key of the schema, at least once.
const char* const kEveryKey = R"yaml(
name: sink
version: "1.0"
execution: { memoryLimit: 256MB, timeout: 30s, fuel: 0, maxInstances: 100, maxOutput: 1MB, maxLog: 4MB,
             maxStack: 1MB, compileTimeout: 60s, compileMemory: 2GB }
agents:
  a:
    template: echo
    source: agents/a/a.wasm
    description: "an agent"
    metadata: { owner: me }
    schedule: "*/5 * * * *"
    execution: { memoryLimit: 64MB, timeout: 5s, fuel: 1000, maxOutput: 4KB, maxLog: 64KB }
    capabilities:
      network: restricted
      allowedHosts: [api.example.com]
      filesystem: { read: [inputs], write: [outputs] }
      env: [LANG]
      kv: true
      llm: true
    tests: [ { input: ping, expect: pong } ]
  b: {}
  c:
supervisors:
  root: { strategy: one_for_all, maxRestarts: 5, restartWindow: 2m, shutdown: 10s,
          backoff: { min: 1s, max: 1m, jitter: 0.5 },
          children: [ a, { name: inner, restart: permanent, shutdown: 1s } ] }
  inner: { children: [b] }
sagas:
  s: { timeout: 5m, stepTimeout: 1m, parallelCompensation: false, continueOnCompensationError: true,
       compensationRetries: 2,
       steps: [ { name: one, agent: a, compensate: b, retries: 1, timeout: 10s,
                  retry: { maxAttempts: 3, initialInterval: 1s, backoffCoefficient: 2, maxInterval: 10s,
                           nonRetryable: [timeout] } } ] }
workflows:
  w: { onError: skip, retries: 2, retryDelay: 1s,
       retry: { maxAttempts: 2, initialInterval: 0s, backoffCoefficient: 3, maxInterval: 1m, nonRetryable: [] },
       steps: [ { name: one, agent: a, onError: retry, retries: 3, retryDelay: 2s, timeout: 10s, input: /x,
                  condition: "/ok == true",
                  retry: { maxAttempts: 3, initialInterval: 1s, backoffCoefficient: 1.5, maxInterval: 10s,
                           nonRetryable: [exit_status] } } ] }
pools:
  fan: { members: [a, b], merge: quorum, quorum: 2, maxConcurrency: 1, tolerate: 1, retries: 1, timeout: 5s, minTier: T3 }
  clones: { agent: c, size: 3, strategy: least-busy, merge: first, tolerate: "50%" }
cost:
  enforcement: soft
  timezone: Europe/Berlin
  budgets:
    a: { limit: "$10.00", period: week, onExceed: throttle, alertAt: 90 }
    global: { limit: 20000 }
  models:
    m: { inputCostPer1k: "0.001", outputCostPer1k: 0.002, cachedInputCostPer1k: "$0.0005",
         cacheWriteCostPer1k: "0.00125" }
  endpoints:
    api.example.com: { costPerCall: "$0.001" }
trust:
  minimumTier: T2
  minCreditRating: A
  capabilityTiers: { network: T1, filesystem: T2, env: T3, kv: T4, llm: T5 }
broker:
  enabled: true
  confidenceThreshold: 0.8
  preferSkill: true
  llmAsLastResort: false
  llm: { provider: p, model: m }
  cache: { enabled: true, ttl: 1h }
skills:
  k: { description: "a skill", handler: skills/k.wasm, patterns: [k], costPerCall: 1 }
llm:
  providers:
    p: { apiKey: "${P_API_KEY}", baseUrl: "https://llm.example.com/v1" }
dashboard: { port: 4300, bind: 127.0.0.1 }
audit: { retentionDays: 30 }
)yaml";

// Every documented form of a key (project/config_forms.h), at least once.
// Several files, because a documented form and the canonical key it stands
// for may not both be given.
const char* const kEveryDocumentedKey[] = {
    R"yaml(
project: everything
supervisor: { strategy: one_for_all, maxRestarts: 2, restartWindow: 1m }
wasm: { defaultFuel: 100, defaultMemoryPages: 16, enableSIMD: true, enableThreads: false, maxInstances: 10 }
database: { path: data/nexus.db, walMode: true, busyTimeout: 5000, cacheSize: 2000 }
advanced: { walMode: true }
logging: { level: debug, format: text, output: stderr, auditRetention: 30 }
network: { dashboard: { host: 127.0.0.1, port: 4201, cors: false }, timeout: 30000, retries: 3 }
edge: { provider: cloudflare, regions: [us, eu] }
marketplace: {}
execution: { type: wasm }
agents:
  a:
    cost: { budget: "$10/day", action: pause, alertAt: 50 }
    axis: { auid: "axis://agent/a/a1b2c3d4" }
    autoStart: true
    model: claude-3-haiku
    status: idle
    sandbox: { memory_limit: 64MB, cpu_timeout: 5s, network: restricted, filesystem: none, allowed_hosts: [a.com],
               blocked_ports: [25], tls_verify: true, rate_limit: 10/s, burst_limit: 50 }
    capabilities: { fileRead: false, fileWrite: false }
  b:
    cost: { budget: "$5/week", onExceed: stop, alert_at: 70 }
    wasm: { fuel: 1000, memoryPages: 16 }
    execution: { type: wasm, timeoutSeconds: 30 }
supervisors:
  s: { max_restarts: 4, window: 30s, children: [a] }
  t: { window_secs: 45, children: [b] }
cost:
  action: warn
  alert_at: 75
  hard_limit: true
  default_budget: 500
  budgets:
    global: { daily: 1000, action: pause, alert_at: 90 }
trust: { provider: axis, requirements: { minTrustTier: T3, minTScore: 50, minCreditRating: BBB },
         enforcement: { onUntrusted: reject } }
broker: { routing: { preferSkill: true, llmAsLastResort: true, confidenceThreshold: 0.8, llmProvider: anthropic,
                     llmModel: claude-3-haiku }, thresholds: { wasm: 0.8, llm: 0.5 } }
skills:
  - { name: k, description: "a skill", handler: skills/k.wasm, patterns: [k], cost: "$0.0001" }
  - { name: j, handler: skills/j.wasm, patterns: [j], costPerCall: 1 }
)yaml",
    R"yaml(
name: more
agents: { x: { capabilities: { network: true } } }
cost: { budget: "$100/month", alertAt: 60, budgets: { x: { monthly: 100 } } }
broker: { preferences: { preferLocal: true, maxLLMCost: 500, confidenceThreshold: 0.85 }, fallbackModel: claude-3-haiku }
audit: { retention_days: 30, compress_after: 7, export_format: json }
skills:
  k: { handler: skills/k.wasm, patterns: [k], cost: 1 }
)yaml",
    R"yaml(
cost: { alert_threshold: 0.5 }
broker: { thresholds: { skill: 0.9 }, preferLocal: true }
)yaml",
    R"yaml(
cost: { alerts: [ { threshold: 80, action: warn }, { at: 95 } ] }
)yaml",
    R"yaml(
supervisor: { max_restarts: 5, window: 300s }
)yaml",
    R"yaml(
supervisor: { window_secs: 120 }
)yaml",
};

// The key paths ("cost.budgets.*.limit") `doc` uses, read through the schema.
void UsedKeys(const json& schema, const json& doc, const std::string& path, std::set<std::string>& out) {
  if (!schema.is_object()) return;
  if (schema.contains("$ref")) UsedKeys(Resolve(schema["$ref"]), doc, path, out);
  for (const char* keyword : {"anyOf", "oneOf", "allOf"}) {
    if (schema.contains(keyword)) {
      for (const auto& branch : schema[keyword]) UsedKeys(branch, doc, path, out);
    }
  }
  if (doc.is_object()) {
    for (const auto& [key, child] : doc.items()) {
      if (schema.contains("properties") && schema["properties"].contains(key)) {
        out.insert(Join(path, key));
        UsedKeys(schema["properties"][key], child, Join(path, key), out);
      } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
        UsedKeys(schema["additionalProperties"], child, Join(path, "*"), out);
      }
    }
  }
  if (doc.is_array() && schema.contains("items")) {
    for (const auto& item : doc) UsedKeys(schema["items"], item, path + "[]", out);
  }
}

TEST(ConfigSchema, AConfigUsingEveryKeyOfTheSchemaPassesTheValidatorAndTheSchema) {
  std::set<std::string> used;
  UsedKeys(Schema(), ToJson(YAML::Load(kEveryKey)), "", used);
  for (const char* documented : kEveryDocumentedKey) {
    UsedKeys(Schema(), ToJson(YAML::Load(documented)), "", used);
    auto config = parse_config(documented, "nexus.config.yaml");
    EXPECT_TRUE(config) << config.error().to_string() << "\n" << documented;
    EXPECT_TRUE(SchemaAccepts(documented)) << "the schema refuses:\n" << documented;
  }
  for (const auto& [path, keys] : Tables().keys) {
    for (const auto& key : keys) {
      EXPECT_TRUE(used.count(Join(path, key))) << "kEveryKey does not use " << Join(path, key);
    }
  }
  auto config = parse_config(kEveryKey, "nexus.config.yaml");
  EXPECT_TRUE(config) << config.error().to_string();
  EXPECT_TRUE(SchemaAccepts(kEveryKey));
}

// Configs the validator and the schema must both accept.
const char* const kBothAccept[] = {
    "",
    "name: x\n",
    "agents:\n",
    "supervisors:\n  s: { strategy: rest_for_one }\n",
    "supervisors:\n  s:\n",
    "pools:\n  p: { agent: a, size: 2, strategy: round_robin, tolerate: \"100%\" }\nagents: { a: }\n",
    "cost:\n  budgets:\n    global: { limit: \"$10\", alertAt: \"80%\" }\n",
    "cost:\n  budgets:\n    global: { limit: \"1000\" }\n",
    "cost:\n  models:\n    claude-3.5-sonnet: { inputCostPer1k: 0.003, outputCostPer1k: \"0.015\" }\n",
    "cost: { timezone: UTC }\n",
    "skills:\n  s: { handler: s.wat, patterns: [x], costPerCall: \"$0.00000001\" }\n",
    "execution: { memoryLimit: 65536, timeout: 100ms, fuel: \"5\" }\n",
    "broker: { confidenceThreshold: 1, cache: {} }\n",
    "broker: { confidenceThreshold: \"0.85\" }\n",
    "workflows:\n  w: { steps: [ { agent: a, input: \"\", condition: \"!/done\" } ] }\nagents: { a: }\n",
    "llm:\n  providers:\n    local:\n",
    "dashboard: { port: \"8080\" }\n",
    // The Nexus docs' forms (project/config_forms.h).
    "execution: { timeout: 30 }\n",
    "supervisors:\n  s: { restartWindow: 60 }\n",
    "sagas:\n  o: { timeout: 300 }\n",
    "broker: { cache: { ttl: 3600 } }\n",
    "audit: { retention_days: 90 }\n",
    "skills:\n  - { name: summarize, handler: ./skills/summarize.wasm, patterns: [summarize, summary, tldr] }\n",
    "edge: { provider: cloudflare, regions: [us, eu, asia] }\n",
    "trust: { provider: axis, requirements: { minTrustTier: T3, minTScore: 70 } }\n",
    "agents:\n  a: { cost: { budget: \"$10/day\" } }\n",
};

// Configs both must refuse: everything a schema can express.
const char* const kBothRefuse[] = {
    "nmae: x\n",
    "execution: { memoryLimt: 1MB }\n",
    "execution: { memoryLimit: 256 MB }\n",
    "execution: { memoryLimit: 1.5GB }\n",
    "execution: { timeout: 1.5s }\n",
    "execution: { fuel: -1 }\n",
    "agents:\n  a: { execution: { maxStack: 1MB } }\n",
    "agents:\n  -a: {}\n",
    "agents:\n  a: { capabilities: { network: all } }\n",
    "agents:\n  a: { capabilities: { kv: yes } }\n",
    "agents:\n  a: { capabilities: { filesystem: { read: [../x] } } }\n",
    "agents:\n  a: { tests: [ { input: x, expcet: y } ] }\n",
    "supervisors:\n  s: { strategy: one-for-on }\n",
    "supervisors:\n  s: { maxRestart: 3 }\n",
    "supervisors:\n  s: { backoff: { jitter: 1.5 } }\n",
    "supervisors:\n  s: { children: [ { restart: permanent } ] }\n",
    "supervisors:\n  s: { children: [ { name: a, restart: always } ] }\n",
    "sagas:\n  o: { steps: [ { name: x } ] }\n",
    "sagas:\n  o: { steps: [ { agent: a, compensation: b } ] }\n",
    "workflows:\n  w: { onError: abort }\n",
    "workflows:\n  w: { steps: [ { agent: a, input: data } ] }\n",
    "workflows:\n  w: { steps: [ { agent: a, condition: ready } ] }\n",
    "pools:\n  p: {}\n",
    "pools:\n  p: { size: 3 }\n",
    "pools:\n  p: { agent: a }\n",
    "pools:\n  p: { members: [a], agent: b, size: 2 }\n",
    "pools:\n  p: { members: [a, b], strategy: random }\n",
    "pools:\n  p: { members: [] }\n",
    "pools:\n  p: { members: [a, a] }\n",
    "pools:\n  p: { agent: a, size: 2, merge: any }\n",
    "pools:\n  p: { agent: a, size: 2, tolerate: \"150%\" }\n",
    "cost: { enforcement: strict }\n",
    "cost: { timezone: Mars }\n",
    "cost:\n  budgets:\n    global: { limit: 10.5 }\n",
    "cost:\n  budgets:\n    global: { limit: \"$10.001\" }\n",
    "cost:\n  budgets:\n    global: { limit: -5 }\n",
    "cost:\n  budgets:\n    global: { limit: \"$10/day\" }\n",
    "cost:\n  budgets:\n    global: { period: day }\n",
    "cost:\n  budgets:\n    global: { limit: 1, period: daily }\n",
    "cost:\n  budgets:\n    global: { limit: 1, alertAt: 101 }\n",
    "cost:\n  models:\n    m: { inputCostPer1k: \"0.00025\" }\n",
    "cost:\n  models:\n    m: { inputCostPer1k: \"0.000000001\", outputCostPer1k: 1 }\n",
    "cost:\n  models:\n    m: { inputCostPer1k: -0.1, outputCostPer1k: 1 }\n",
    "cost:\n  endpoints:\n    a.com: {}\n",
    "cost:\n  endpoints:\n    a.com: { costPerCall: 0.5 }\n",
    "trust: { minimumTier: T6 }\n",
    "trust: { minCreditRating: AAAA }\n",
    "trust: { capabilityTiers: { netwrok: T3 } }\n",
    "broker: { confidenceThreshold: 1.5 }\n",
    "broker: { llm: { provider: p } }\n",
    "skills:\n  - name: summarize\n",
    "skills:\n  s: { patterns: [x] }\n",
    "skills:\n  s: { handler: s.py, patterns: [x] }\n",
    "skills:\n  s: { handler: ../s.wasm, patterns: [x] }\n",
    "skills:\n  s: { handler: s.wasm, patterns: [] }\n",
    "llm:\n  providers:\n    openai: { apiKey: hunter2 }\n",
    "llm:\n  providers:\n    openai: { apiKey: \"$OPENAI_API_KEY\" }\n",
    "llm:\n  providers:\n    openai: { baseUrl: api.openai.com }\n",
    "dashboard: { port: 70000 }\n",
    "dashboard: { prot: 1 }\n",
    "audit: { retentionDays: -1 }\n",
    "trust: { provider: okta }\n",
    "trust: { enforcement: { onUntrusted: warn } }\n",
    "wasm: { defaultFule: 1 }\n",
    "agents:\n  a: { sandbox: { filesystem: readwrite } }\n",
    "skills:\n  - { handler: s.wasm, patterns: [x] }\n",
    "agents:\n  a: { cost: { budget: \"$10/fortnight\" } }\n",
};

TEST(ConfigSchema, AgreesWithTheValidatorOnValidConfigs) {
  for (const char* text : kBothAccept) {
    auto config = parse_config(text, "nexus.config.yaml");
    EXPECT_TRUE(config) << text << "\n" << config.error().to_string();
    EXPECT_TRUE(SchemaAccepts(text)) << "the schema refuses:\n" << text;
  }
}

TEST(ConfigSchema, AgreesWithTheValidatorOnInvalidConfigs) {
  for (const char* text : kBothRefuse) {
    EXPECT_FALSE(parse_config(text, "nexus.config.yaml")) << "the validator accepts:\n" << text;
    EXPECT_FALSE(SchemaAccepts(text)) << "the schema accepts:\n" << text;
  }
}

}  // namespace
}  // namespace naos::project
