// Config — nexus.config.yaml, parsed and validated.
//
// The whole schema of PRODUCT.md is parsed into the typed structs below, even
// for sections whose feature arrives later: a config that validates today
// keeps validating when the feature behind a section is built.
//
// Validation is strict: an unknown key is an error with the closest valid key
// suggested, and every error names the file, line, column and key path
// ("nexus.config.yaml:7:5: agents.researcher.execution.memoryLimt: unknown key;
// did you mean memoryLimit?"). Sizes, durations and counts parse with
// base/units.h; money and prices with the parsers below, in integers only.
// docs/config.md is the reference for every key, default and error, and
// docs/nexus.config.schema.json is the same schema for editors
// (config_schema_test.cc keeps the two in sync through schema_key_tables()
// and schema_enum_tables()).
//
// Invariants of a Config returned by parse_config():
//   - every name a section refers to exists: supervisor children are agents or
//     supervisors (or workflows, run as long-lived children); saga and
//     workflow steps are agents, workflows, sagas or pools, with no cycle
//     of nesting; pool members and budgets (except `global`) are agents;
//   - agents, supervisors, workflows, sagas and pools have distinct names; broker.llm.provider is in llm.providers;
//   - the supervisors form a forest: each agent or supervisor has at most one
//     parent, there is no cycle, and no tree is deeper than
//     kMaxSupervisionDepth levels of supervisors;
//   - no agent and supervisor share a name;
//   - secrets are never values: an `apiKey` holds the NAME of an environment
//     variable (SecretRef), resolved by resolve_secret() at use time; a value
//     that looks like a literal API key anywhere in the file is refused.
//
// Ownership and threading: plain value types; parse_config() and load_config()
// are pure functions of their input and may run on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sandbox/grants.h"
#include "sandbox/limits.h"

namespace naos::project {

using std::chrono::milliseconds;

// ---- money -----------------------------------------------------------------
//
// Money is whole cents (int64_t). Prices finer than a cent (per call, per 1K
// tokens) are micro-cents: 1 micro-cent = 1/1,000,000 cent = $0.00000001, so a
// price in dollars may have up to 8 digits after the point. No floating point
// anywhere: amounts are parsed digit by digit.
inline constexpr int64_t kMicroCentsPerCent = 1'000'000;
// The largest amount accepted, in cents ($10,000,000,000,000.00). Far below
// INT64_MAX so that a ledger summing many amounts cannot overflow.
inline constexpr int64_t kMaxCents = 1'000'000'000'000'000;

// `1000` = 1000 cents; `"$10.00"`, `"$10.5"` and `"$10"` = dollars (at most
// two decimals). A number with a point but no `$` (`10.5`) is refused as
// ambiguous, as are negatives, `"$10.001"` and amounts over kMaxCents.
// Errors: kInvalidArgument with a message saying what to write instead.
Result<int64_t> parse_money_cents(std::string_view text);
// A price per call: like money (`2` = 2 cents) but `"$0.0001"` may have up to
// 8 decimals. Returns micro-cents.
Result<int64_t> parse_price_microcents(std::string_view text);
// A price in US dollars, as PRODUCT.md writes model prices per 1K tokens:
// `"0.00025"`, `0.00025` or `"$0.00025"`, at most 8 decimals. Returns
// micro-cents. A bare integer here is dollars: the unit is fixed by the key.
Result<int64_t> parse_usd_microcents(std::string_view text);

// ---- secrets ---------------------------------------------------------------

// A `${NAME}` reference to an environment variable. Only the name is kept;
// the value is read by resolve_secret() when it is used, and never printed,
// logged, audited or stored.
struct SecretRef {
  std::string variable;
  bool operator==(const SecretRef&) const = default;
};

// The variable's value, looked up with `env` (main() passes getenv; tests a
// map). Errors: kNotFound "environment variable NAME is not set (needed by
// WHAT)"; no message ever contains a value.
Result<std::string> resolve_secret(const SecretRef& secret,
                                   const std::function<std::optional<std::string>(const std::string&)>& env,
                                   std::string_view what);

// ---- execution and agents --------------------------------------------------

// `execution:` — sandbox limits, at the top level (defaults) or per agent.
struct ExecutionConfig {
  std::optional<uint64_t> memory_bytes;      // memoryLimit
  std::optional<milliseconds> timeout;
  std::optional<uint64_t> fuel;              // 0 = no fuel limit
  std::optional<uint32_t> max_instances;     // top level only
  std::optional<uint64_t> max_output_bytes;  // maxOutput
  std::optional<uint64_t> max_log_bytes;     // maxLog
  std::optional<uint64_t> max_stack_bytes;   // maxStack, top level only (engine-wide)
  // compileTimeout / compileMemory, top level only: the bounds of compiling
  // a module (sandbox/module_compiler.h); over them: module_too_complex.
  std::optional<milliseconds> compile_timeout;
  std::optional<uint64_t> compile_memory_bytes;
};

struct CapabilitiesConfig {
  sandbox::NetworkAccess network = sandbox::NetworkAccess::kNone;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> read;   // project-relative folders
  std::vector<std::string> write;
  std::vector<std::string> env;    // host variable names passed through
  bool kv = false;
  bool llm = false;
};

struct AgentTest {
  std::string input;
  std::string expect;
};

struct AgentConfig {
  std::string name;
  std::string template_name;  // `template:`
  std::string source;         // `source:`, project-relative .wasm
  std::string description;
  ExecutionConfig execution;
  CapabilitiesConfig capabilities;
  std::vector<AgentTest> tests;
  // When `naos daemon` runs the agent (project/schedule.h); empty: never.
  std::string schedule;
  // `axis: { auid }` of the Nexus docs: the agent's identifier in a hosted
  // AXIS registry. Kept for reference; naos computes trust locally.
  std::string auid;
};

// ---- supervisors -----------------------------------------------------------

enum class SupervisorStrategy { kOneForOne, kOneForAll, kRestForOne };
// When a child is restarted (OTP's restart types): kPermanent always, even
// after it completes; kTransient only after it failed; kTemporary never.
enum class RestartType { kPermanent, kTransient, kTemporary };

// Every supervision default in one place (STYLE.md rule 10; docs/config.md
// "supervisors").
inline constexpr SupervisorStrategy kDefaultStrategy = SupervisorStrategy::kOneForOne;
inline constexpr RestartType kDefaultRestartType = RestartType::kTransient;
inline constexpr uint32_t kDefaultMaxRestarts = 3;
inline constexpr milliseconds kDefaultRestartWindow{60'000};
inline constexpr milliseconds kDefaultShutdown{5'000};
inline constexpr milliseconds kDefaultBackoffMin{100};
inline constexpr milliseconds kDefaultBackoffMax{30'000};
inline constexpr double kDefaultBackoffJitter = 0.2;
inline constexpr int kMaxSupervisionDepth = 10;

// Delay before restart n (1-based): min * 2^(n-1), capped at max, then
// randomised by +-jitter (a fraction, 0..1).
struct BackoffConfig {
  milliseconds min = kDefaultBackoffMin;
  milliseconds max = kDefaultBackoffMax;
  double jitter = kDefaultBackoffJitter;
};

struct SupervisorChild {
  std::string name;  // an agent or another supervisor
  RestartType restart = kDefaultRestartType;
  std::optional<milliseconds> shutdown;  // overrides the supervisor's
};

struct SupervisorConfig {
  std::string name;
  SupervisorStrategy strategy = kDefaultStrategy;
  uint32_t max_restarts = kDefaultMaxRestarts;
  milliseconds restart_window = kDefaultRestartWindow;
  std::vector<SupervisorChild> children;  // in start order
  std::optional<BackoffConfig> backoff;   // absent: restart at once
  milliseconds shutdown = kDefaultShutdown;  // graceful stop before a kill
};

// ---- sagas and workflows ---------------------------------------------------

// `retry:` of a workflow, workflow step or saga step (Temporal's policy
// shape). Unset fields fall back to the enclosing level, then to the
// defaults of orchestration/retry_policy.h.
struct RetryConfig {
  std::optional<uint32_t> max_attempts;       // 1 = no retry
  std::optional<milliseconds> initial_interval;
  std::optional<double> backoff_coefficient;  // >= 1
  std::optional<milliseconds> max_interval;
  // Failure names (StepResult::error: "timeout", "exit_status", ...) never retried.
  std::vector<std::string> non_retryable;
};

// A step's `agent:` names an agent, or a workflow, saga or pool run as one
// nested step (config validation refuses cycles).
struct SagaStep {
  std::string name;        // default: the agent's name; unique in the saga
  std::string agent;
  std::string compensate;  // empty: nothing to undo (skipped on rollback)
  uint32_t retries = 0;    // extra attempts of the forward step
  std::optional<milliseconds> timeout;  // overrides the saga's stepTimeout
  std::optional<RetryConfig> retry;     // overrides `retries`
};

inline constexpr uint32_t kDefaultCompensationRetries = 3;

struct SagaConfig {
  std::string name;
  std::optional<milliseconds> timeout;       // whole saga; absent: none
  std::optional<milliseconds> step_timeout;  // each step; absent: the agent's timeout
  std::vector<SagaStep> steps;
  bool parallel_compensation = false;          // compensate all at once, not newest first
  bool continue_on_compensation_error = false; // keep compensating older steps
  uint32_t compensation_retries = kDefaultCompensationRetries;  // extra attempts of a compensation
};

enum class OnError { kStop, kSkip, kRetry };

// `condition:` of a workflow step, tested against the step's input (JSON):
//   "/ready"            the value at /ready exists and is not false, null, 0 or ""
//   "!/ready"           the opposite
//   "/kind == \"pdf\""  equal to a JSON scalar (string, number, true, false, null)
//   "/kind != \"pdf\""
struct StepCondition {
  enum class Op { kTruthy, kFalsy, kEquals, kNotEquals };
  std::string pointer;  // RFC 6901 JSON pointer
  Op op = Op::kTruthy;
  std::string literal;  // JSON text of the scalar, for kEquals / kNotEquals
  std::string text;     // as written
};

struct WorkflowStep {
  std::string name;  // default: the agent's name; unique in the workflow
  std::string agent;
  std::optional<OnError> on_error;            // absent: the workflow's
  std::optional<uint32_t> retries;            // absent: the workflow's
  std::optional<milliseconds> retry_delay;    // absent: the workflow's
  std::optional<milliseconds> timeout;        // absent: the agent's
  std::optional<std::string> input;           // JSON pointer into the previous output
  std::optional<StepCondition> condition;     // absent: always run
  std::optional<RetryConfig> retry;           // absent: the workflow's
};

inline constexpr uint32_t kDefaultWorkflowRetries = 3;
inline constexpr milliseconds kDefaultRetryDelay{5'000};

struct WorkflowConfig {
  std::string name;
  OnError on_error = OnError::kStop;
  uint32_t retries = kDefaultWorkflowRetries;
  milliseconds retry_delay = kDefaultRetryDelay;
  std::optional<RetryConfig> retry;
  std::vector<WorkflowStep> steps;
};

// ---- pools -----------------------------------------------------------------

enum class PoolStrategy { kRoundRobin, kLeastBusy, kRandom };
enum class MergeMode { kAll, kFirst, kMajority, kQuorum };

// How many failed members a pool run tolerates before it counts as `failed`
// rather than `partial`: a count, or a percent of the members.
struct Tolerance {
  enum class Kind { kCount, kPercent };
  Kind kind = Kind::kPercent;
  uint32_t value = 100;
};

enum class TrustTier { kT1 = 1, kT2, kT3, kT4, kT5 };

// Either a fan-out pool (`members`: distinct agents, all run at once) or a
// clone pool (`agent` + `size`: N copies fed from a task queue).
struct PoolConfig {
  std::string name;
  std::vector<std::string> members;
  std::string agent;
  uint32_t size = 0;
  PoolStrategy strategy = PoolStrategy::kRoundRobin;  // clone pools only
  MergeMode merge = MergeMode::kAll;
  uint32_t quorum = 0;                      // with MergeMode::kQuorum: 1..workers
  std::optional<uint32_t> max_concurrency;  // absent: every worker at once
  Tolerance tolerate;
  uint32_t retries = 0;                     // extra attempts of each member or task
  std::optional<milliseconds> timeout;      // each member or task; absent: the agent's
  // Members and clones must be of this Trust Tier or better (T1 is best);
  // absent: no gate. A worse one is refused, audited capability.denied.
  std::optional<TrustTier> min_tier;

  bool fan_out() const { return !members.empty(); }
  uint32_t workers() const { return fan_out() ? static_cast<uint32_t>(members.size()) : size; }
};

// ---- cost ------------------------------------------------------------------

enum class Enforcement { kHard, kSoft, kWarn };
enum class BudgetPeriod { kHour, kDay, kWeek, kMonth, kTotal };
enum class OnExceed { kPause, kStop, kThrottle, kWarn };

inline constexpr std::string_view kGlobalBudget = "global";
inline constexpr uint32_t kDefaultAlertAtPercent = 80;

struct BudgetConfig {
  std::string target;  // an agent, or kGlobalBudget for all agents together
  int64_t limit_cents = 0;
  BudgetPeriod period = BudgetPeriod::kDay;
  OnExceed on_exceed = OnExceed::kPause;
  uint32_t alert_at_percent = kDefaultAlertAtPercent;  // 0 = no alert
};

// USD per 1K tokens, in micro-cents per 1K tokens.
struct ModelPrice {
  int64_t input_per_1k = 0;
  int64_t output_per_1k = 0;
  std::optional<int64_t> cached_input_per_1k;  // absent: input_per_1k
  std::optional<int64_t> cache_write_per_1k;   // absent: input_per_1k
};

struct CostConfig {
  Enforcement enforcement = Enforcement::kHard;
  std::string timezone = "UTC";  // when periods reset
  std::map<std::string, BudgetConfig> budgets;
  std::map<std::string, ModelPrice> models;
  // Host pattern (as in allowedHosts) -> micro-cents per HTTP call.
  std::map<std::string, int64_t> endpoints;
};

// ---- trust, broker, skills, llm, dashboard, audit --------------------------

// T1 is the best tier (PRODUCT.md "Trust"); AAA the best rating.
enum class CreditRating { kAAA, kAA, kA, kBBB, kBB, kB, kCCC, kCC, kC, kD };

struct TrustConfig {
  std::optional<TrustTier> minimum_tier;          // absent: no gate
  std::optional<CreditRating> min_credit_rating;  // absent: no gate
  // `requirements.minTScore` of the Nexus docs: agents under this T-Score
  // (0-100) cannot run; absent: no gate.
  std::optional<uint32_t> min_t_score;
  // Capability ("network", "filesystem", "env", "kv", "llm") -> the worst
  // tier that may be granted it.
  std::map<std::string, TrustTier> capability_tiers;
};

struct BrokerConfig {
  bool enabled = true;
  double confidence_threshold = 0.9;
  bool prefer_skill = true;
  bool llm_as_last_resort = true;
  std::string llm_provider;  // a key of llm.providers; empty: no LLM fallback
  std::string llm_model;
  bool cache_enabled = true;
  milliseconds cache_ttl{3'600'000};
};

struct SkillConfig {
  std::string name;
  std::string description;
  std::string handler;  // project-relative .wasm
  std::vector<std::string> patterns;
  int64_t cost_per_call = 0;  // micro-cents
};

struct LlmProviderConfig {
  std::string name;
  std::optional<SecretRef> api_key;
  std::string base_url;  // empty: the provider's default
};

struct LlmConfig {
  std::map<std::string, LlmProviderConfig> providers;
};

struct DashboardConfig {
  uint16_t port = 4200;
  std::string bind = "127.0.0.1";
};

struct AuditConfig {
  uint32_t retention_days = 0;  // 0 = keep forever
};

// ---- the file --------------------------------------------------------------

// A one-line notice about an accepted file (a section for a feature out of
// scope, config_forms.h): where ("file:line:col") and what.
struct ConfigWarning {
  std::string where;
  std::string message;
};

struct Config {
  std::string name;
  std::string version;
  ExecutionConfig execution;
  std::map<std::string, AgentConfig> agents;
  std::map<std::string, SupervisorConfig> supervisors;
  std::map<std::string, SagaConfig> sagas;
  std::map<std::string, WorkflowConfig> workflows;
  std::map<std::string, PoolConfig> pools;
  CostConfig cost;
  TrustConfig trust;
  BrokerConfig broker;
  std::map<std::string, SkillConfig> skills;
  LlmConfig llm;
  DashboardConfig dashboard;
  AuditConfig audit;
  // Printed by every command that loads the file (cli/), never fatal.
  std::vector<ConfigWarning> warnings;
};

// How strictly load_config() checks the folders of `filesystem` grants on
// disk (project/grant_paths.h). Either way a folder that exists and resolves
// to data/, around it or outside the project is refused. A missing folder is
// an error for `naos config validate` (kRefused); other commands load the
// config with kAllowed, so one agent's missing output folder does not stop
// every command (its run is refused when it starts).
enum class MissingFolders { kAllowed, kRefused };

// Errors: kInvalidArgument with "file:line:col" context for any invalid
// content; kNotFound when the file does not exist. The project root, for the
// grant checks, is the file's folder.
Result<Config> load_config(const std::filesystem::path& file, MissingFolders missing = MissingFolders::kAllowed);
// `label` names the source in errors (a file name). Grants are checked as
// written only: nothing on disk is looked at.
Result<Config> parse_config(const std::string& text, const std::string& label);

// The limits for one run: built-in defaults, then `execution`, then the
// agent's own `execution`.
sandbox::Limits effective_limits(const Config& config, const AgentConfig* agent);

// A config error taken apart for `naos config validate --json`: the context
// "file:line:col" and the message "key.path: what is wrong". Fields that the
// error does not carry are empty / 0.
struct ConfigErrorParts {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;
  std::string message;
};
ConfigErrorParts split_config_error(const Error& error);

// Canonical spellings (kebab-case) of the enums, for printing.
std::string_view enum_name(SupervisorStrategy value);
std::string_view enum_name(RestartType value);
std::string_view enum_name(OnError value);
std::string_view enum_name(PoolStrategy value);
std::string_view enum_name(MergeMode value);
std::string_view enum_name(Enforcement value);
std::string_view enum_name(BudgetPeriod value);
std::string_view enum_name(OnExceed value);
std::string_view enum_name(TrustTier value);
std::string_view enum_name(CreditRating value);

// ---- the validator's tables (for the JSON Schema test) ---------------------
//
// Paths are the key path with "*" for any name in a map and "[]" for any item
// of a list: "agents.*.capabilities", "sagas.*.steps[]", "" for the top level.

// A mapping the validator checks strictly, and exactly the keys it accepts.
struct SchemaKeyTable {
  std::string_view path;
  std::span<const std::string_view> keys;
};
std::span<const SchemaKeyTable> schema_key_tables();

// A value that must be one of `values` (canonical spellings). The validator
// also accepts each with `_` for `-` (one_for_one); accepted_spellings()
// lists both.
struct SchemaEnumTable {
  std::string_view path;
  std::span<const std::string_view> values;
};
std::span<const SchemaEnumTable> schema_enum_tables();
std::vector<std::string> accepted_spellings(const SchemaEnumTable& table);

}  // namespace naos::project
