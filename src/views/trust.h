// AXIS trust as `naos axis ... --json` prints it and /api/v1/trust answers
// it: a report is governance::to_json(TrustReport) (tier, t_score, rating,
// criteria, ...), the rest wraps it.
#pragma once

#include <nlohmann/json.hpp>

#include "core/axis.h"

namespace naos::views {

// agent, auid, module_hash, trust.
nlohmann::json registration_json(const axis::Registration& registration);
// agent, passed, total, failures, trust.
nlohmann::json verification_json(const axis::Verification& verification);
// The report, with may_run (trust.minimum* would let it run) and
// gated_capabilities (withheld by trust.capabilityTiers).
nlohmann::json standing_json(const axis::Standing& standing);
// auid, agent, template, description, module_hash, registered, tier, t_score, rating.
nlohmann::json directory_entry_json(const axis::DirectoryEntry& entry);

}  // namespace naos::views
