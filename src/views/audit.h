// An audit event as `naos audit --json` and GET /api/v1/audit and
// /api/v1/events show it (PRODUCT.md "audit": id, timestamp, agent_id,
// agent_name, action, detail, actor, payload, hash, prev_hash).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "governance/audit_log.h"

namespace naos::views {

// The one-line human summary of an event's payload (at most 100 bytes).
std::string audit_detail(const governance::AuditEvent& event);

nlohmann::json audit_event_json(const governance::AuditEvent& event);

}  // namespace naos::views
