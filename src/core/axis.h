// AXIS (docs/trust.md): what `naos axis` and /api/v1/trust do — register an
// agent's module, verify it against the tests its config declares, show its
// standing, list the registered ones — beside the gates of core/trust.cc.
//
// The score is recomputed from the audit log every time it is asked for;
// data/axis-cache.json keeps the last report per agent for `axis cache` and
// for tools that want it without opening the database:
//     {"version": 1, "agents": {"<name>": <to_json(TrustReport)>, ...}}
// A trust.changed event is recorded whenever register, verify or a standing
// sees a tier other than the one the newest trust.changed recorded.
//
// Threading: any thread; the cache's read-modify-write is serialized within
// the process, and written whole (temporary file, rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "core/naos.h"
#include "governance/trust.h"

namespace naos::axis {

// The actor of what AXIS records and runs.
inline constexpr const char* kActor = "axis";

struct Registration {
  std::string agent;
  std::string auid;  // axis://agent/NAME/HASH8
  std::string module_hash;
  governance::TrustReport report;
};

struct Verification {
  std::string agent;
  int passed = 0;
  int total = 0;
  // {"test": N (1-based), "reason", and "output"/"expect" when it ran}
  nlohmann::json failures = nlohmann::json::array();
  governance::TrustReport report;
};

// An agent's report and what this project's trust config makes of it.
struct Standing {
  governance::TrustReport report;
  std::optional<std::string> refused;  // why trust.minimum* refuse to run it
  std::vector<std::string> gated_capabilities;  // withheld by trust.capabilityTiers
};

struct DirectoryEntry {
  std::string auid;
  std::string agent;
  std::string template_name;
  std::string description;
  std::string module_hash;
  int64_t registered_ms = 0;
  governance::TrustReport report;
};

std::filesystem::path cache_file(Naos& naos);
// The cache, or an empty one when it is missing or not what naos wrote.
nlohmann::json read_cache(Naos& naos);

// Scores the agent, records trust.changed when `record_change` and its
// tier moved, and caches the report.
Result<governance::TrustReport> refresh(Naos& naos, const Naos::AgentView& view, bool record_change);

// Records axis.registered with the agent's module hash and AUID.
// Errors: kNotFound (no such agent); kFailedPrecondition (no module yet).
Result<Registration> register_agent(Naos& naos, const std::string& name);

// Runs the agent's declared tests (`tests:` in its config), records
// axis.verified, and rescores it. Failing tests lower the score; they are
// not an error.
Result<Verification> verify(Naos& naos, const Naos::AgentView& view);

// Errors: kNotFound.
Result<Standing> standing(Naos& naos, const std::string& name);

// The agents registered with `register`, by AUID. `search` matches name,
// template or description (any case); `at_least` keeps that tier or better.
Result<std::vector<DirectoryEntry>> directory(Naos& naos, const std::string& search,
                                              std::optional<governance::Tier> at_least);

}  // namespace naos::axis
