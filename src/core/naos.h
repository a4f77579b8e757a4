// Naos — the one API that the CLI (and, later, the HTTP server) call. It ties
// a project to the layers below: the sandbox, the database, the capabilities.
// Tests drive it directly.
//
// Every action on a project is an audit event (governance/audit_log.h); a run
// of a registered agent also moves it through its lifecycle
// (project/registry.h): running, then completed or failed.
//
// Ownership: owns the Sandbox, the Database, the AuditLog, the Registry and
// the HttpClient; borrows the Clock and the environment lookup, which must
// outlive it (main() makes them).
// Threading: run() may be called from many threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "capabilities/agent_host.h"
#include "core/run_stops.h"
#include "capabilities/agent_log.h"
#include "capabilities/http.h"
#include "governance/audit_log.h"
#include "governance/evidence.h"
#include "governance/trust.h"
#include "governance/budget.h"
#include "orchestration/journal.h"
#include "orchestration/orchestrator.h"
#include "orchestration/step_runner.h"
#include "project/project.h"
#include "project/registry.h"
#include "sandbox/sandbox.h"
#include "store/database.h"
#include "store/kv_store.h"
#include "store/secret_store.h"

namespace naos {

class Pools;

// Reads a host environment variable; main() passes getenv, tests a map.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct RunOptions {
  std::string input;
  // Overrides of the configured limits for this run (`naos run --timeout/--memory/--fuel`).
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> fuel;
  // Sees every log line as it is written (the CLI prints them on stderr).
  capabilities::AgentLog::Echo log_echo;
  // Who asked, for the audit log.
  std::string actor = "cli";
  // An instance run (a workflow/saga step, a pool worker, a supervised
  // child) may run while other instances of the same agent run; a plain
  // `naos run` of an agent that is running already is refused.
  bool instance = false;
  // Variables naos itself gives the guest beside its granted environment
  // (NAOS_IDEMPOTENCY_KEY for saga and workflow steps, docs/abi.md).
  std::vector<std::pair<std::string, std::string>> env;
  // Stops the run (Failure::kCancelled) when it becomes true; must outlive the run.
  const std::atomic<bool>* cancel = nullptr;
  // A member or clone of a pool with `minTier`: the run is refused
  // (kPermissionDenied, audited capability.denied) when the agent's Trust
  // Tier is worse.
  std::optional<orchestration::PoolGate> pool_gate;
  // `naos run --verify-trust`: refuse (kUnauthenticated) a module that is not
  // the one registered with `naos axis register`.
  bool verify_trust = false;
};

struct AgentRun {
  std::string agent;
  std::string module_hash;
  sandbox::RunOutcome outcome;
  // Set when a budget with onExceed pause or stop refused a priced call: the
  // agent is now budget_exceeded or stopped, and must not be restarted.
  std::optional<project::OnExceed> budget_action;
  // Set when the agent ran but its end could not be recorded (the registry
  // status or the agent.completed/failed event: a full disk, say). The run
  // still ended as `outcome` says, and whatever it spent is spent, so it is
  // reported as it ended, with this as a warning, never as a run that did
  // not happen (which a caller would retry, paying twice).
  std::optional<Error> end_not_recorded;
  // Why a run that ended Failure::kCancelled was stopped (RunStops), and the
  // `naos stop` request that did it, if one did. The run ended `stopped`
  // with an agent.stopped event.
  RunStops::Why stopped = RunStops::Why::kNone;
  std::optional<StopRequest> stop_request;
};

// `naos stop NAME` (Naos::stop_agent).
struct StopOptions {
  // Past `timeout`, kill the process that runs the agent (SIGKILL) instead of failing.
  bool force = false;
  // Its supervisor leaves the agent stopped instead of restarting it.
  bool no_restart = false;
  // How long to wait for the run to end; default: the agent's shutdown time
  // (its supervisor's `shutdown` for it, else project::kDefaultShutdown).
  std::optional<std::chrono::milliseconds> timeout;
  std::string actor = "cli";
};

struct StopReport {
  enum class How {
    kWasNotRunning,  // nothing ran: the status just became stopped
    kOrphaned,       // the process that ran it had died; recorded as stopped
    kStopped,        // the run saw the request and ended stopped
    kKilled,         // --force: the process that ran it was killed
  };
  std::string agent;
  project::AgentStatus from = project::AgentStatus::kStopped;
  How how = How::kWasNotRunning;
  int64_t pid = 0;  // the naos process that ran it, when known
  std::chrono::milliseconds waited{0};
};

// A module path that is no agent's module (no `source:` names it) runs as an
// agent of its own, named by what it is, not by its file name:
// "module:" + the first 12 hex digits of its SHA-256. So
// `naos run other/ok-reserve.wasm` is never audited, scored or budgeted as
// the agent ok-reserve.
inline constexpr std::string_view kAnonymousAgentPrefix = "module:";
std::string anonymous_agent_name(std::string_view module_hash);

class Naos {
 public:
  struct OpenOptions {
    // The naos binary, which compiles new modules in a bounded child
    // (`naos __compile-module`, sandbox/module_compiler.h); empty: compile
    // in this process, unbounded (tests that drive Naos directly).
    std::filesystem::path compile_helper;
    // What to do when the evidence does not match (governance/evidence.h).
    // Left out, it is kRefuse (the enum's zero): no member initializer here,
    // since GCC refuses `= {}` below for a nested struct that has one.
    governance::Recovery recovery;
  };
  // `project` empty: only module paths can run, with no grants and no kv.
  // The project's database and audit key are checked against its evidence
  // (governance/evidence.h): a deleted or replaced database, or a missing
  // key, is kFailedPrecondition unless `options.recovery` accepts it (`naos
  // audit accept`, which then audits what evidence().accepted() lists).
  static Result<std::unique_ptr<Naos>> open(std::optional<project::Project> project, Clock& clock, EnvLookup env,
                                            const OpenOptions& options = {});
  ~Naos();  // in naos.cc, where Pools is complete
  Naos(const Naos&) = delete;
  Naos& operator=(const Naos&) = delete;

  // Runs an agent by config name, or a .wasm/.wat path (which is the agent
  // whose `source:` it is, with its grants; else anonymous_agent_name, with none).
  // Errors: kNotFound (no such agent or file), kInvalidArgument (not wasm,
  // a malformed allow-list), and host failures. How the agent ended is in
  // AgentRun::outcome.
  Result<AgentRun> run(std::string_view target, const RunOptions& options);

  sandbox::Sandbox& sandbox() { return *sandbox_; }
  const project::Project* project() const { return project_ ? &*project_ : nullptr; }
  // The next three are null outside a project.
  store::Database* database() { return database_.get(); }
  governance::AuditLog* audit() { return audit_.get(); }
  project::Registry* registry() { return registry_.get(); }
  store::SecretStore* secrets() { return secrets_.get(); }
  store::KvStore* kv() { return kv_.get(); }
  // The project's evidence outside data/; null outside a project.
  const governance::Evidence* evidence() const { return evidence_ ? &*evidence_ : nullptr; }
  // Cost budgets and the ledger; null outside a project.
  governance::BudgetEnforcer* budget() { return budget_.get(); }
  // The orchestration journal (runs and their steps); null outside a project.
  orchestration::Journal* journal() { return journal_.get(); }
  // Runs orchestration steps as instance runs of this Naos (core/step_runner.h).
  orchestration::StepRunner& step_runner() { return *step_runner_; }
  // Workflows and sagas of the project; null outside a project.
  orchestration::Orchestrator* orchestrator() { return orchestrator_.get(); }
  // Pools of the project (core/pools.h); null outside a project.
  Pools* pools() { return pools_.get(); }

  // `naos cost reset TARGET`: the budget's spending so far stops counting
  // (cost.reset), and an agent paused by it (budget_exceeded) becomes idle.
  // Errors: kFailedPrecondition outside a project; kNotFound (BUDGET_NOT_FOUND).
  Status reset_cost(std::string_view target, const std::string& actor);
  Clock& clock() { return clock_; }

  // Appends an audit event; a no-op outside a project.
  Status record(governance::AuditEventDraft event);

  // ---- trust (core/trust.cc) ----
  // The agent's AXIS report now, from the audit log (docs/trust.md).
  Result<governance::TrustReport> trust_report(const std::string& agent, const std::string& module_hash);
  // trust.minimumTier / minCreditRating refuse the run (TRUST_SCORE_LOW);
  // trust.capabilityTiers take capabilities out of `grants`, each audited as
  // capability.denied with reason "trust". Runs by actor "axis" (verify) are
  // not refused, so an agent can earn its tier back. A pool's minTier
  // (options.pool_gate) refuses a worse agent with kPermissionDenied, audited
  // capability.denied (capability "pool:NAME", reason "trust").
  Status apply_trust(const std::string& agent, const std::string& module_hash, const RunOptions& options,
                     sandbox::Grants& grants);
  // The project's `trust:` section as governance states it.
  governance::TrustPolicy trust_policy() const;
  // The capabilities the agent's config grants that the policy withholds at `report`'s tier.
  std::vector<std::string> trust_gated(const std::string& agent, const governance::TrustReport& report) const;

  // ---- the scheduler (core/scheduler.cc) ----
  struct ScheduledRun {
    std::string agent;
    int64_t due_ms = 0;
    Result<AgentRun> result = Error(Code::kInternal, "not run");
  };
  // Runs every agent with a `schedule:` on time, one run at a time, until
  // `stop` becomes true (checked at least every 200 ms). A run that overruns
  // its next time skips it rather than queueing a burst. A stopped agent is
  // not run. `on_run` sees each run as it ends.
  // Errors: kFailedPrecondition outside a project or with no scheduled agent.
  Status serve_schedules(const std::atomic<bool>& stop, const std::function<void(const ScheduledRun&)>& on_run);

  // ---- workflows and sagas in the config (core/flows.cc) ----
  // `naos workflow|saga create NAME`: an empty entry in the config
  // (`kind` "workflow" or "saga"), audited as workflow.created / saga.created.
  // Errors: kAlreadyExists (an agent, workflow, saga or pool has the name),
  // kInvalidArgument (a bad name), those of project::set_config_entry.
  Status create_flow(const std::string& kind, const std::string& name, const std::string& actor);
  // `naos workflow add-step WF AGENT` / `naos saga add-step SAGA AGENT
  // [--compensate C]`: appends a step to the entry (its other keys kept),
  // audited as workflow.step_added / saga.step_added.
  // Errors: kNotFound (no such workflow/saga, SAGA_NOT_FOUND), and the
  // validator's (an unknown agent, a duplicate step name).
  Status add_flow_step(const std::string& kind, const std::string& name, const std::string& agent,
                       const std::string& step_name, const std::string& compensate, const std::string& actor);

  // ---- agents (core/agents.cc) ----
  // An agent as the registry and the config know it; either may be missing.
  struct AgentView {
    std::string name;
    std::optional<project::AgentRecord> record;    // null: in the config, not created
    const project::AgentConfig* config = nullptr;  // null: registered, not in the config
  };
  // Every agent of the project, by name. Errors: kFailedPrecondition outside a project.
  Result<std::vector<AgentView>> agents();
  // Errors: kNotFound (AGENT_NOT_FOUND).
  Result<AgentView> agent(std::string_view name);
  // `naos stop NAME` (core/stop.cc). A registered agent that is not running
  // becomes stopped. A running one, in any process, is asked to stop
  // (a stop request, core/run_stops.h) and waited for up to the timeout: its
  // run ends `stopped` and records agent.stopped itself. One still running
  // then is, with `force`, ended by killing the naos process that runs it
  // (audited agent.stopped with `forced`); without, kDeadlineExceeded.
  // Errors: kNotFound (AGENT_NOT_FOUND), kFailedPrecondition (in the config
  // but not created), kDeadlineExceeded, kUnavailable (cannot signal).
  Result<StopReport> stop_agent(std::string_view name, const StopOptions& options);
  // How long `naos stop` waits for the agent by default (StopOptions::timeout).
  std::chrono::milliseconds shutdown_time(std::string_view agent) const;

  // Every run of this Naos also stops (ending `stopped`) once `*interrupt`
  // becomes true: main()'s Ctrl-C / SIGTERM flag. Nullable; must outlive this.
  void set_interrupt(const std::atomic<bool>* interrupt) { run_stops_->set_interrupt(interrupt); }
  // Removes a registered agent (refused while running); audited as agent.deleted.
  Status delete_agent(std::string_view name, const std::string& actor);

  // `naos create NAME --template T`: sources in agents/NAME/, an entry in the
  // config, a registry row (created). Errors: kAlreadyExists, kNotFound (template).
  Result<project::AgentRecord> create_from_template(std::string_view name, std::string_view template_name,
                                                    const std::string& actor);
  // `naos create NAME --source F.wasm`: copies a ready module to
  // agents/NAME/NAME.wasm, adds the entry, registers it (idle).
  // Errors: kAlreadyExists, kNotFound (file), kInvalidArgument (not wasm).
  Result<project::AgentRecord> create_from_module(std::string_view name, const std::filesystem::path& module,
                                                  const std::string& actor);
  // `naos create --from-config`: registers every agent of the config that is
  // not registered yet; returns those it created.
  Result<std::vector<project::AgentRecord>> create_from_config(const std::string& actor);
  // After `naos build`: records the module of a registered agent (created ->
  // idle) and audits agent.built. A no-op for an unregistered agent.
  Status register_build(std::string_view name, const std::filesystem::path& module, std::string_view hash,
                        const std::string& actor);

 private:
  struct Target {
    std::string name;
    std::filesystem::path module_file;
    const project::AgentConfig* config = nullptr;  // null: an unregistered module
  };
  Naos(std::optional<project::Project> project, Clock& clock, EnvLookup env);
  Result<Target> resolve(std::string_view target) const;
  Result<sandbox::Grants> grants_for(const project::AgentConfig* agent);
  Status require_project() const;
  Status refuse_taken_name(std::string_view name);
  Status reload_project();
  Status note_config_change();
  Status record_event_created(const project::AgentRecord& created, const std::string& actor,
                              const std::filesystem::path& folder);
  // Starts the lifecycle of a registered agent's run; false when unregistered.
  Result<bool> begin_run(const std::string& agent, const RunOptions& options, const std::string& module_hash);
  // `refusal`: the budget that refused a priced call during the run, if any;
  // its onExceed decides the agent's status (governance/budget.h).
  // `capabilities_used` goes on the run's agent.completed / agent.failed event.
  // `stop`: why a cancelled run was stopped (its agent.stopped payload), null otherwise.
  Status end_run(const std::string& agent, bool registered, const RunOptions& options,
                 const sandbox::RunOutcome& outcome, const std::optional<governance::BudgetRefusal>& refusal = {},
                 const std::set<std::string>& capabilities_used = {}, const nlohmann::json* stop = nullptr);
  // An instance run's lifecycle write (running, or how the last one ended),
  // queued on the journal's group commit without waiting: see instances_.
  // Call with instances_mutex_ held, so the writes queue in the order the
  // counts changed.
  void queue_lifecycle(const std::string& agent, project::AgentStatus to);
  // Waits until the agent's queued lifecycle writes are in the registry, for
  // a decision that reads its status (a plain run, a budget pause).
  void await_lifecycle(const std::string& agent);
  // Queues the lingering end of the agent's instances now, if there is one.
  void end_lingering(const std::string& agent);
  // The thread that writes lingering ends once they are due.
  void write_lingering_ends();

  std::optional<project::Project> project_;
  Clock& clock_;
  EnvLookup env_;
  std::unique_ptr<store::Database> database_;
  std::optional<governance::Evidence> evidence_;
  std::unique_ptr<store::KvStore> kv_;
  std::unique_ptr<governance::AuditLog> audit_;
  std::unique_ptr<project::Registry> registry_;
  std::unique_ptr<store::SecretStore> secrets_;
  std::unique_ptr<governance::BudgetEnforcer> budget_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<orchestration::Journal> journal_;
  std::unique_ptr<orchestration::StepRunner> step_runner_;
  orchestration::SystemWaiter waiter_;
  std::unique_ptr<orchestration::Orchestrator> orchestrator_;
  std::unique_ptr<Pools> pools_;
  capabilities::HttpClient http_;
  // Watches every run for a caller's cancel, an interrupt or a `naos stop`.
  std::unique_ptr<RunStops> run_stops_;
  // Runs of each agent in progress in this process: the registry says
  // `running` from the first one's start to the last one's end. For instance
  // runs (workflow and saga steps, pool tasks, supervised children) those two
  // registry writes are queued on the journal's group commit instead of each
  // taking its own fsync under this mutex, which serialized every step of
  // every workflow behind them (bench/README.md: 3.5-4x).
  //
  // And when the last instance ends, the end is not written at once but
  // lingers for kLingerMs: an instance starting meanwhile cancels it. In a busy
  // workflow an agent's count falls to 0 between almost every two steps (its
  // run is 0.1 ms of a 20 ms step), and writing each flip was one registry
  // write per step for a status no one could have seen change.
  static constexpr int64_t kLingerMs = 500;
  struct LingeringEnd {
    project::AgentStatus to;
    int64_t due_ms;
  };
  std::mutex instances_mutex_;
  std::map<std::string, int, std::less<>> instances_;
  std::map<std::string, std::shared_future<Status>, std::less<>> lifecycle_writes_;  // the newest per agent
  std::map<std::string, LingeringEnd, std::less<>> lingering_ends_;
  // The registry records instance runs last read, reused for kKnownAgentTtl:
  // reading one took a fifth of a short instance run's CPU, because another
  // connection's writes empty this connection's page cache. A pause or reset
  // made by another process is seen that much later; one made here at once.
  static constexpr std::chrono::milliseconds kKnownAgentTtl{250};
  struct KnownAgent {
    project::AgentRecord record;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<std::string, KnownAgent, std::less<>> known_agents_;
  std::condition_variable lingering_changed_;
  bool stopping_ = false;
  std::thread lingering_writer_;  // started with the first lingering end
};

}  // namespace naos
