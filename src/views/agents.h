// An agent as `naos list --json`, `naos inspect NAME --json` and
// GET /api/v1/agents[/NAME] show it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/naos.h"

namespace naos::views {

// Its lifecycle status, or "not created" for an agent only in the config.
std::string agent_status(const Naos::AgentView& view);

// Name, id, status, template, source, module hash, metadata, times.
nlohmann::json agent_json(const Naos::AgentView& view);

// agent_json, with its granted capabilities and its five newest audit events
// (read from `audit_db`, the project's database, used by this thread only).
// Errors: the audit query's.
Result<nlohmann::json> agent_detail_json(const Naos::AgentView& view, store::Database& audit_db);

// How `naos stop NAME` went: agent, from (its status before), how
// (stopped, killed, orphaned, was_not_running), pid, waited_ms.
nlohmann::json stop_report_json(const StopReport& report);

}  // namespace naos::views
