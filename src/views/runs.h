// Workflow, saga and pool runs as `naos runs --json`, `naos workflow|saga
// run|status|history --json` and GET /api/v1/runs[/ID] show them.
#pragma once

#include <nlohmann/json.hpp>

#include "orchestration/journal.h"
#include "orchestration/orchestrator.h"

namespace naos::views {

// A run as recorded: id, kind, name, state, input, output (bytes as
// base/bytes_json.h writes them), error, started, updated, parent, owner_pid.
nlohmann::json run_json(const orchestration::RunRecord& run);
// How a run ended (or where a stopped one stands): id, kind, name, state,
// output, error, reused.
nlohmann::json result_json(const orchestration::RunResult& result);
// One journal entry: seq, step, step_name, event, attempt, data, timestamp.
nlohmann::json entry_json(const orchestration::Entry& entry);

}  // namespace naos::views
