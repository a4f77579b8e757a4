// Supervision — a project's supervision trees (orchestration/supervisor.h)
// wired to naos: children run through Naos::step_runner() as instance runs,
// events go to the audit log, a budget-paused agent is watched through the
// registry and the budgets, and the tree's state is written to the database
// so `naos supervisor status` works from another process.
//
// Stored state (store/schema.h, migration 4), one process per tree:
//
//   supervisor_state(supervisor, state, pid, report, started_ms, updated_ms)
//     One row per supervisor of a tree that has run: the root and every
//     nested supervisor. state: starting | running | stopping | stopped |
//     completed | escalated (supervisor.h); pid: the process running the
//     tree (a row that says running with a dead pid is a tree whose process
//     was killed); report: why it stopped or escalated; started_ms: when
//     this process claimed it (wall clock).
//   supervisor_children(supervisor, child, kind, state, restarts, last_error,
//                       updated_ms)
//     Every child of those supervisors. kind: agent | supervisor | workflow;
//     state: the child states of supervisor.h; restarts: since the tree
//     started; last_error: "error: message" of its last abnormal exit.
//
// Rows are written when the tree is claimed (all starting / pending), then
// at most every `persist_every` while something changed, and once more when
// the tree has stopped. A claim is refused while a live process holds any
// supervisor of the tree.
//
// Audit events (actor "supervisor:NAME"): supervisor.started,
// supervisor.child_failed, supervisor.child_restart, supervisor.escalated,
// supervisor.stopped, and agent.restarted (agent "CHILD") for a restarted
// agent. supervisor.created and supervisor.child_added come from the config
// edits below.
//
// Threading: a SupervisionTree's run() blocks its caller; request_stop() and
// status() from any thread. Ownership: borrows the Naos, which must outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "core/naos.h"
#include "orchestration/supervisor.h"
#include "store/database.h"

namespace naos {

namespace supervisor_audit {
inline constexpr const char* kCreated = "supervisor.created";
inline constexpr const char* kChildAdded = "supervisor.child_added";
}  // namespace supervisor_audit

struct SupervisionOptions {
  // Runs workflow children. Empty: each is one run of the workflow through
  // Naos::orchestrator() (refused by open() when there is none).
  orchestration::WorkflowChildRunner run_workflow;
  // Sees every supervisor event as it happens (the CLI prints them); called
  // on supervisor threads.
  std::function<void(const orchestration::SupervisorEvent&)> on_event;
  // How often a budget-paused child asks whether it may run again.
  std::chrono::milliseconds pause_poll = orchestration::kDefaultPausePoll;
  // How often a changed tree is written for `naos supervisor status`.
  std::chrono::milliseconds persist_every{200};
};

class SupervisionTree final : private orchestration::SupervisorListener {
 public:
  // Builds supervisors.NAME of the project's config and claims it for this
  // process. Errors: kFailedPrecondition outside a project, while another
  // live process runs the tree or part of it, or for a workflow child
  // without a workflow engine; kNotFound (no such supervisor; an agent
  // without a module).
  static Result<std::unique_ptr<SupervisionTree>> open(Naos& naos, std::string_view name,
                                                       SupervisionOptions options = {});
  ~SupervisionTree() override;
  SupervisionTree(const SupervisionTree&) = delete;
  SupervisionTree& operator=(const SupervisionTree&) = delete;

  // Runs the tree until request_stop(), an escalation at the root, or
  // nothing is left to run; then writes its final state. Call once.
  orchestration::SupervisorOutcome run();
  void request_stop();
  orchestration::SupervisorStatus status() const;
  // The first error met writing state or audit events, if any (the tree
  // keeps running through them).
  std::optional<Error> storage_error() const;

 private:
  SupervisionTree(Naos& naos, orchestration::SupervisorSpec spec, SupervisionOptions options,
                  std::unique_ptr<store::Database> database);
  void on_event(const orchestration::SupervisorEvent& event) override;
  Status claim();
  Status persist(const orchestration::SupervisorStatus& status, const orchestration::SupervisorOutcome* outcome);
  void persist_until_stopped();
  void collect_audit(bool wait);
  void note_error(const Error& error);

  Naos& naos_;
  orchestration::SupervisorSpec spec_;
  SupervisionOptions options_;
  std::unique_ptr<store::Database> database_;  // this tree's own connection, used by one thread at a time
  int64_t started_ms_ = 0;
  orchestration::SteadySupervisorClock clock_;
  std::unique_ptr<orchestration::SupervisorContext> context_;
  std::unique_ptr<orchestration::Supervisor> root_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::vector<std::future<Result<int64_t>>> audit_pending_;
  std::optional<Error> error_;
  std::thread writer_;
};

// ---- stored state, read by any process --------------------------------------------

struct StoredChild {
  std::string name;
  std::string kind;
  std::string state;
  int64_t restarts = 0;
  std::string last_error;
  int64_t updated_ms = 0;
};

struct StoredSupervisor {
  std::string name;
  std::string state;
  int64_t pid = 0;
  // The pid is a live process; a row that says running without one is a
  // tree whose process died (kill -9, a crash).
  bool alive = false;
  std::string report;
  int64_t started_ms = 0;
  int64_t updated_ms = 0;
  std::vector<StoredChild> children;  // start order of the stored tree

  // Running in a live process: starting, running or stopping.
  bool active() const;
};

// Every supervisor with a row in supervisor_state, by name.
Result<std::map<std::string, StoredSupervisor>> read_supervisors(store::Database& database);

// ---- config edits (nexus.config.yaml) ----------------------------------------------

// The entry of supervisors.NAME as YAML at indentation 0: strategy, then the
// keys that differ from their defaults, then children (names, or
// { name, restart, shutdown } mappings).
std::string supervisor_yaml(const project::SupervisorConfig& supervisor);

// `naos supervisor create NAME --strategy S [--max-restarts N]`: adds
// supervisors.NAME with no children; audited as supervisor.created.
// Errors: kAlreadyExists (a supervisor, agent, ... of that name),
// kInvalidArgument (bad name), those of project::set_config_entry.
Status create_supervisor(Naos& naos, std::string_view name, project::SupervisorStrategy strategy,
                         std::optional<uint32_t> max_restarts, const std::string& actor);

// `naos supervisor add SUP CHILD...`: appends children (agents, supervisors
// or workflows) to supervisors.SUP; each audited as supervisor.child_added.
// Errors: kNotFound (no such supervisor; a child that names nothing),
// kAlreadyExists (already a child of SUP), kInvalidArgument (the tree would
// be invalid: a second parent, a cycle, too deep).
Status add_supervisor_children(Naos& naos, std::string_view supervisor, const std::vector<std::string>& children,
                               std::optional<project::RestartType> restart, const std::string& actor);

}  // namespace naos
