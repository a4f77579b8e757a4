// Registry — the agents a project knows, with their lifecycle state, in the
// `agents` table (store/schema.h).
//
// Lifecycle (PRODUCT.md "Agents"; a restart is an event, not a state):
//
//            create           run                 run ends
//   (none) ─────────► created ───► running ───┬──► completed ──┐
//                       │  ▲         ▲  │     ├──► failed ─────┤
//                build  ▼  │         │  │     └──► budget_exceeded
//                      idle ─────────┘  │ stop       │ cost reset / new period
//                                       ▼            ▼
//                                    stopped ◄──── (idle)
//   completed | failed | stopped | idle ── run ──► running
//   every state but running ── delete ──► (none)
//
// Transitions, and the function that performs each:
//   -> created             Registry::create
//   created -> idle        Registry::set_module (a module was built or registered)
//   X -> running           Registry::transition(kRunning), only from created/idle/
//                          completed/failed/stopped (Naos::run, which starts a new run)
//   running -> completed | failed | budget_exceeded | stopped
//                          Registry::transition (Naos::run when the run ends; stop)
//   budget_exceeded -> idle  Registry::transition (cost reset)
//   X -> (none)            Registry::remove, refused while running
// Any other transition is kFailedPrecondition naming both states.
//
// Threading: safe from any thread (one mutex around the shared connection).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/result.h"
#include "store/database.h"

namespace naos::project {

enum class AgentStatus { kCreated, kIdle, kRunning, kStopped, kCompleted, kFailed, kBudgetExceeded };

std::string_view status_name(AgentStatus status);
std::optional<AgentStatus> parse_status(std::string_view name);
// Whether the lifecycle allows `from` -> `to` (the table above).
bool transition_allowed(AgentStatus from, AgentStatus to);

struct AgentRecord {
  std::string id;  // agent_id(name)
  std::string name;
  std::string template_name;
  AgentStatus status = AgentStatus::kCreated;
  std::string source;       // project-relative module path
  std::string module_hash;  // SHA-256 of the module, "" until built
  std::string metadata = "{}";  // JSON object
  // The process that last moved the agent to running ({0, 0}: unknown); when
  // it is no longer alive, `running` is what a killed process left behind.
  ProcessIdentity runner;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// A short stable ID: the first 12 hex digits of SHA-256("agent:" + name).
std::string agent_id(std::string_view name);

class Registry {
 public:
  explicit Registry(store::Database& database) : database_(database) {}

  // Errors: kAlreadyExists when the name is taken.
  Result<AgentRecord> create(AgentRecord record, int64_t now_ms);
  // nullopt when there is no such agent.
  Result<std::optional<AgentRecord>> find(std::string_view name);
  Result<std::vector<AgentRecord>> list();
  // Records a built or registered module; created -> idle.
  Status set_module(std::string_view name, std::string_view source, std::string_view hash, int64_t now_ms);
  // Moves an agent to `to`; returns the state it left. A move to running
  // records this process as the runner.
  // Errors: kNotFound, kFailedPrecondition (not allowed from the current state).
  Result<AgentStatus> transition(std::string_view name, AgentStatus to, int64_t now_ms);
  // The same on `database` (a GroupCommit's connection, inside its
  // transaction), but a move the lifecycle does not allow from the current
  // state, or an agent that is gone, is skipped rather than an error: for
  // lifecycle writes queued behind others (Naos's instance runs).
  static Status transition_if_allowed(store::Database& database, std::string_view name, AgentStatus to,
                                      int64_t now_ms);
  Status set_metadata(std::string_view name, std::string_view json, int64_t now_ms);
  // Errors: kNotFound; kFailedPrecondition while running.
  Status remove(std::string_view name);

 private:
  Result<std::optional<AgentRecord>> find_locked(std::string_view name);

  store::Database& database_;
  std::mutex mutex_;
};

}  // namespace naos::project
