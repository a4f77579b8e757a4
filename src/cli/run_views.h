// What the workflow, saga, pool and runs commands share: how a run, its
// result and its journal print, and stopping a run cleanly on Ctrl-C.
#pragma once

#include <atomic>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "orchestration/journal.h"
#include "orchestration/orchestrator.h"

namespace naos::cli {

// The JSON of runs, results and journal entries is views/runs.h.

// Prints a finished (or stopped) run; returns the exit status: 0 completed,
// 1 otherwise (2 is for errors before the run). A saga that rolled back says
// SAGA_STEP_FAILED, one whose compensation failed SAGA_COMPENSATION_FAILED.
int print_result(const Globals& globals, const orchestration::RunResult& result);
// The runs as a table (ID, KIND, NAME, STATE, STARTED, UPDATED) or JSON.
void print_runs(const Globals& globals, const std::vector<orchestration::RunRecord>& runs);
// One run and its journal, entry by entry.
int print_history(const Globals& globals, orchestration::Journal& journal, const orchestration::RunRecord& run);

// Errors of the orchestration commands with their product codes: for a saga,
// kNotFound is SAGA_NOT_FOUND, and kFailedPrecondition on a start (another
// run unfinished, or this id driven by a live process) SAGA_ALREADY_RUNNING.
int report_run_error(const Globals& globals, const Error& error, const std::string& kind, bool starting = false);

}  // namespace naos::cli
