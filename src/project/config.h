// Config — nexus.config.yaml, parsed and validated.
//
// Validation is strict: an unknown key is an error with the closest valid key
// suggested, and every error names the file, line, column and key path
// ("nexus.config.yaml:7:5: agents.researcher.execution.memoryLimt: unknown key;
// did you mean memoryLimit?"). Sizes, durations and counts parse with
// base/units.h. docs/config.md is the reference for every key.
//
// The sections for later layers (supervisors, sagas, workflows, pools, cost,
// trust, broker, skills, llm, dashboard, audit) are recognised here and
// validated by the issues that build them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sandbox/grants.h"
#include "sandbox/limits.h"

namespace naos::project {

// `execution:` — sandbox limits, at the top level (defaults) or per agent.
struct ExecutionConfig {
  std::optional<uint64_t> memory_bytes;      // memoryLimit
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<uint64_t> fuel;              // 0 = no fuel limit
  std::optional<uint32_t> max_instances;     // top level only
  std::optional<uint64_t> max_output_bytes;  // maxOutput
  std::optional<uint64_t> max_stack_bytes;   // maxStack, top level only (engine-wide)
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
  ExecutionConfig execution;
  CapabilitiesConfig capabilities;
  std::vector<AgentTest> tests;
};

struct Config {
  std::string name;
  ExecutionConfig execution;
  std::map<std::string, AgentConfig> agents;
};

// Errors: kInvalidArgument with "file:line:col" context for any invalid
// content; kNotFound when the file does not exist.
Result<Config> load_config(const std::filesystem::path& file);
// `label` names the source in errors (a file name).
Result<Config> parse_config(const std::string& text, const std::string& label);

// The limits for one run: built-in defaults, then `execution`, then the
// agent's own `execution`.
sandbox::Limits effective_limits(const Config& config, const AgentConfig* agent);

}  // namespace naos::project
