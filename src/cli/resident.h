// What the resident commands share: `naos daemon` and `naos serve`.
//
// One resident process per project: `naos daemon` and `naos serve` both run
// every scheduled agent and resume unfinished runs, so two of them would run
// each scheduled agent twice and race to resume the same runs. Whichever
// starts first holds an flock on data/daemon.lock (its pid, and the address
// it serves, written inside) for as long as it runs; the kernel drops the
// lock when the holder dies, even by SIGKILL.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file_lock.h"
#include "cli/cli.h"
#include "base/result.h"
#include "project/project.h"

namespace naos::cli {

// This project's lock, with this process's pid written inside.
// Errors: kFailedPrecondition naming the pid (and address) of the holder.
Result<FileLock> lock_daemon(const project::Project& project);

// Adds the address this process serves to what the lock file says.
Status announce_address(FileLock& lock, const std::string& url);

// Prints `line` as JSON (--json) or `text`, on stderr when `error` (text
// only), one whole line at a time among the resident threads.
void print_line(const Globals& globals, const nlohmann::json& line, const std::string& text, bool error);

// The ids of the top-level workflow and saga runs a killed naos left
// unfinished, listed now: before this process starts runs of its own, which
// must not be taken for them (a dead process's pid may be this one's, as
// in a container where naos is always pid 1). `naos serve` lists them before
// its API takes requests. Errors: the journal's.
Result<std::vector<std::string>> unfinished_runs(Naos& naos);

// Resumes `runs` (`stop` ends the wait), printing a line (or JSON object)
// for each; how many it resumed. Errors: the orchestrator's.
Result<size_t> resume_and_report(const Globals& globals, Naos& naos, const std::vector<std::string>& runs,
                                 const std::atomic<bool>& stop);

// Runs the scheduled agents on time until `stop`, printing a line (or JSON
// object) for each run. Errors: Naos::serve_schedules's.
Status serve_schedules_and_report(const Globals& globals, Naos& naos, const std::atomic<bool>& stop);

}  // namespace naos::cli
