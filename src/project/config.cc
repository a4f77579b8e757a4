#include "base/file.h"
#include "base/words.h"
#include "project/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "base/money.h"
#include "base/printable.h"
#include "base/units.h"
#include "governance/cost_ledger.h"
#include "project/config_forms.h"
#include "project/config_values.h"
#include "project/grant_paths.h"
#include "project/schedule.h"
#include "project/yaml_bounds.h"
#include "capabilities/http.h"

namespace naos::project {
namespace {

using Keys = std::span<const std::string_view>;

// ---- the key tables (docs/config.md; docs/nexus.config.schema.json) --------

constexpr std::string_view kTopLevelKeys[] = {"name",   "version", "execution", "agents", "supervisors", "sagas",
                                "workflows", "pools", "cost",      "trust",  "broker",      "skills",
                                "llm",    "dashboard", "audit"};
constexpr std::string_view kExecutionKeys[] = {"memoryLimit", "timeout",  "fuel",           "maxInstances", "maxOutput",
                                               "maxLog",      "maxStack", "compileTimeout", "compileMemory"};
// Engine-wide keys: top level only.
constexpr std::string_view kEngineWideKeys[] = {"maxInstances", "maxStack", "compileTimeout", "compileMemory"};
constexpr std::string_view kAgentExecutionKeys[] = {"memoryLimit", "timeout", "fuel", "maxOutput", "maxLog"};
constexpr std::string_view kAgentKeys[] = {"template",     "source", "description", "execution",
                                           "capabilities", "tests",  "metadata",    "schedule"};
constexpr std::string_view kCapabilityKeys[] = {"network", "allowedHosts", "filesystem", "env", "kv", "llm"};
constexpr std::string_view kFilesystemKeys[] = {"read", "write"};
constexpr std::string_view kTestKeys[] = {"input", "expect"};
constexpr std::string_view kSupervisorKeys[] = {"strategy", "maxRestarts", "restartWindow", "children", "backoff", "shutdown"};
constexpr std::string_view kSupervisorChildKeys[] = {"name", "restart", "shutdown"};
constexpr std::string_view kBackoffKeys[] = {"min", "max", "jitter"};
constexpr std::string_view kSagaKeys[] = {"timeout", "stepTimeout", "steps", "parallelCompensation",
                                          "continueOnCompensationError", "compensationRetries"};
constexpr std::string_view kSagaStepKeys[] = {"name", "agent", "compensate", "retries", "timeout", "retry"};
constexpr std::string_view kWorkflowKeys[] = {"onError", "retries", "retryDelay", "retry", "steps"};
constexpr std::string_view kWorkflowStepKeys[] = {"name",    "agent",      "onError", "retries",   "retryDelay",
                                                  "timeout", "input",   "condition", "retry"};
constexpr std::string_view kRetryKeys[] = {"maxAttempts", "initialInterval", "backoffCoefficient", "maxInterval",
                                           "nonRetryable"};
constexpr std::string_view kPoolKeys[] = {"members",        "agent",    "size",    "strategy", "merge", "quorum",
                                          "maxConcurrency", "tolerate", "retries", "timeout",  "minTier"};
constexpr std::string_view kCostKeys[] = {"enforcement", "timezone", "budgets", "models", "endpoints"};
constexpr std::string_view kBudgetKeys[] = {"limit", "period", "onExceed", "alertAt"};
constexpr std::string_view kModelKeys[] = {"inputCostPer1k", "outputCostPer1k", "cachedInputCostPer1k",
                                           "cacheWriteCostPer1k"};
constexpr std::string_view kEndpointKeys[] = {"costPerCall"};
constexpr std::string_view kTrustKeys[] = {"minimumTier", "minCreditRating", "capabilityTiers"};
// The capabilities a tier can be required for: the grants of kCapabilityKeys.
constexpr std::string_view kCapabilityNames[] = {"network", "filesystem", "env", "kv", "llm"};
constexpr std::string_view kBrokerKeys[] = {"enabled", "confidenceThreshold", "preferSkill", "llmAsLastResort", "llm", "cache"};
constexpr std::string_view kBrokerLlmKeys[] = {"provider", "model"};
constexpr std::string_view kBrokerCacheKeys[] = {"enabled", "ttl"};
constexpr std::string_view kSkillKeys[] = {"description", "handler", "patterns", "costPerCall"};
constexpr std::string_view kLlmKeys[] = {"providers"};
constexpr std::string_view kProviderKeys[] = {"apiKey", "baseUrl"};
constexpr std::string_view kDashboardKeys[] = {"port", "bind"};
constexpr std::string_view kAuditKeys[] = {"retentionDays"};

constexpr SchemaKeyTable kKeyTables[] = {
    {"", kTopLevelKeys},
    {"execution", kExecutionKeys},
    {"agents.*", kAgentKeys},
    {"agents.*.execution", kAgentExecutionKeys},
    {"agents.*.capabilities", kCapabilityKeys},
    {"agents.*.capabilities.filesystem", kFilesystemKeys},
    {"agents.*.tests[]", kTestKeys},
    {"supervisors.*", kSupervisorKeys},
    {"supervisors.*.children[]", kSupervisorChildKeys},
    {"supervisors.*.backoff", kBackoffKeys},
    {"sagas.*", kSagaKeys},
    {"sagas.*.steps[]", kSagaStepKeys},
    {"sagas.*.steps[].retry", kRetryKeys},
    {"workflows.*.retry", kRetryKeys},
    {"workflows.*.steps[].retry", kRetryKeys},
    {"workflows.*", kWorkflowKeys},
    {"workflows.*.steps[]", kWorkflowStepKeys},
    {"pools.*", kPoolKeys},
    {"cost", kCostKeys},
    {"cost.budgets.*", kBudgetKeys},
    {"cost.models.*", kModelKeys},
    {"cost.endpoints.*", kEndpointKeys},
    {"trust", kTrustKeys},
    {"trust.capabilityTiers", kCapabilityNames},
    {"broker", kBrokerKeys},
    {"broker.llm", kBrokerLlmKeys},
    {"broker.cache", kBrokerCacheKeys},
    {"skills.*", kSkillKeys},
    {"llm", kLlmKeys},
    {"llm.providers.*", kProviderKeys},
    {"dashboard", kDashboardKeys},
    {"audit", kAuditKeys},
};

// ---- the enums: canonical spellings, in the order of the C++ enum ----------

constexpr std::string_view kNetworkNames[] = {"none", "restricted", "open"};
constexpr std::string_view kStrategyNames[] = {"one-for-one", "one-for-all", "rest-for-one"};
constexpr std::string_view kRestartNames[] = {"permanent", "transient", "temporary"};
constexpr std::string_view kOnErrorNames[] = {"stop", "skip", "retry"};
constexpr std::string_view kPoolStrategyNames[] = {"round-robin", "least-busy", "random"};
constexpr std::string_view kMergeNames[] = {"all", "first", "majority", "quorum"};
constexpr std::string_view kEnforcementNames[] = {"hard", "soft", "warn"};
constexpr std::string_view kPeriodNames[] = {"hour", "day", "week", "month", "total"};
constexpr std::string_view kOnExceedNames[] = {"pause", "stop", "throttle", "warn"};
constexpr std::string_view kTierNames[] = {"T1", "T2", "T3", "T4", "T5"};
constexpr std::string_view kRatingNames[] = {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"};

constexpr SchemaEnumTable kEnumTables[] = {
    {"agents.*.capabilities.network", kNetworkNames},
    {"supervisors.*.strategy", kStrategyNames},
    {"supervisors.*.children[].restart", kRestartNames},
    {"workflows.*.onError", kOnErrorNames},
    {"workflows.*.steps[].onError", kOnErrorNames},
    {"pools.*.strategy", kPoolStrategyNames},
    {"pools.*.merge", kMergeNames},
    {"pools.*.minTier", kTierNames},
    {"cost.enforcement", kEnforcementNames},
    {"cost.budgets.*.period", kPeriodNames},
    {"cost.budgets.*.onExceed", kOnExceedNames},
    {"trust.minimumTier", kTierNames},
    {"trust.minCreditRating", kRatingNames},
    {"trust.capabilityTiers.network", kTierNames},
    {"trust.capabilityTiers.filesystem", kTierNames},
    {"trust.capabilityTiers.env", kTierNames},
    {"trust.capabilityTiers.kv", kTierNames},
    {"trust.capabilityTiers.llm", kTierNames},
};

bool contains(Keys keys, std::string_view key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); }

std::string underscored(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

// "a, b or c"
std::string one_of(Keys names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// The closest of `candidates` to `word`, if it is close enough to be a typo
// (base/words.h decides, for config keys and command words alike).
template <typename Range>
std::optional<std::string> closest(std::string_view word, const Range& candidates) {
  std::vector<std::string> words;
  for (const auto& candidate : candidates) words.emplace_back(candidate);
  return closest_word(word, words);
}

std::string did_you_mean(std::optional<std::string> suggestion) {
  return suggestion ? "; did you mean " + *suggestion + "?" : "";
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// Model names as providers spell them: "claude-3-haiku", "gpt-4o",
// "claude-3.5-sonnet", "meta-llama/Llama-3-8b", "model@2024-01-01".
bool valid_model_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '@';
  });
}

bool valid_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// Values shaped like the API keys of well-known services. Whole values only,
// without whitespace, so prose that mentions "sk-learn" is not caught.
bool looks_like_api_key(std::string_view value) {
  static constexpr std::string_view kPrefixes[] = {"sk-",  "sk_live_", "sk_test_", "rk_live_", "ghp_",   "gho_",
                                                   "ghu_", "ghs_",     "github_pat_", "xoxb-", "xoxp-", "glpat-",
                                                   "AKIA", "AIza",     "hf_"};
  if (value.size() < 20) return false;
  bool token = std::all_of(value.begin(), value.end(),
                           [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  if (!token) return false;
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [value](std::string_view prefix) { return value.starts_with(prefix); });
}

constexpr const char* kLiteralKeyMessage =
    "looks like an API key written into the config; put it in an environment variable and reference it as "
    "\"${NAME}\" in llm.providers.*.apiKey";

// "/a/b~1c": RFC 6901.
bool valid_json_pointer(std::string_view pointer) {
  if (pointer.empty()) return true;
  if (pointer[0] != '/') return false;
  for (size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] == '~' && (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
      return false;
    }
  }
  return true;
}

// "0", "1", "0.25", "1.0": a fraction between 0 and 1, at most 6 decimals.
std::optional<double> parse_ratio(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.size() != 1 || (whole[0] != '0' && whole[0] != '1')) return std::nullopt;
  if (dot != std::string_view::npos && (fraction.empty() || fraction.size() > 6)) return std::nullopt;
  if (!std::all_of(fraction.begin(), fraction.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  int64_t micro = (whole[0] - '0') * 1'000'000;
  int64_t scale = 100'000;
  for (char c : fraction) micro += (c - '0') * scale, scale /= 10;
  if (micro > 1'000'000) return std::nullopt;
  return static_cast<double>(micro) / 1e6;
}

// Digits only, into `out`; false on anything else or overflow.
bool parse_digits(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && text[0] != '-' && text[0] != '+';
}

// "12.345" with at most `max_decimals` digits after the point, scaled to
// units of 10^-max_decimals. Fails on overflow or anything but digits.
enum class DecimalError { kNone, kMalformed, kTooPrecise, kTooLarge };
DecimalError parse_decimal(std::string_view text, int max_decimals, int64_t& out) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (whole.empty() || !digits(whole) || !digits(fraction)) return DecimalError::kMalformed;
  if (dot != std::string_view::npos && fraction.empty()) return DecimalError::kMalformed;
  if (static_cast<int>(fraction.size()) > max_decimals) return DecimalError::kTooPrecise;
  int64_t scale = 1;
  for (int i = 0; i < max_decimals; ++i) scale *= 10;
  int64_t units = 0;
  if (!parse_digits(whole, units) || units > INT64_MAX / scale) return DecimalError::kTooLarge;
  units *= scale;
  int64_t place = scale / 10;
  // Checked: "$92233720368547758.08" has a whole part that fits and a
  // fraction that would carry it past INT64_MAX (once read as a negative limit).
  for (char c : fraction) {
    if (__builtin_add_overflow(units, (c - '0') * place, &units)) return DecimalError::kTooLarge;
    place /= 10;
  }
  out = units;
  return DecimalError::kNone;
}

// Whether a duration may be 0 (a delay) or not (a timeout, a window).
enum class Zero : bool { kRefused, kAllowed };

// What a section refers to by name, checked once every section is read.
struct Reference {
  // kStep: a saga or workflow step's target (an agent, workflow, saga or pool).
  enum class Kind { kAgent, kChild, kBudget, kProvider, kStep };
  Kind kind;
  std::string name;
  std::string path;
  YAML::Mark mark;
  std::string owner;  // kChild: the supervisor
};

// Reads YAML nodes into Config, turning every problem into one Error that
// points at the node.
class Reader {
 public:
  explicit Reader(std::string label) : label_(std::move(label)) {}

  // Where granted folders are resolved on disk (load_config); none when
  // parsing text alone.
  struct FolderCheck {
    std::filesystem::path root;
    MissingFolders missing = MissingFolders::kAllowed;
  };
  void check_folders_on_disk(FolderCheck check) { folder_check_ = std::move(check); }

  Error error_at(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
    std::string where = label_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return Error(Code::kInvalidArgument, path.empty() ? message : path + ": " + message, where);
  }

  Error error(const YAML::Node& node, const std::string& path, const std::string& message) const {
    return error_at(node.Mark(), path, message);
  }

  Status expect_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) return error(node, path, "expected a mapping of keys to values");
    return ok();
  }

  // Every key must be one of `allowed`; a near miss gets a suggestion. A key
  // in `misplaced` is valid elsewhere and gets `misplaced_message` instead.
  Status check_keys(const YAML::Node& map, const std::string& path, Keys allowed, Keys misplaced = {},
                    const std::string& misplaced_message = {}) const {
    NAOS_TRY(expect_map(map, path));
    std::set<std::string> seen;
    for (const auto& item : map) {
      std::string key = item.first.Scalar();
      if (looks_like_api_key(key)) return error(item.first, path, std::string("a key ") + kLiteralKeyMessage);
      // yaml-cpp keeps the last of two equal keys; YAML forbids them, and a
      // silently dropped agent or grant is worse than an error.
      if (!seen.insert(key).second) return error(item.first, join(path, key), "duplicate key");
      if (contains(allowed, key)) continue;
      if (contains(misplaced, key)) return error(item.first, join(path, key), misplaced_message);
      return error(item.first, join(path, key), "unknown key" + did_you_mean(closest(key, allowed)));
    }
    return ok();
  }

  // A value. `${...}` is refused here: only secret() takes a reference.
  Result<std::string> scalar(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, text(node, path));
    if (value.find("${") != std::string::npos) {
      return error(node, path,
                   "environment references (${NAME}) are only allowed where a secret goes "
                   "(llm.providers.*.apiKey)");
    }
    return value;
  }

  // Free-form text (descriptions, test inputs): anything but a literal key.
  Result<std::string> text(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) return error(node, path, "expected a single value");
    if (looks_like_api_key(node.Scalar())) return error(node, path, kLiteralKeyMessage);
    return node.Scalar();
  }

  // Free-form mappings (metadata): walked only for literal keys. An alias
  // can make the graph cyclic (`&m { x: *m }`), hence the depth limit.
  Status free_form(const YAML::Node& node, const std::string& path, int depth = 0) const {
    if (depth > 32) return error(node, path, "nested too deeply (or refers to itself through an alias)");
    if (node.IsScalar()) {
      auto value = text(node, path);
      if (!value) return value.error();
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) NAOS_TRY(free_form(node[i], index(path, i), depth + 1));
    } else if (node.IsMap()) {
      for (const auto& item : node) {
        if (looks_like_api_key(item.first.Scalar())) return error(item.first, path, std::string("a key ") + kLiteralKeyMessage);
        NAOS_TRY(free_form(item.second, join(path, item.first.Scalar()), depth + 1));
      }
    }
    return ok();
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    if (value == "true") return true;
    if (value == "false") return false;
    return error(node, path, "expected true or false, got \"" + value + "\"");
  }

  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) return error(node, path, "expected a list");
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      NAOS_ASSIGN_OR_RETURN(std::string item, scalar(node[i], index(path, i)));
      out.push_back(std::move(item));
    }
    return out;
  }

  template <typename T, typename Parse>
  Result<T> parsed(const YAML::Node& node, const std::string& path, Parse parse) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    auto result = parse(value);
    if (!result) return error(node, path, result.error().message());
    return *result;
  }

  // One of `names` (or its `_` spelling); the index in `names`.
  Result<size_t> choice(const YAML::Node& node, const std::string& path, Keys names) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    for (size_t i = 0; i < names.size(); ++i) {
      if (value == names[i] || value == underscored(names[i])) return i;
    }
    return error(node, path,
                 "expected " + one_of(names) + ", got \"" + value + "\"" + did_you_mean(closest(value, names)));
  }

  template <typename E>
  Result<E> enumerated(const YAML::Node& node, const std::string& path, Keys names) const {
    NAOS_ASSIGN_OR_RETURN(size_t i, choice(node, path, names));
    return static_cast<E>(i);
  }

  // A bare whole number is seconds, as the Nexus docs write `timeout: 300`
  // and `retryDelay: 5` (docs/config.md "Values").
  Result<milliseconds> duration(const YAML::Node& node, const std::string& path, Zero zero) const {
    auto seconds_or_duration = [](const std::string& text) {
      bool bare = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
      return parse_duration(bare ? text + "s" : text);
    };
    NAOS_ASSIGN_OR_RETURN(milliseconds value, parsed<milliseconds>(node, path, seconds_or_duration));
    if (zero == Zero::kRefused && value.count() == 0) return error(node, path, "must be longer than 0");
    return value;
  }

  Result<uint32_t> count(const YAML::Node& node, const std::string& path, uint64_t min, uint64_t max) const {
    NAOS_ASSIGN_OR_RETURN(uint64_t value, parsed<uint64_t>(node, path, parse_count));
    if (value < min || value > max) {
      return error(node, path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return static_cast<uint32_t>(value);
  }

  // `80` or `"80%"`, 0..100.
  Result<uint32_t> percent(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    std::string digits = value.ends_with('%') ? value.substr(0, value.size() - 1) : value;
    int64_t n = 0;
    if (!parse_digits(digits, n) || n > 100) {
      return error(node, path, "expected a percentage from 0 to 100 (80 or \"80%\"), got \"" + value + "\"");
    }
    return static_cast<uint32_t>(n);
  }

  Result<double> ratio(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    auto parsed_ratio = parse_ratio(value);
    if (!parsed_ratio) return error(node, path, "expected a number from 0 to 1, got \"" + value + "\"");
    return *parsed_ratio;
  }

  // `${NAME}`: the name of an environment variable, never its value.
  Result<SecretRef> secret(const YAML::Node& node, const std::string& path, const std::string& example) const {
    if (!node.IsScalar()) return error(node, path, "expected a single value");
    const std::string& value = node.Scalar();
    std::string hint = "; write a reference to an environment variable, like \"${" + example + "}\"";
    if (looks_like_api_key(value)) return error(node, path, kLiteralKeyMessage);
    if (!value.starts_with("${") || !value.ends_with("}")) {
      if (!value.empty() && value[0] == '$' && valid_variable_name(std::string_view(value).substr(1))) {
        return error(node, path, "write \"${" + value.substr(1) + "}\", with braces");
      }
      // Not echoed: it may be a key of a shape we do not know.
      return error(node, path, "a secret is never written into the config" + hint);
    }
    std::string name = value.substr(2, value.size() - 3);
    if (!valid_variable_name(name)) {
      return error(node, path, "expected ${NAME}, NAME being letters, digits and _ (not starting with a digit)");
    }
    return SecretRef{name};
  }

  // A project-relative path without `..`.
  Status inside_project(const YAML::Node& node, const std::string& path, const std::string& value,
                        const std::string& what) const {
    std::filesystem::path file(value);
    bool escapes = file.is_absolute() || file.empty();
    for (const auto& part : file) escapes = escapes || part == "..";
    if (escapes) return error(node, path, "must be " + what + " inside the project (relative, without ..)");
    return ok();
  }

  // A folder an agent may be granted (project/grant_paths.h): as written,
  // and on disk when the project is known.
  Status grantable(const YAML::Node& node, const std::string& path, const std::string& folder) const {
    if (std::string problem = grant_spelling_problem(folder); !problem.empty()) return error(node, path, problem);
    if (!folder_check_) return ok();
    auto resolved = resolve_grant(folder_check_->root, folder);
    if (resolved) return ok();
    if (resolved.error().code() == Code::kNotFound && folder_check_->missing == MissingFolders::kAllowed) return ok();
    return error(node, path, resolved.error().message());
  }

  // A map from names to sections: `fn(name, key_node, value_node, path)` per entry.
  template <typename Fn>
  Status named(const YAML::Node& node, const std::string& path, const std::string& kind, Fn fn) const {
    if (node.IsNull()) return ok();
    NAOS_TRY(expect_map(node, path));
    std::set<std::string> seen;
    for (const auto& item : node) {
      std::string name = item.first.Scalar();
      std::string at = join(path, name);
      if (looks_like_api_key(name)) return error(item.first, path, std::string("a key ") + kLiteralKeyMessage);
      if (!seen.insert(name).second) return error(item.first, at, "duplicate " + kind);
      NAOS_TRY(fn(name, item.first, item.second, at));
    }
    return ok();
  }

  Status check_name(const YAML::Node& key, const std::string& path, const std::string& name,
                    const std::string& kind) const {
    if (valid_name(name)) return ok();
    return error(key, path, "a" + std::string(kind[0] == 'a' ? "n " : " ") + kind +
                                " name is 1-64 letters, digits, '-' or '_', starting with a letter or digit");
  }

  void refer(Reference::Kind kind, const YAML::Node& node, const std::string& name, const std::string& path,
             const std::string& owner = {}) {
    references_.push_back({kind, name, path, node.Mark(), owner});
  }

  // ---- execution and agents ------------------------------------------------

  Result<ExecutionConfig> execution(const YAML::Node& node, const std::string& path, bool top_level) const {
    if (top_level) {
      NAOS_TRY(check_keys(node, path, kExecutionKeys));
    } else {
      NAOS_TRY(check_keys(node, path, kAgentExecutionKeys, kEngineWideKeys,
                          "can only be set in the top-level execution section (it is engine-wide)"));
    }
    ExecutionConfig out;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "memoryLimit") {
        NAOS_ASSIGN_OR_RETURN(out.memory_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.memory_bytes < 65536 || *out.memory_bytes > (4ull << 30)) {
          return error(item.second, at, "must be between 64KiB and 4GiB (wasm32's whole address space)");
        }
      } else if (key == "timeout") {
        NAOS_ASSIGN_OR_RETURN(out.timeout, duration(item.second, at, Zero::kRefused));
      } else if (key == "fuel") {
        NAOS_ASSIGN_OR_RETURN(out.fuel, parsed<uint64_t>(item.second, at, parse_count));
      } else if (key == "maxInstances") {
        NAOS_ASSIGN_OR_RETURN(out.max_instances, count(item.second, at, 1, 10'000));
      } else if (key == "maxOutput") {
        NAOS_ASSIGN_OR_RETURN(out.max_output_bytes, parsed<uint64_t>(item.second, at, parse_size));
      } else if (key == "maxLog") {
        NAOS_ASSIGN_OR_RETURN(out.max_log_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.max_log_bytes < 4096 || *out.max_log_bytes > (1ull << 30)) {
          return error(item.second, at, "must be between 4KiB and 1GiB");
        }
      } else if (key == "maxStack") {
        NAOS_ASSIGN_OR_RETURN(out.max_stack_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.max_stack_bytes < 64 * 1024 || *out.max_stack_bytes > (64ull << 20)) {
          return error(item.second, at, "must be between 64KiB and 64MiB");
        }
      } else if (key == "compileTimeout") {
        NAOS_ASSIGN_OR_RETURN(out.compile_timeout, duration(item.second, at, Zero::kRefused));
        if (*out.compile_timeout > std::chrono::hours(1)) return error(item.second, at, "must be at most 1h");
      } else if (key == "compileMemory") {
        NAOS_ASSIGN_OR_RETURN(out.compile_memory_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.compile_memory_bytes < (64ull << 20) || *out.compile_memory_bytes > (64ull << 30)) {
          return error(item.second, at, "must be between 64MiB and 64GiB");
        }
      }
    }
    return out;
  }

  Result<CapabilitiesConfig> capabilities(const YAML::Node& node, const std::string& path) const {
    NAOS_TRY(check_keys(node, path, kCapabilityKeys));
    CapabilitiesConfig out;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "network") {
        NAOS_ASSIGN_OR_RETURN(out.network, enumerated<sandbox::NetworkAccess>(item.second, at, kNetworkNames));
      } else if (key == "allowedHosts") {
        NAOS_ASSIGN_OR_RETURN(out.allowed_hosts, strings(item.second, at));
        for (size_t i = 0; i < out.allowed_hosts.size(); ++i) {
          auto entry = capabilities::HttpPolicy::create(sandbox::NetworkAccess::kRestricted, {out.allowed_hosts[i]});
          if (!entry) return error(item.second[i], index(at, i), entry.error().message());
        }
      } else if (key == "filesystem") {
        NAOS_TRY(check_keys(item.second, at, kFilesystemKeys));
        for (const auto& fs : item.second) {
          std::string mode = fs.first.Scalar();
          NAOS_ASSIGN_OR_RETURN(auto folders, strings(fs.second, join(at, mode)));
          for (size_t i = 0; i < folders.size(); ++i) {
            NAOS_TRY(grantable(fs.second[i], index(join(at, mode), i), folders[i]));
          }
          (mode == "read" ? out.read : out.write) = std::move(folders);
        }
      } else if (key == "env") {
        NAOS_ASSIGN_OR_RETURN(out.env, strings(item.second, at));
        for (size_t i = 0; i < out.env.size(); ++i) {
          if (auto problem = env_name_problem(out.env[i])) return error(item.second[i], index(at, i), *problem);
        }
      } else if (key == "kv") {
        NAOS_ASSIGN_OR_RETURN(out.kv, boolean(item.second, at));
      } else if (key == "llm") {
        NAOS_ASSIGN_OR_RETURN(out.llm, boolean(item.second, at));
      }
    }
    if (out.network == sandbox::NetworkAccess::kRestricted && out.allowed_hosts.empty()) {
      return error(node, path + ".network", "restricted network needs a non-empty allowedHosts list");
    }
    return out;
  }

  Result<AgentConfig> agent(const std::string& name, const YAML::Node& node, const std::string& path) const {
    AgentConfig out;
    out.name = name;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kAgentKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "template") {
        NAOS_ASSIGN_OR_RETURN(out.template_name, scalar(item.second, at));
      } else if (key == "source") {
        NAOS_ASSIGN_OR_RETURN(out.source, scalar(item.second, at));
        if (auto problem = module_source_problem(out.source)) return error(item.second, at, *problem);
      } else if (key == "description") {
        NAOS_ASSIGN_OR_RETURN(out.description, text(item.second, at));
      } else if (key == "execution") {
        NAOS_ASSIGN_OR_RETURN(out.execution, execution(item.second, at, false));
      } else if (key == "capabilities") {
        NAOS_ASSIGN_OR_RETURN(out.capabilities, capabilities(item.second, at));
      } else if (key == "tests") {
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of {input, expect}");
        for (size_t i = 0; i < item.second.size(); ++i) {
          std::string test_at = index(at, i);
          NAOS_TRY(check_keys(item.second[i], test_at, kTestKeys));
          AgentTest test;
          if (item.second[i]["input"]) {
            NAOS_ASSIGN_OR_RETURN(test.input, text(item.second[i]["input"], test_at + ".input"));
          }
          if (item.second[i]["expect"]) {
            NAOS_ASSIGN_OR_RETURN(test.expect, text(item.second[i]["expect"], test_at + ".expect"));
          }
          out.tests.push_back(std::move(test));
        }
      } else if (key == "schedule") {
        NAOS_ASSIGN_OR_RETURN(std::string when, text(item.second, at));
        auto parsed = Schedule::parse(when);
        if (!parsed) return error(item.second, at, parsed.error().message());
        out.schedule = std::move(when);
      } else if (key == "metadata") {
        // Free-form; kept by the registry, so checked for pasted keys.
        NAOS_TRY(free_form(item.second, at));
      }
    }
    return out;
  }

  // ---- supervisors ---------------------------------------------------------

  Result<BackoffConfig> backoff(const YAML::Node& node, const std::string& path) const {
    BackoffConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kBackoffKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "min") {
        NAOS_ASSIGN_OR_RETURN(out.min, duration(item.second, at, Zero::kAllowed));
      } else if (key == "max") {
        NAOS_ASSIGN_OR_RETURN(out.max, duration(item.second, at, Zero::kRefused));
      } else if (key == "jitter") {
        NAOS_ASSIGN_OR_RETURN(out.jitter, ratio(item.second, at));
      }
    }
    if (out.min > out.max) {
      return error(node, path,
                   "min (" + format_duration(out.min) + ") is longer than max (" + format_duration(out.max) + ")");
    }
    return out;
  }

  Result<SupervisorChild> supervisor_child(const YAML::Node& node, const std::string& path, const std::string& owner) {
    SupervisorChild out;
    YAML::Node name_node = node;
    std::string name_path = path;
    if (node.IsMap()) {
      NAOS_TRY(check_keys(node, path, kSupervisorChildKeys));
      for (const auto& item : node) {
        std::string key = item.first.Scalar();
        std::string at = join(path, key);
        if (key == "name") {
          NAOS_ASSIGN_OR_RETURN(out.name, scalar(item.second, at));
          name_node.reset(item.second);  // rebinds; `=` would overwrite the document
          name_path = at;
        } else if (key == "restart") {
          NAOS_ASSIGN_OR_RETURN(out.restart, enumerated<RestartType>(item.second, at, kRestartNames));
        } else if (key == "shutdown") {
          NAOS_ASSIGN_OR_RETURN(out.shutdown, duration(item.second, at, Zero::kAllowed));
        }
      }
      if (name_path == path) return error(node, path, "a child needs a name (an agent or a supervisor)");
    } else if (node.IsScalar()) {
      NAOS_ASSIGN_OR_RETURN(out.name, scalar(node, path));
    } else {
      return error(node, path, "expected a name, or { name, restart, shutdown }");
    }
    refer(Reference::Kind::kChild, name_node, out.name, name_path, owner);
    return out;
  }

  Result<SupervisorConfig> supervisor(const std::string& name, const YAML::Node& node, const std::string& path) {
    SupervisorConfig out;
    out.name = name;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kSupervisorKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "strategy") {
        NAOS_ASSIGN_OR_RETURN(out.strategy, enumerated<SupervisorStrategy>(item.second, at, kStrategyNames));
      } else if (key == "maxRestarts") {
        NAOS_ASSIGN_OR_RETURN(out.max_restarts, count(item.second, at, 0, 1'000'000));
      } else if (key == "restartWindow") {
        NAOS_ASSIGN_OR_RETURN(out.restart_window, duration(item.second, at, Zero::kRefused));
      } else if (key == "children") {
        if (item.second.IsNull()) continue;
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of agent or supervisor names");
        std::map<std::string, size_t> seen;
        for (size_t i = 0; i < item.second.size(); ++i) {
          NAOS_ASSIGN_OR_RETURN(SupervisorChild child, supervisor_child(item.second[i], index(at, i), name));
          auto [first, fresh] = seen.emplace(child.name, i);
          if (!fresh) {
            return error(item.second[i], index(at, i),
                         "\"" + child.name + "\" is listed twice (also " + index(at, first->second) + ")");
          }
          out.children.push_back(std::move(child));
        }
      } else if (key == "backoff") {
        NAOS_ASSIGN_OR_RETURN(out.backoff, backoff(item.second, at));
      } else if (key == "shutdown") {
        NAOS_ASSIGN_OR_RETURN(out.shutdown, duration(item.second, at, Zero::kAllowed));
      }
    }
    return out;
  }

  // ---- sagas and workflows -------------------------------------------------

  // The step's agent, or an error at the step if it has none.
  Status require_agent(const YAML::Node& step, const std::string& path, const std::string& agent) const {
    if (agent.empty()) return error(step, path, "a step needs an agent");
    return ok();
  }

  // Step names default to the agent's and must be unique.
  Status unique_step(std::map<std::string, std::string>& seen, const YAML::Node& node, const std::string& path,
                     const std::string& name) const {
    auto [first, fresh] = seen.emplace(name, path);
    if (fresh) return ok();
    return error(node, path,
                 "two steps are named \"" + name + "\" (also " + first->second +
                     "); give them distinct names (a step's name defaults to its agent)");
  }

  Result<RetryConfig> retry(const YAML::Node& node, const std::string& path) const {
    RetryConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kRetryKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "maxAttempts") {
        NAOS_ASSIGN_OR_RETURN(out.max_attempts, count(item.second, at, 1, 1000));
      } else if (key == "initialInterval") {
        NAOS_ASSIGN_OR_RETURN(out.initial_interval, duration(item.second, at, Zero::kAllowed));
      } else if (key == "maxInterval") {
        NAOS_ASSIGN_OR_RETURN(out.max_interval, duration(item.second, at, Zero::kAllowed));
      } else if (key == "backoffCoefficient") {
        NAOS_ASSIGN_OR_RETURN(std::string value, scalar(item.second, at));
        char* end = nullptr;
        double coefficient = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !(coefficient >= 1.0 && coefficient <= 100.0)) {
          return error(item.second, at, "expected a number from 1 to 100, got \"" + value + "\"");
        }
        out.backoff_coefficient = coefficient;
      } else if (key == "nonRetryable") {
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of error names");
        for (size_t i = 0; i < item.second.size(); ++i) {
          NAOS_ASSIGN_OR_RETURN(std::string name, scalar(item.second[i], index(at, i)));
          out.non_retryable.push_back(std::move(name));
        }
      }
    }
    if (out.initial_interval && out.max_interval && *out.max_interval < *out.initial_interval) {
      return error(node, path, "maxInterval is shorter than initialInterval");
    }
    return out;
  }

  Result<SagaConfig> saga(const std::string& name, const YAML::Node& node, const std::string& path) {
    SagaConfig out;
    out.name = name;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kSagaKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "timeout") {
        NAOS_ASSIGN_OR_RETURN(out.timeout, duration(item.second, at, Zero::kRefused));
      } else if (key == "stepTimeout") {
        NAOS_ASSIGN_OR_RETURN(out.step_timeout, duration(item.second, at, Zero::kRefused));
      } else if (key == "parallelCompensation") {
        NAOS_ASSIGN_OR_RETURN(out.parallel_compensation, boolean(item.second, at));
      } else if (key == "continueOnCompensationError") {
        NAOS_ASSIGN_OR_RETURN(out.continue_on_compensation_error, boolean(item.second, at));
      } else if (key == "compensationRetries") {
        NAOS_ASSIGN_OR_RETURN(out.compensation_retries, count(item.second, at, 0, 100));
      } else if (key == "steps") {
        if (item.second.IsNull()) continue;
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of steps");
        std::map<std::string, std::string> names;
        for (size_t i = 0; i < item.second.size(); ++i) {
          const YAML::Node& node_i = item.second[i];
          std::string step_at = index(at, i);
          NAOS_TRY(check_keys(node_i, step_at, kSagaStepKeys));
          SagaStep step;
          YAML::Node name_node = node_i;
          for (const auto& field : node_i) {
            std::string field_key = field.first.Scalar();
            std::string field_at = join(step_at, field_key);
            if (field_key == "name") {
              NAOS_ASSIGN_OR_RETURN(step.name, scalar(field.second, field_at));
              name_node.reset(field.second);  // rebinds; `=` would overwrite the document
            } else if (field_key == "agent") {
              NAOS_ASSIGN_OR_RETURN(step.agent, scalar(field.second, field_at));
              refer(Reference::Kind::kStep, field.second, step.agent, field_at, "sagas." + name);
            } else if (field_key == "retry") {
              NAOS_ASSIGN_OR_RETURN(step.retry, retry(field.second, field_at));
            } else if (field_key == "compensate") {
              NAOS_ASSIGN_OR_RETURN(step.compensate, scalar(field.second, field_at));
              refer(Reference::Kind::kAgent, field.second, step.compensate, field_at);
            } else if (field_key == "retries") {
              NAOS_ASSIGN_OR_RETURN(step.retries, count(field.second, field_at, 0, 100));
            } else if (field_key == "timeout") {
              NAOS_ASSIGN_OR_RETURN(step.timeout, duration(field.second, field_at, Zero::kRefused));
            }
          }
          NAOS_TRY(require_agent(node_i, step_at, step.agent));
          if (step.name.empty()) step.name = step.agent;
          NAOS_TRY(unique_step(names, name_node, step_at, step.name));
          out.steps.push_back(std::move(step));
        }
      }
    }
    return out;
  }

  Result<StepCondition> condition(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    StepCondition out;
    out.text = value;
    std::string_view rest = value;
    auto trim = [](std::string_view s) {
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return s;
    };
    rest = trim(rest);
    std::string usage = "expected \"/pointer\", \"!/pointer\", \"/pointer == VALUE\" or \"/pointer != VALUE\" "
                        "(VALUE a JSON string, number, true, false or null), got \"" + value + "\"";
    if (rest.starts_with("!")) {
      out.op = StepCondition::Op::kFalsy;
      rest = trim(rest.substr(1));
    }
    size_t space = rest.find(' ');
    out.pointer = std::string(rest.substr(0, space));
    if (out.pointer.empty() || !valid_json_pointer(out.pointer)) return error(node, path, usage);
    if (space != std::string_view::npos) {
      if (out.op == StepCondition::Op::kFalsy) return error(node, path, usage);
      std::string_view comparison = trim(rest.substr(space));
      if (comparison.starts_with("==")) {
        out.op = StepCondition::Op::kEquals;
      } else if (comparison.starts_with("!=")) {
        out.op = StepCondition::Op::kNotEquals;
      } else {
        return error(node, path, usage);
      }
      std::string literal(trim(comparison.substr(2)));
      auto parsed_literal = nlohmann::json::parse(literal, nullptr, /*allow_exceptions=*/false);
      if (literal.empty() || parsed_literal.is_discarded() || parsed_literal.is_structured()) {
        return error(node, path, usage);
      }
      out.literal = literal;
    }
    return out;
  }

  Result<WorkflowConfig> workflow(const std::string& name, const YAML::Node& node, const std::string& path) {
    WorkflowConfig out;
    out.name = name;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kWorkflowKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "onError") {
        NAOS_ASSIGN_OR_RETURN(out.on_error, enumerated<OnError>(item.second, at, kOnErrorNames));
      } else if (key == "retries") {
        NAOS_ASSIGN_OR_RETURN(out.retries, count(item.second, at, 0, 100));
      } else if (key == "retryDelay") {
        NAOS_ASSIGN_OR_RETURN(out.retry_delay, duration(item.second, at, Zero::kAllowed));
      } else if (key == "retry") {
        NAOS_ASSIGN_OR_RETURN(out.retry, retry(item.second, at));
      } else if (key == "steps") {
        if (item.second.IsNull()) continue;
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of steps");
        std::map<std::string, std::string> names;
        for (size_t i = 0; i < item.second.size(); ++i) {
          const YAML::Node& node_i = item.second[i];
          std::string step_at = index(at, i);
          NAOS_TRY(check_keys(node_i, step_at, kWorkflowStepKeys));
          WorkflowStep step;
          YAML::Node name_node = node_i;
          for (const auto& field : node_i) {
            std::string field_key = field.first.Scalar();
            std::string field_at = join(step_at, field_key);
            if (field_key == "name") {
              NAOS_ASSIGN_OR_RETURN(step.name, scalar(field.second, field_at));
              name_node.reset(field.second);  // rebinds; `=` would overwrite the document
            } else if (field_key == "agent") {
              NAOS_ASSIGN_OR_RETURN(step.agent, scalar(field.second, field_at));
              refer(Reference::Kind::kStep, field.second, step.agent, field_at, "workflows." + name);
            } else if (field_key == "retry") {
              NAOS_ASSIGN_OR_RETURN(step.retry, retry(field.second, field_at));
            } else if (field_key == "onError") {
              NAOS_ASSIGN_OR_RETURN(step.on_error, enumerated<OnError>(field.second, field_at, kOnErrorNames));
            } else if (field_key == "retries") {
              NAOS_ASSIGN_OR_RETURN(step.retries, count(field.second, field_at, 0, 100));
            } else if (field_key == "retryDelay") {
              NAOS_ASSIGN_OR_RETURN(step.retry_delay, duration(field.second, field_at, Zero::kAllowed));
            } else if (field_key == "timeout") {
              NAOS_ASSIGN_OR_RETURN(step.timeout, duration(field.second, field_at, Zero::kRefused));
            } else if (field_key == "input") {
              NAOS_ASSIGN_OR_RETURN(std::string pointer, scalar(field.second, field_at));
              if (!valid_json_pointer(pointer)) {
                return error(field.second, field_at,
                             "expected a JSON pointer like \"/data/items\" (\"\" for the whole input), got \"" +
                                 pointer + "\"");
              }
              step.input = pointer;
            } else if (field_key == "condition") {
              NAOS_ASSIGN_OR_RETURN(step.condition, condition(field.second, field_at));
            }
          }
          NAOS_TRY(require_agent(node_i, step_at, step.agent));
          if (step.name.empty()) step.name = step.agent;
          NAOS_TRY(unique_step(names, name_node, step_at, step.name));
          out.steps.push_back(std::move(step));
        }
      }
    }
    return out;
  }

  // ---- pools ---------------------------------------------------------------

  Result<PoolConfig> pool(const std::string& name, const YAML::Node& node, const std::string& path) {
    PoolConfig out;
    out.name = name;
    if (node.IsNull()) return error(node, path, "a pool needs members (fan-out) or agent and size (clone pool)");
    NAOS_TRY(check_keys(node, path, kPoolKeys));
    std::map<std::string, YAML::Mark> keys;  // key -> where the key is
    std::map<std::string, YAML::Mark> values;  // key -> where its value is
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      keys[key] = item.first.Mark();
      values[key] = item.second.Mark();
      if (key == "members") {
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of agent names");
        if (item.second.size() == 0) return error(item.second, at, "expected at least one agent");
        std::map<std::string, size_t> seen;
        for (size_t i = 0; i < item.second.size(); ++i) {
          NAOS_ASSIGN_OR_RETURN(std::string member, scalar(item.second[i], index(at, i)));
          auto [first, fresh] = seen.emplace(member, i);
          if (!fresh) {
            return error(item.second[i], index(at, i),
                         "\"" + member + "\" is listed twice (also " + index(at, first->second) + ")");
          }
          refer(Reference::Kind::kAgent, item.second[i], member, index(at, i));
          out.members.push_back(std::move(member));
        }
      } else if (key == "agent") {
        NAOS_ASSIGN_OR_RETURN(out.agent, scalar(item.second, at));
        refer(Reference::Kind::kAgent, item.second, out.agent, at);
      } else if (key == "size") {
        NAOS_ASSIGN_OR_RETURN(out.size, count(item.second, at, 1, 10'000));
      } else if (key == "strategy") {
        NAOS_ASSIGN_OR_RETURN(out.strategy, enumerated<PoolStrategy>(item.second, at, kPoolStrategyNames));
      } else if (key == "merge") {
        NAOS_ASSIGN_OR_RETURN(out.merge, enumerated<MergeMode>(item.second, at, kMergeNames));
      } else if (key == "quorum") {
        NAOS_ASSIGN_OR_RETURN(out.quorum, count(item.second, at, 1, 10'000));
      } else if (key == "maxConcurrency") {
        NAOS_ASSIGN_OR_RETURN(out.max_concurrency, count(item.second, at, 1, 10'000));
      } else if (key == "retries") {
        NAOS_ASSIGN_OR_RETURN(out.retries, count(item.second, at, 0, 100));
      } else if (key == "timeout") {
        NAOS_ASSIGN_OR_RETURN(out.timeout, duration(item.second, at, Zero::kRefused));
      } else if (key == "minTier") {
        NAOS_ASSIGN_OR_RETURN(size_t tier, choice(item.second, at, kTierNames));
        out.min_tier = static_cast<TrustTier>(tier + 1);
      } else if (key == "tolerate") {
        NAOS_ASSIGN_OR_RETURN(std::string value, scalar(item.second, at));
        if (value.ends_with('%')) {
          out.tolerate.kind = Tolerance::Kind::kPercent;
          NAOS_ASSIGN_OR_RETURN(out.tolerate.value, percent(item.second, at));
        } else {
          out.tolerate.kind = Tolerance::Kind::kCount;
          auto n = parse_count(value);
          if (!n || *n > 10'000) {
            return error(item.second, at,
                         "expected a number of failed members (2) or a percentage (\"25%\"), got \"" + value + "\"");
          }
          out.tolerate.value = static_cast<uint32_t>(*n);
        }
      }
    }
    bool has_members = keys.count("members") > 0;
    bool has_agent = keys.count("agent") > 0;
    if (has_members && has_agent) {
      return error_at(keys["agent"], join(path, "agent"),
                   "a pool has either members (fan-out) or agent and size (clone pool), not both");
    }
    if (!has_members && !has_agent) {
      if (keys.count("size")) return error_at(keys["size"], join(path, "size"), "size is for a clone pool; add agent");
      return error(node, path, "a pool needs members (fan-out) or agent and size (clone pool)");
    }
    if (has_members && keys.count("size")) {
      return error_at(keys["size"], join(path, "size"), "size is for a clone pool; a fan-out pool runs each member once");
    }
    if (has_agent && !keys.count("size")) return error_at(keys["agent"], join(path, "agent"), "a clone pool needs size");
    if (has_members && keys.count("strategy")) {
      return error_at(keys["strategy"], join(path, "strategy"),
                   "strategy is for a clone pool (agent + size); a fan-out pool runs every member at once");
    }
    if (out.merge == MergeMode::kQuorum && !keys.count("quorum")) {
      return error_at(values["merge"], join(path, "merge"), "merge: quorum needs quorum: K (how many must agree)");
    }
    if (out.merge != MergeMode::kQuorum && keys.count("quorum")) {
      return error_at(keys["quorum"], join(path, "quorum"), "quorum is only used with merge: quorum");
    }
    std::string workers = "the pool's " + std::to_string(out.workers()) + (out.fan_out() ? " members" : " clones");
    if (out.quorum > out.workers()) {
      return error_at(values["quorum"], join(path, "quorum"), "must be between 1 and " + std::to_string(out.workers()) +
                                                               " (" + workers + ")");
    }
    if (out.tolerate.kind == Tolerance::Kind::kCount && out.tolerate.value > out.workers()) {
      return error_at(values["tolerate"], join(path, "tolerate"),
                   "tolerates more failures than " + workers + "; at most " + std::to_string(out.workers()));
    }
    return out;
  }

  // ---- cost ----------------------------------------------------------------

  Result<BudgetConfig> budget(const std::string& target, const YAML::Node& node, const std::string& path) const {
    BudgetConfig out;
    out.target = target;
    if (node.IsNull()) return error(node, path, "a budget needs a limit");
    NAOS_TRY(check_keys(node, path, kBudgetKeys));
    bool has_limit = false;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "limit") {
        NAOS_ASSIGN_OR_RETURN(out.limit_cents, parsed<int64_t>(item.second, at, parse_money_cents));
        if (out.limit_cents == 0) return error(item.second, at, "must be more than 0");
        has_limit = true;
      } else if (key == "period") {
        NAOS_ASSIGN_OR_RETURN(out.period, enumerated<BudgetPeriod>(item.second, at, kPeriodNames));
      } else if (key == "onExceed") {
        NAOS_ASSIGN_OR_RETURN(out.on_exceed, enumerated<OnExceed>(item.second, at, kOnExceedNames));
      } else if (key == "alertAt") {
        NAOS_ASSIGN_OR_RETURN(out.alert_at_percent, percent(item.second, at));
      }
    }
    if (!has_limit) return error(node, path, "a budget needs a limit (cents, or \"$10.00\")");
    return out;
  }

  Result<ModelPrice> model(const YAML::Node& node, const std::string& path) const {
    ModelPrice out;
    if (node.IsNull()) return error(node, path, "a model needs inputCostPer1k and outputCostPer1k");
    NAOS_TRY(check_keys(node, path, kModelKeys));
    bool has_input = false, has_output = false;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      NAOS_ASSIGN_OR_RETURN(int64_t price, parsed<int64_t>(item.second, at, parse_usd_microcents));
      if (key == "inputCostPer1k") out.input_per_1k = price, has_input = true;
      if (key == "outputCostPer1k") out.output_per_1k = price, has_output = true;
      if (key == "cachedInputCostPer1k") out.cached_input_per_1k = price;
      if (key == "cacheWriteCostPer1k") out.cache_write_per_1k = price;
    }
    if (!has_input || !has_output) {
      return error(node, path,
                   std::string("a model needs ") + (has_input ? "outputCostPer1k" : "inputCostPer1k") +
                       " (USD per 1K tokens, like \"0.00025\")");
    }
    return out;
  }

  Result<CostConfig> cost(const YAML::Node& node, const std::string& path) {
    CostConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kCostKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "enforcement") {
        NAOS_ASSIGN_OR_RETURN(out.enforcement, enumerated<Enforcement>(item.second, at, kEnforcementNames));
      } else if (key == "timezone") {
        NAOS_ASSIGN_OR_RETURN(out.timezone, scalar(item.second, at));
        if (!valid_timezone(out.timezone) || !governance::known_timezone(out.timezone)) {
          return error(item.second, at,
                       "expected UTC or a tz database name like Europe/Berlin, got \"" + out.timezone + "\"");
        }
      } else if (key == "budgets") {
        NAOS_TRY(named(item.second, at, "budget",
                       [&](const std::string& target, const YAML::Node& key_node, const YAML::Node& value,
                           const std::string& budget_at) -> Status {
                         if (target != kGlobalBudget) refer(Reference::Kind::kBudget, key_node, target, budget_at);
                         NAOS_ASSIGN_OR_RETURN(out.budgets[target], budget(target, value, budget_at));
                         return ok();
                       }));
      } else if (key == "models") {
        NAOS_TRY(named(item.second, at, "model",
                       [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& value,
                           const std::string& model_at) -> Status {
                         if (!valid_model_name(name)) {
                           return error(key_node, model_at,
                                        "a model name is 1-128 letters, digits and - _ . : / @");
                         }
                         NAOS_ASSIGN_OR_RETURN(out.models[name], model(value, model_at));
                         return ok();
                       }));
      } else if (key == "endpoints") {
        NAOS_TRY(named(item.second, at, "endpoint",
                       [&](const std::string& host, const YAML::Node& key_node, const YAML::Node& value,
                           const std::string& endpoint_at) -> Status {
                         auto entry = capabilities::HttpPolicy::create(sandbox::NetworkAccess::kRestricted, {host});
                         if (!entry) return error(key_node, endpoint_at, entry.error().message());
                         if (value.IsNull()) return error(value, endpoint_at, "an endpoint needs costPerCall");
                         NAOS_TRY(check_keys(value, endpoint_at, kEndpointKeys));
                         if (!value["costPerCall"]) return error(value, endpoint_at, "an endpoint needs costPerCall");
                         NAOS_ASSIGN_OR_RETURN(out.endpoints[host],
                                               parsed<int64_t>(value["costPerCall"], endpoint_at + ".costPerCall",
                                                               parse_price_microcents));
                         return ok();
                       }));
      }
    }
    return out;
  }

  static bool valid_timezone(const std::string& zone) {
    if (zone == "UTC") return true;
    // Area/Location[/Sub], as in the tz database: letters, digits, _ + -.
    size_t slash = zone.find('/');
    if (slash == std::string::npos || slash == 0 || zone.back() == '/') return false;
    if (!std::isupper(static_cast<unsigned char>(zone[0]))) return false;
    return std::all_of(zone.begin(), zone.end(), [](unsigned char c) {
             return std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '/';
           }) &&
           zone.find("//") == std::string::npos && zone.find("..") == std::string::npos;
  }

  // ---- trust, broker, skills, llm, dashboard, audit ------------------------

  Result<TrustConfig> trust(const YAML::Node& node, const std::string& path) const {
    TrustConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kTrustKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "minimumTier") {
        NAOS_ASSIGN_OR_RETURN(size_t tier, choice(item.second, at, kTierNames));
        out.minimum_tier = static_cast<TrustTier>(tier + 1);
      } else if (key == "minCreditRating") {
        NAOS_ASSIGN_OR_RETURN(out.min_credit_rating, enumerated<CreditRating>(item.second, at, kRatingNames));
      } else if (key == "capabilityTiers") {
        if (item.second.IsNull()) continue;
        NAOS_TRY(check_keys(item.second, at, kCapabilityNames));
        for (const auto& grant : item.second) {
          std::string capability = grant.first.Scalar();
          NAOS_ASSIGN_OR_RETURN(size_t tier, choice(grant.second, join(at, capability), kTierNames));
          out.capability_tiers[capability] = static_cast<TrustTier>(tier + 1);
        }
      }
    }
    return out;
  }

  Result<BrokerConfig> broker(const YAML::Node& node, const std::string& path) {
    BrokerConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kBrokerKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "enabled") {
        NAOS_ASSIGN_OR_RETURN(out.enabled, boolean(item.second, at));
      } else if (key == "confidenceThreshold") {
        NAOS_ASSIGN_OR_RETURN(out.confidence_threshold, ratio(item.second, at));
      } else if (key == "preferSkill") {
        NAOS_ASSIGN_OR_RETURN(out.prefer_skill, boolean(item.second, at));
      } else if (key == "llmAsLastResort") {
        NAOS_ASSIGN_OR_RETURN(out.llm_as_last_resort, boolean(item.second, at));
      } else if (key == "llm") {
        NAOS_TRY(check_keys(item.second, at, kBrokerLlmKeys));
        for (const auto& field : item.second) {
          std::string field_key = field.first.Scalar();
          std::string field_at = join(at, field_key);
          if (field_key == "provider") {
            NAOS_ASSIGN_OR_RETURN(out.llm_provider, scalar(field.second, field_at));
            refer(Reference::Kind::kProvider, field.second, out.llm_provider, field_at);
          } else {
            NAOS_ASSIGN_OR_RETURN(out.llm_model, scalar(field.second, field_at));
            if (!valid_model_name(out.llm_model)) {
              return error(field.second, field_at, "a model name is 1-128 letters, digits and - _ . : / @");
            }
          }
        }
        if (out.llm_provider.empty() || out.llm_model.empty()) {
          return error(item.second, at, std::string("needs ") + (out.llm_provider.empty() ? "provider" : "model"));
        }
      } else if (key == "cache") {
        if (item.second.IsNull()) continue;
        NAOS_TRY(check_keys(item.second, at, kBrokerCacheKeys));
        for (const auto& field : item.second) {
          std::string field_key = field.first.Scalar();
          std::string field_at = join(at, field_key);
          if (field_key == "enabled") {
            NAOS_ASSIGN_OR_RETURN(out.cache_enabled, boolean(field.second, field_at));
          } else {
            NAOS_ASSIGN_OR_RETURN(out.cache_ttl, duration(field.second, field_at, Zero::kRefused));
          }
        }
      }
    }
    return out;
  }

  Result<SkillConfig> skill(const std::string& name, const YAML::Node& node, const std::string& path) const {
    SkillConfig out;
    out.name = name;
    if (node.IsNull()) return error(node, path, "a skill needs a handler and patterns");
    NAOS_TRY(check_keys(node, path, kSkillKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "description") {
        NAOS_ASSIGN_OR_RETURN(out.description, text(item.second, at));
      } else if (key == "handler") {
        NAOS_ASSIGN_OR_RETURN(out.handler, scalar(item.second, at));
        NAOS_TRY(inside_project(item.second, at, out.handler, "a .wasm file"));
        if (!out.handler.ends_with(".wasm") && !out.handler.ends_with(".wat")) {
          return error(item.second, at, "expected a .wasm (or .wat) file, like skills/summarize.wasm");
        }
      } else if (key == "patterns") {
        NAOS_ASSIGN_OR_RETURN(out.patterns, strings(item.second, at));
        if (out.patterns.empty()) return error(item.second, at, "expected at least one pattern");
        for (size_t i = 0; i < out.patterns.size(); ++i) {
          if (out.patterns[i].empty()) return error(item.second[i], index(at, i), "a pattern cannot be empty");
        }
      } else if (key == "costPerCall") {
        NAOS_ASSIGN_OR_RETURN(out.cost_per_call, parsed<int64_t>(item.second, at, parse_price_microcents));
      }
    }
    if (out.handler.empty()) return error(node, path, "a skill needs a handler (skills/NAME.wasm)");
    if (out.patterns.empty()) return error(node, path, "a skill needs patterns (the words that route a task to it)");
    return out;
  }

  Result<LlmConfig> llm(const YAML::Node& node, const std::string& path) const {
    LlmConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kLlmKeys));
    const YAML::Node providers = node["providers"];
    if (!providers) return out;
    NAOS_TRY(named(providers, path + ".providers", "provider",
                   [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& value,
                       const std::string& at) -> Status {
                     NAOS_TRY(check_name(key_node, at, name, "provider"));
                     LlmProviderConfig provider;
                     provider.name = name;
                     if (!value.IsNull()) {
                       NAOS_TRY(check_keys(value, at, kProviderKeys));
                       for (const auto& field : value) {
                         std::string field_key = field.first.Scalar();
                         std::string field_at = join(at, field_key);
                         if (field_key == "apiKey") {
                           std::string example = underscored(name) + "_API_KEY";
                           std::transform(example.begin(), example.end(), example.begin(),
                                          [](unsigned char c) { return std::toupper(c); });
                           NAOS_ASSIGN_OR_RETURN(provider.api_key, secret(field.second, field_at, example));
                         } else {
                           NAOS_ASSIGN_OR_RETURN(provider.base_url, scalar(field.second, field_at));
                           auto url = capabilities::parse_url(provider.base_url);
                           if (!url) return error(field.second, field_at, url.error().message());
                         }
                       }
                     }
                     out.providers[name] = std::move(provider);
                     return ok();
                   }));
    return out;
  }

  Result<DashboardConfig> dashboard(const YAML::Node& node, const std::string& path) const {
    DashboardConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kDashboardKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "port") {
        NAOS_ASSIGN_OR_RETURN(uint32_t port, count(item.second, at, 1, 65535));
        out.port = static_cast<uint16_t>(port);
      } else if (key == "bind") {
        NAOS_ASSIGN_OR_RETURN(out.bind, scalar(item.second, at));
        unsigned char buffer[16];
        bool ip = inet_pton(AF_INET, out.bind.c_str(), buffer) == 1 || inet_pton(AF_INET6, out.bind.c_str(), buffer) == 1;
        if (!ip && out.bind != "localhost") {
          return error(item.second, at, "expected an IP address like 127.0.0.1 or ::1, got \"" + out.bind + "\"");
        }
      }
    }
    return out;
  }

  Result<AuditConfig> audit(const YAML::Node& node, const std::string& path) const {
    AuditConfig out;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kAuditKeys));
    if (node["retentionDays"]) {
      NAOS_ASSIGN_OR_RETURN(out.retention_days, count(node["retentionDays"], path + ".retentionDays", 0, 1'000'000));
    }
    return out;
  }

  // ---- cross-references ----------------------------------------------------

  // Every name a section refers to exists; the supervisors form a forest no
  // deeper than kMaxSupervisionDepth. Errors come in file order.
  // Names shared by no two of agents, supervisors, workflows, sagas and
  // pools; every step target exists; no workflow or saga contains itself.
  Status check_composites(const Config& config, const std::map<std::string, YAML::Mark>& supervisor_marks,
                          const std::map<std::string, std::vector<std::pair<std::string, YAML::Mark>>>& composites) {
    for (const auto& [name, declared] : composites) {
      std::vector<std::string> where;
      if (config.agents.count(name)) where.push_back("agents." + name);
      // A supervisor may share a saga's or pool's name (PRODUCT.md's example
      // has supervisors.workers and pools.workers): neither can name the other.
      bool child_too = config.workflows.count(name) > 0;
      if (child_too && supervisor_marks.count(name)) where.push_back("supervisors." + name);
      for (const auto& [path, mark] : declared) where.push_back(path);
      if (where.size() > 1) {
        const auto& [path, mark] = declared.back();
        std::string others;
        for (const auto& w : where) {
          if (w != path) others += (others.empty() ? "" : ", ") + w;
        }
        return error_at(mark, path,
                        "the name is taken by " + others + "; steps name their target, so agents, workflows, "
                        "sagas and pools (and supervisors, for a workflow) need distinct names");
      }
    }
    std::vector<std::string> targets;
    for (const auto& [name, _] : config.agents) targets.push_back(name);
    for (const auto& [name, _] : composites) targets.push_back(name);
    std::map<std::string, std::vector<const Reference*>> steps_of;  // "workflows.X" -> its step references
    for (const Reference& ref : references_) {
      if (ref.kind != Reference::Kind::kStep) continue;
      if (!config.agents.count(ref.name) && !composites.count(ref.name)) {
        return error_at(ref.mark, ref.path,
                        "unknown agent, workflow, saga or pool \"" + ref.name + "\"" +
                            did_you_mean(closest(ref.name, targets)));
      }
      steps_of[ref.owner].push_back(&ref);
    }
    // Depth-first over nesting; a composite met again on the current path is a cycle.
    auto section_of = [&config](const std::string& name) -> std::string {
      if (config.workflows.count(name)) return "workflows." + name;
      if (config.sagas.count(name)) return "sagas." + name;
      return "";
    };
    std::map<std::string, int> color;  // 0 unvisited, 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<Status(const std::string&)> visit = [&](const std::string& owner) -> Status {
      color[owner] = 1;
      path.push_back(owner);
      for (const Reference* ref : steps_of[owner]) {
        std::string next = section_of(ref->name);
        if (next.empty()) continue;
        if (color[next] == 1) {
          std::string cycle;
          auto from = std::find(path.begin(), path.end(), next);
          for (auto it = from; it != path.end(); ++it) cycle += it->substr(it->find('.') + 1) + " -> ";
          return error_at(ref->mark, ref->path, "nesting cycle: " + cycle + ref->name);
        }
        if (color[next] == 0) NAOS_TRY(visit(next));
      }
      path.pop_back();
      color[owner] = 2;
      return ok();
    };
    for (const auto& [owner, _] : steps_of) {
      if (color[owner] == 0) NAOS_TRY(visit(owner));
    }
    return ok();
  }

  Status check_references(const Config& config, const std::map<std::string, YAML::Mark>& supervisor_marks) {
    std::vector<std::string> agents, both, providers;  // candidates for "did you mean"
    for (const auto& [name, _] : config.agents) agents.push_back(name), both.push_back(name);
    for (const auto& [name, _] : config.supervisors) both.push_back(name);
    for (const auto& [name, _] : config.llm.providers) providers.push_back(name);

    for (const auto& [name, mark] : sorted_by_position(supervisor_marks)) {
      if (config.agents.count(name)) {
        return error_at(mark, "supervisors." + name,
                        "an agent has the same name; a supervisor's children could not tell them apart");
      }
    }

    std::stable_sort(references_.begin(), references_.end(), [](const Reference& a, const Reference& b) {
      return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
    });
    for (const Reference& ref : references_) {
      switch (ref.kind) {
        case Reference::Kind::kAgent:
          if (!config.agents.count(ref.name)) {
            return error_at(ref.mark, ref.path, "unknown agent \"" + ref.name + "\"" + did_you_mean(closest(ref.name, agents)));
          }
          break;
        case Reference::Kind::kBudget:
          if (!config.agents.count(ref.name)) {
            return error_at(ref.mark, ref.path,
                            "unknown agent \"" + ref.name + "\" (a budget is for an agent, or global)" +
                                did_you_mean(closest(ref.name, agents)));
          }
          break;
        case Reference::Kind::kStep:
          break;  // check_composites, once every section is read
        case Reference::Kind::kChild:
          if (!config.agents.count(ref.name) && !config.supervisors.count(ref.name) &&
              !config.workflows.count(ref.name)) {
            return error_at(ref.mark, ref.path,
                            "unknown agent or supervisor \"" + ref.name + "\"" + did_you_mean(closest(ref.name, both)));
          }
          break;
        case Reference::Kind::kProvider:
          if (!config.llm.providers.count(ref.name)) {
            return error_at(ref.mark, ref.path,
                            "unknown provider \"" + ref.name + "\" (not in llm.providers)" +
                                did_you_mean(closest(ref.name, providers)));
          }
          break;
      }
    }

    // One parent each.
    std::map<std::string, const Reference*> parent;
    for (const Reference& ref : references_) {
      if (ref.kind != Reference::Kind::kChild) continue;
      auto [first, fresh] = parent.emplace(ref.name, &ref);
      if (!fresh) {
        return error_at(ref.mark, ref.path,
                        "\"" + ref.name + "\" is already supervised by " + first->second->owner + " (" +
                            first->second->path + "); each agent or supervisor has one parent");
      }
    }
    return check_supervision_forest(parent, supervisor_marks);
  }

  // No cycles and no tree deeper than kMaxSupervisionDepth, given one parent
  // each. Linear in the number of supervisors: every supervisor is walked
  // over once (a 20,000-deep chain used to take minutes, issue 19.5).
  Status check_supervision_forest(const std::map<std::string, const Reference*>& parent,
                                  const std::map<std::string, YAML::Mark>& supervisor_marks) const {
    // The supervisor above `name`, or null at a root.
    auto owner_of = [&parent](const std::string& name) -> const std::string* {
      auto at = parent.find(name);
      return at == parent.end() ? nullptr : &at->second->owner;
    };
    // With one parent each, the supervisors are a functional graph: walk up
    // from each one until a supervisor already seen; meeting one seen on this
    // same walk closes a cycle.
    enum class Seen { kNo, kOnWalk, kDone };
    std::map<std::string, Seen> seen;
    std::set<std::string> on_cycle;
    for (const auto& [start, _] : supervisor_marks) {
      std::vector<std::string> walk;
      const std::string* at = &start;
      while (at != nullptr && seen[*at] == Seen::kNo) {
        seen[*at] = Seen::kOnWalk;
        walk.push_back(*at);
        at = owner_of(*at);
      }
      if (at != nullptr && seen[*at] == Seen::kOnWalk) {
        for (auto it = std::find(walk.begin(), walk.end(), *at); it != walk.end(); ++it) on_cycle.insert(*it);
      }
      for (const auto& name : walk) seen[name] = Seen::kDone;
    }
    // The first supervisor in the file that is on a cycle reports it, at its
    // own children entry that closes it.
    for (const auto& [name, mark] : sorted_by_position(supervisor_marks)) {
      if (!on_cycle.count(name)) continue;
      std::vector<std::string> up = {name};  // name, its parent, its grandparent...
      for (const std::string* owner = owner_of(name); *owner != name; owner = owner_of(*owner)) up.push_back(*owner);
      std::string cycle = name;
      for (size_t i = up.size(); i-- > 0;) cycle += " -> " + up[i];
      const Reference* closing = parent.find(up.back())->second;
      return error_at(closing->mark, closing->path, "supervision cycle: " + cycle);
    }
    // Depth: supervisors from the root down to this one, each computed once
    // from its parent's.
    std::map<std::string, int> level;
    for (const auto& [start, _] : supervisor_marks) {
      std::vector<std::string> walk;
      for (const std::string* at = &start; at != nullptr && !level.count(*at); at = owner_of(*at)) walk.push_back(*at);
      for (size_t i = walk.size(); i-- > 0;) {
        const std::string* owner = owner_of(walk[i]);
        level[walk[i]] = owner == nullptr ? 1 : level[*owner] + 1;
      }
    }
    for (const auto& [name, mark] : sorted_by_position(supervisor_marks)) {
      int depth = level[name];
      if (depth <= kMaxSupervisionDepth) continue;
      // The chain from the root down to here; a very deep one is shortened.
      std::vector<std::string> chain = {name};
      for (const std::string* owner = owner_of(name); owner != nullptr; owner = owner_of(*owner)) {
        if (chain.size() > static_cast<size_t>(kMaxSupervisionDepth)) {
          chain.push_back("...");
          break;
        }
        chain.push_back(*owner);
      }
      std::string line;
      for (size_t i = chain.size(); i-- > 0;) line += chain[i] + (i ? " -> " : "");
      return error_at(mark, "supervisors." + name,
                      "the supervision tree is " + std::to_string(depth) + " levels deep here (" + line +
                          "); at most " + std::to_string(kMaxSupervisionDepth));
    }
    return ok();
  }

  static std::vector<std::pair<std::string, YAML::Mark>> sorted_by_position(
      const std::map<std::string, YAML::Mark>& marks) {
    std::vector<std::pair<std::string, YAML::Mark>> out(marks.begin(), marks.end());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::pair(a.second.line, a.second.column) < std::pair(b.second.line, b.second.column);
    });
    return out;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

 private:
  std::string label_;
  std::optional<FolderCheck> folder_check_;
  std::vector<Reference> references_;
};

}  // namespace

// ---- money -----------------------------------------------------------------

namespace {

Result<int64_t> money_error(std::string_view text, const std::string& why) {
  return Error(Code::kInvalidArgument, why + ", got \"" + std::string(text) + "\"");
}

// Shared by money and per-call prices: bare digits are cents; `$` dollars
// with at most `max_decimals` decimals. Result in units of 10^-max_decimals
// dollars.
Result<int64_t> parse_amount(std::string_view text, int max_decimals, const std::string& form) {
  if (text.empty()) return money_error(text, "expected an amount: " + form);
  if (text.find('/') != std::string_view::npos) {
    return money_error(text, "expected an amount without a period: write the period in `period:` (limit: \"$10\", "
                             "period: day)");
  }
  if (text[0] == '-' || text.starts_with("$-")) return money_error(text, "an amount cannot be negative");
  if (text.find(',') != std::string_view::npos || text.find(' ') != std::string_view::npos) {
    return money_error(text, "expected an amount without separators: " + form);
  }
  int64_t scale = 1;
  for (int i = 0; i < max_decimals; ++i) scale *= 10;
  int64_t units = 0;
  if (text[0] == '$') {
    switch (parse_decimal(text.substr(1), max_decimals, units)) {
      case DecimalError::kNone: break;
      case DecimalError::kTooPrecise:
        return money_error(text, "at most " + std::to_string(max_decimals) + " digits after the point");
      case DecimalError::kTooLarge: return money_error(text, "the amount is too large");
      case DecimalError::kMalformed: return money_error(text, "expected an amount: " + form);
    }
  } else {
    bool digits = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
    int64_t cents = 0;
    if (digits) {
      // In micro-cents (prices), kMaxCents cents would not fit in 64 bits.
      if (!parse_digits(text, cents) || cents > kMaxCents || cents > INT64_MAX / (scale / 100)) {
        return money_error(text, "the amount is too large");
      }
      return cents * (scale / 100);
    }
    int64_t ignored = 0;
    if (parse_decimal(text, 18, ignored) != DecimalError::kMalformed) {
      return money_error(text, "a number with a point is ambiguous (cents or dollars?): write whole cents (1050) or "
                               "dollars with $ (\"$10.50\")");
    }
    return money_error(text, "expected an amount: " + form);
  }
  if (units < 0 || units / (scale / 100) > kMaxCents) return money_error(text, "the amount is too large");
  return units;
}

}  // namespace

Result<int64_t> parse_money_cents(std::string_view text) {
  return parse_amount(text, 2, "whole cents (1000) or dollars with $ (\"$10.00\")");
}

namespace {

// A price is what one call (or 1K tokens) costs: at most what one cost may be
// (base/money.h), so a priced call cannot record more than the ledger takes.
Result<int64_t> price_at_most_one_cost(std::string_view text, int64_t microcents) {
  if (microcents > kMaxCostMicrocents) {
    return money_error(text, "a price may be at most $10000000 (the most one cost may be)");
  }
  return microcents;
}

}  // namespace

Result<int64_t> parse_price_microcents(std::string_view text) {
  // Units of 10^-8 dollars are micro-cents.
  NAOS_ASSIGN_OR_RETURN(int64_t units,
                        parse_amount(text, 8, "whole cents (2) or dollars with $ (\"$0.0001\", up to 8 decimals)"));
  return price_at_most_one_cost(text, units);
}

Result<int64_t> parse_usd_microcents(std::string_view text) {
  std::string_view digits = text.starts_with('$') ? text.substr(1) : text;
  if (!digits.empty() && digits[0] == '-') return money_error(text, "a price cannot be negative");
  int64_t units = 0;
  switch (parse_decimal(digits, 8, units)) {
    case DecimalError::kNone: break;
    case DecimalError::kTooPrecise: return money_error(text, "at most 8 digits after the point");
    case DecimalError::kTooLarge: return money_error(text, "the price is too large");
    case DecimalError::kMalformed: return money_error(text, "expected US dollars like \"0.00025\"");
  }
  if (units < 0) return money_error(text, "the price is too large");
  return price_at_most_one_cost(text, units);
}

// ---- secrets ---------------------------------------------------------------

Result<std::string> resolve_secret(const SecretRef& secret,
                                   const std::function<std::optional<std::string>(const std::string&)>& env,
                                   std::string_view what) {
  auto value = env(secret.variable);
  if (!value || value->empty()) {
    return Error(Code::kNotFound, "environment variable " + secret.variable + " is not set (needed by " +
                                      std::string(what) + ")");
  }
  return *value;
}

// ---- the file --------------------------------------------------------------

namespace {

// YAML is Unicode text; yaml-cpp would pass other bytes through into names,
// prompts and descriptions that later reach a terminal or JSON. A file in
// UTF-16 or UTF-32 says so with its byte order mark and yaml-cpp decodes it.
Status check_utf8(std::string_view text, const std::string& label) {
  for (std::string_view bom : {std::string_view("\xFF\xFE"), std::string_view("\xFE\xFF"),
                               std::string_view("\0\0\xFE\xFF", 4)}) {
    if (text.substr(0, bom.size()) == bom) return ok();
  }
  size_t valid = utf8_prefix_length(text);
  if (valid == text.size()) return ok();
  size_t line_start = text.rfind('\n', valid == 0 ? 0 : valid - 1);
  line_start = line_start == std::string_view::npos || valid == 0 ? 0 : line_start + 1;
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + valid, '\n'));
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[valid]));
  return Error(Code::kInvalidArgument, std::string("not UTF-8 text: byte ") + byte + " (save the file as UTF-8)",
               label + ":" + std::to_string(line) + ":" + std::to_string(valid - line_start + 1));
}

Result<Config> parse(const std::string& text, const std::string& label,
                     std::optional<Reader::FolderCheck> folder_check) {
  // Before yaml-cpp builds the tree and the Reader walks it: size, one
  // document, depth and alias expansion (yaml_bounds.h).
  NAOS_TRY(check_yaml_bounds(text, label));
  NAOS_TRY(check_utf8(text, label));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Error(Code::kInvalidArgument, "malformed YAML: " + e.msg,
                 label + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1));
  }
  Reader reader(label);
  if (folder_check) reader.check_folders_on_disk(std::move(*folder_check));
  Config config;
  if (root.IsNull()) return config;
  // The Nexus docs' other spellings become ours before the strict reader
  // sees the tree (config_forms.h).
  NAOS_ASSIGN_OR_RETURN(DocumentedExtras extras, rewrite_documented_forms(root, label));
  NAOS_TRY(reader.check_keys(root, "", kTopLevelKeys));
  std::map<std::string, YAML::Mark> supervisor_marks;
  // Workflows, sagas and pools by name: where each is declared (one name may
  // be declared in several sections, which check_composites refuses).
  std::map<std::string, std::vector<std::pair<std::string, YAML::Mark>>> composite_marks;
  for (const auto& item : root) {
    std::string key = item.first.Scalar();
    const YAML::Node& value = item.second;
    if (key == "name") {
      NAOS_ASSIGN_OR_RETURN(config.name, reader.scalar(value, key));
    } else if (key == "version") {
      NAOS_ASSIGN_OR_RETURN(config.version, reader.scalar(value, key));
    } else if (key == "execution") {
      NAOS_ASSIGN_OR_RETURN(config.execution, reader.execution(value, key, true));
    } else if (key == "agents") {
      NAOS_TRY(reader.named(value, key, "agent",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& agent,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "agent"));
                              NAOS_ASSIGN_OR_RETURN(config.agents[name], reader.agent(name, agent, at));
                              return ok();
                            }));
    } else if (key == "supervisors") {
      NAOS_TRY(reader.named(value, key, "supervisor",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "supervisor"));
                              supervisor_marks[name] = key_node.Mark();
                              NAOS_ASSIGN_OR_RETURN(config.supervisors[name], reader.supervisor(name, node, at));
                              return ok();
                            }));
    } else if (key == "sagas") {
      NAOS_TRY(reader.named(value, key, "saga",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "saga"));
                              composite_marks[name].push_back({"sagas." + name, key_node.Mark()});
                              NAOS_ASSIGN_OR_RETURN(config.sagas[name], reader.saga(name, node, at));
                              return ok();
                            }));
    } else if (key == "workflows") {
      NAOS_TRY(reader.named(value, key, "workflow",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "workflow"));
                              composite_marks[name].push_back({"workflows." + name, key_node.Mark()});
                              NAOS_ASSIGN_OR_RETURN(config.workflows[name], reader.workflow(name, node, at));
                              return ok();
                            }));
    } else if (key == "pools") {
      NAOS_TRY(reader.named(value, key, "pool",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "pool"));
                              composite_marks[name].push_back({"pools." + name, key_node.Mark()});
                              NAOS_ASSIGN_OR_RETURN(config.pools[name], reader.pool(name, node, at));
                              return ok();
                            }));
    } else if (key == "cost") {
      NAOS_ASSIGN_OR_RETURN(config.cost, reader.cost(value, key));
    } else if (key == "trust") {
      NAOS_ASSIGN_OR_RETURN(config.trust, reader.trust(value, key));
    } else if (key == "broker") {
      NAOS_ASSIGN_OR_RETURN(config.broker, reader.broker(value, key));
    } else if (key == "skills") {
      if (value.IsSequence()) {
        return reader.error(value, key, "expected a mapping from skill name to its settings "
                                        "(skills: { summarize: { handler: ..., patterns: [...] } })");
      }
      NAOS_TRY(reader.named(value, key, "skill",
                            [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                                const std::string& at) -> Status {
                              NAOS_TRY(reader.check_name(key_node, at, name, "skill"));
                              NAOS_ASSIGN_OR_RETURN(config.skills[name], reader.skill(name, node, at));
                              return ok();
                            }));
    } else if (key == "llm") {
      NAOS_ASSIGN_OR_RETURN(config.llm, reader.llm(value, key));
    } else if (key == "dashboard") {
      NAOS_ASSIGN_OR_RETURN(config.dashboard, reader.dashboard(value, key));
    } else if (key == "audit") {
      NAOS_ASSIGN_OR_RETURN(config.audit, reader.audit(value, key));
    }
  }
  NAOS_TRY(reader.check_references(config, supervisor_marks));
  NAOS_TRY(reader.check_composites(config, supervisor_marks, composite_marks));
  for (auto& [agent, auid] : extras.auids) config.agents[agent].auid = std::move(auid);
  config.trust.min_t_score = extras.min_t_score;
  config.warnings = std::move(extras.warnings);
  return config;
}

// A config error quotes what the file says, and the file may hold any bytes
// (0xFF, ESC, a newline inside a quoted key): every message and warning
// leaves here printable, for the terminal and for --json alike.
Result<Config> printable_result(Result<Config> result) {
  if (!result) {
    const Error& e = result.error();
    return Error(e.code(), naos::printable(e.message()), naos::printable(e.context()));
  }
  for (ConfigWarning& warning : result->warnings) {
    warning.where = naos::printable(warning.where);
    warning.message = naos::printable(warning.message);
  }
  return result;
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& label) {
  return printable_result(parse(text, label, std::nullopt));
}

Result<Config> load_config(const std::filesystem::path& file, MissingFolders missing) {
  // Not read at all when too large (a config that is a symlink to a device
  // or a multi-gigabyte file).
  auto load = [&]() -> Result<Config> {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(file, ec);
    if (!ec) NAOS_TRY(check_yaml_size(size, file.string()));
    NAOS_ASSIGN_OR_RETURN(std::string text, read_file(file, "config file"));
    std::filesystem::path root = std::filesystem::absolute(file, ec).parent_path();
    return parse(text, file.string(), Reader::FolderCheck{root, missing});
  };
  return printable_result(load());
}

sandbox::Limits effective_limits(const Config& config, const AgentConfig* agent) {
  sandbox::Limits limits;
  auto apply = [&limits](const ExecutionConfig& e) {
    if (e.memory_bytes) limits.memory_bytes = *e.memory_bytes;
    if (e.timeout) limits.timeout = *e.timeout;
    if (e.fuel) limits.fuel = *e.fuel;
    if (e.max_output_bytes) limits.max_output_bytes = *e.max_output_bytes;
    if (e.max_log_bytes) limits.max_log_bytes = *e.max_log_bytes;
  };
  apply(config.execution);
  if (agent != nullptr) apply(agent->execution);
  return limits;
}

ConfigErrorParts split_config_error(const Error& error) {
  ConfigErrorParts out;
  out.file = error.context();
  out.message = error.message();
  // "file:line:col": the last two fields, when both are numbers.
  auto number = [](std::string_view s, int& n) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  size_t last = error.context().rfind(':');
  if (last != std::string::npos && last > 0) {
    size_t before = error.context().rfind(':', last - 1);
    int line = 0, column = 0;
    if (before != std::string::npos && number(std::string_view(error.context()).substr(before + 1, last - before - 1), line) &&
        number(std::string_view(error.context()).substr(last + 1), column)) {
      out.file = error.context().substr(0, before);
      out.line = line;
      out.column = column;
    }
  }
  // "key.path: message" — only for errors with a position (config content).
  size_t colon = error.message().find(": ");
  if (out.line > 0 && colon != std::string::npos && error.message().rfind("malformed YAML", 0) != 0) {
    out.path = error.message().substr(0, colon);
    out.message = error.message().substr(colon + 2);
  }
  return out;
}

// ---- enum names and tables -------------------------------------------------

namespace {
template <typename E>
std::string_view name_in(Keys names, E value, int base = 0) {
  size_t i = static_cast<size_t>(static_cast<int>(value) - base);
  return i < names.size() ? names[i] : std::string_view("?");
}
}  // namespace

std::string_view enum_name(SupervisorStrategy value) { return name_in(kStrategyNames, value); }
std::string_view enum_name(RestartType value) { return name_in(kRestartNames, value); }
std::string_view enum_name(OnError value) { return name_in(kOnErrorNames, value); }
std::string_view enum_name(PoolStrategy value) { return name_in(kPoolStrategyNames, value); }
std::string_view enum_name(MergeMode value) { return name_in(kMergeNames, value); }
std::string_view enum_name(Enforcement value) { return name_in(kEnforcementNames, value); }
std::string_view enum_name(BudgetPeriod value) { return name_in(kPeriodNames, value); }
std::string_view enum_name(OnExceed value) { return name_in(kOnExceedNames, value); }
std::string_view enum_name(TrustTier value) { return name_in(kTierNames, value, 1); }
std::string_view enum_name(CreditRating value) { return name_in(kRatingNames, value); }

namespace {

// The canonical tables with the documented forms' keys added (the JSON
// Schema lists both), built once.
struct MergedKeyTables {
  std::vector<std::vector<std::string_view>> keys;
  std::vector<SchemaKeyTable> tables;
  MergedKeyTables() {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> merged;
    for (const SchemaKeyTable& table : kKeyTables) merged.emplace_back(table.path, std::vector(table.keys.begin(), table.keys.end()));
    for (const SchemaKeyTable& table : documented_key_tables()) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.first == table.path; });
      if (same == merged.end()) same = merged.insert(merged.end(), {table.path, {}});
      same->second.insert(same->second.end(), table.keys.begin(), table.keys.end());
    }
    keys.reserve(merged.size());  // the spans below point into these vectors
    for (auto& [path, list] : merged) {
      keys.push_back(std::move(list));
      tables.push_back({path, keys.back()});
    }
  }
};

}  // namespace

std::span<const SchemaKeyTable> schema_key_tables() {
  static const MergedKeyTables merged;
  return merged.tables;
}

std::span<const SchemaEnumTable> schema_enum_tables() {
  static const std::vector<SchemaEnumTable> all = [] {
    std::vector<SchemaEnumTable> out(std::begin(kEnumTables), std::end(kEnumTables));
    for (const SchemaEnumTable& table : documented_enum_tables()) out.push_back(table);
    return out;
  }();
  return all;
}

std::vector<std::string> accepted_spellings(const SchemaEnumTable& table) {
  std::vector<std::string> out;
  for (auto value : table.values) {
    out.emplace_back(value);
    if (underscored(value) != value) out.push_back(underscored(value));
  }
  return out;
}

}  // namespace naos::project
