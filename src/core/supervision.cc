#include "core/supervision.h"

#include <unistd.h>

#include <charconv>
#include <set>
#include <sstream>

#include "base/file.h"
#include "base/process.h"
#include "base/sha256.h"
#include "base/units.h"
#include "project/config_edit.h"

namespace naos {
namespace {

namespace state = orchestration::supervisor_state;
namespace event = orchestration::supervisor_event;
using orchestration::ChildKind;
using orchestration::SupervisorSpec;
using orchestration::SupervisorStatus;

// Every supervisor of the tree, root first.
void collect(const SupervisorSpec& spec, std::vector<const SupervisorSpec*>& out) {
  out.push_back(&spec);
  for (const auto& child : spec.children) {
    if (child.supervisor) collect(*child.supervisor, out);
  }
}

// Agents without a module and workflows without an engine are refused
// before anything starts: restarting them could never help.
Status check_children(const SupervisorSpec& spec, const project::Project& project, bool workflows_run) {
  for (const auto& child : spec.children) {
    switch (child.kind) {
      case ChildKind::kAgent: {
        auto module = project.module_file(project.config().agents.at(child.name));
        std::error_code ec;
        if (!std::filesystem::exists(module, ec)) {
          return Error(Code::kNotFound,
                       "agent has no module at " + module.string() + " (build it with `naos build " + child.name + "`)",
                       child.name);
        }
        break;
      }
      case ChildKind::kWorkflow:
        if (!workflows_run) {
          return Error(Code::kFailedPrecondition, "workflow children arrive with the workflow engine",
                       "supervisors." + spec.name + ": " + child.name);
        }
        break;
      case ChildKind::kSupervisor:
        NAOS_TRY(check_children(*child.supervisor, project, workflows_run));
        break;
    }
  }
  return ok();
}

bool is_audited(const std::string& type) {
  return type == event::kStarted || type == event::kChildFailed || type == event::kChildRestart ||
         type == event::kEscalated || type == event::kStopped || type == event::kAgentRestarted;
}

std::string jitter_text(double jitter) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, jitter);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(jitter);
}

// Records the config's new hash as config.changed, so the edit is audited
// once, by name, and the next open does not report it as a hand edit.
Status record_config_edit(Naos& naos, const std::string& before, const std::string& actor, const std::string& what) {
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(naos.project()->config_file(), "config file"));
  return naos.record({actor, "", governance::event::kConfigChanged,
                      {{"hash", sha256_hex(text)}, {"previous", sha256_hex(before)}, {"detail", what}}});
}

}  // namespace

// ---- the tree ------------------------------------------------------------------------

Result<std::unique_ptr<SupervisionTree>> SupervisionTree::open(Naos& naos, std::string_view name,
                                                               SupervisionOptions options) {
  const project::Project* project = naos.project();
  if (project == nullptr || naos.database() == nullptr) {
    return Error(Code::kFailedPrecondition, "supervisors belong to a project (no nexus.config.yaml found)");
  }
  NAOS_ASSIGN_OR_RETURN(SupervisorSpec spec, orchestration::supervisor_spec(project->config(), name));
  if (!options.run_workflow && naos.orchestrator() != nullptr) {
    // A workflow child is one run of the workflow, from its first step, as
    // long as it lasts; cancelling it is how the supervisor stops it.
    options.run_workflow = [&naos](const std::string& workflow, const std::atomic<bool>& cancel) {
      auto ran = naos.orchestrator()->run_workflow(workflow, "", {}, &cancel);
      if (!ran) return orchestration::StepResult::failure("refused", ran.error().to_string());
      if (ran->state == orchestration::state::kCompleted) return orchestration::StepResult::success(ran->output);
      if (cancel) return orchestration::StepResult::failure("cancelled", ran->error);
      return orchestration::StepResult::failure("workflow_" + ran->state, ran->error);
    };
  }
  NAOS_TRY(check_children(spec, *project, static_cast<bool>(options.run_workflow)));
  // A connection of its own: the writer thread uses it while Naos's is shared.
  NAOS_ASSIGN_OR_RETURN(auto database, store::Database::open(project->database_file()));
  std::unique_ptr<SupervisionTree> tree(
      new SupervisionTree(naos, std::move(spec), std::move(options), std::move(database)));
  NAOS_TRY(tree->claim());
  return tree;
}

SupervisionTree::SupervisionTree(Naos& naos, SupervisorSpec spec, SupervisionOptions options,
                                 std::unique_ptr<store::Database> database)
    : naos_(naos), spec_(std::move(spec)), options_(std::move(options)), database_(std::move(database)) {
  context_ = std::make_unique<orchestration::SupervisorContext>(orchestration::SupervisorContext{
      naos_.step_runner(), clock_, this, options_.run_workflow,
      [&naos = naos_](const std::string& agent) {
        // Paused while the registry says the budget holds the agent
        // (budget_exceeded, or stopped by an onExceed: stop budget), unless
        // its budget has room again (a new period: the next run lifts the
        // pause); an unregistered agent is paused while its budget is spent.
        if (auto* registry = naos.registry()) {
          auto record = registry->find(agent);
          if (!record) return true;  // cannot tell: stay paused, ask again later
          if (*record) {
            auto status = (*record)->status;
            if (status == project::AgentStatus::kStopped) return true;
            if (status != project::AgentStatus::kBudgetExceeded) return false;
          }
        }
        auto* budget = naos.budget();
        if (budget == nullptr) return false;
        auto exhausted = budget->exhausted(agent);
        return !exhausted || *exhausted;
      },
      options_.pause_poll,
      {}});
  root_ = std::make_unique<orchestration::Supervisor>(spec_, *context_);
}

SupervisionTree::~SupervisionTree() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  root_.reset();  // joins every child thread before the context goes
}

Status SupervisionTree::claim() {
  std::vector<const SupervisorSpec*> supervisors;
  collect(spec_, supervisors);
  const int64_t pid = ::getpid();
  started_ms_ = naos_.clock().now_ms();
  NAOS_ASSIGN_OR_RETURN(auto transaction, database_->begin());
  for (const SupervisorSpec* s : supervisors) {
    NAOS_ASSIGN_OR_RETURN(auto select, database_->prepare("SELECT state, pid FROM supervisor_state WHERE supervisor = ?1"));
    select.bind(1, s->name);
    NAOS_ASSIGN_OR_RETURN(bool row, select.step());
    if (!row) continue;
    StoredSupervisor held;
    held.state = select.column_text(0);
    held.pid = select.column_int64(1);
    held.alive = process_alive(held.pid);
    if (held.active() && held.pid != pid) {
      return Error(Code::kFailedPrecondition,
                   "supervisor " + s->name + " is running already (pid " + std::to_string(held.pid) +
                       "); stop it first with `naos supervisor stop`",
                   s->name);
    }
  }
  for (const SupervisorSpec* s : supervisors) {
    NAOS_ASSIGN_OR_RETURN(auto upsert, database_->prepare(
                                           "INSERT OR REPLACE INTO supervisor_state "
                                           "(supervisor, state, pid, report, started_ms, updated_ms) "
                                           "VALUES (?1, ?2, ?3, '', ?4, ?4)"));
    upsert.bind(1, s->name).bind(2, std::string_view(state::kStarting)).bind(3, pid).bind(4, started_ms_);
    NAOS_TRY(upsert.run());
    NAOS_ASSIGN_OR_RETURN(auto clear, database_->prepare("DELETE FROM supervisor_children WHERE supervisor = ?1"));
    clear.bind(1, s->name);
    NAOS_TRY(clear.run());
    for (const auto& child : s->children) {
      NAOS_ASSIGN_OR_RETURN(auto insert, database_->prepare(
                                             "INSERT INTO supervisor_children "
                                             "(supervisor, child, kind, state, restarts, last_error, updated_ms) "
                                             "VALUES (?1, ?2, ?3, ?4, 0, '', ?5)"));
      insert.bind(1, s->name)
          .bind(2, child.name)
          .bind(3, orchestration::child_kind_name(child.kind))
          .bind(4, std::string_view(state::kPending))
          .bind(5, started_ms_);
      NAOS_TRY(insert.run());
    }
  }
  return transaction.commit();
}

Status SupervisionTree::persist(const SupervisorStatus& status, const orchestration::SupervisorOutcome* outcome) {
  const int64_t now = naos_.clock().now_ms();
  const int64_t pid = ::getpid();
  NAOS_ASSIGN_OR_RETURN(auto transaction, database_->begin());
  NAOS_ASSIGN_OR_RETURN(auto supervisor_row,
                        database_->prepare("INSERT INTO supervisor_state "
                                           "(supervisor, state, pid, report, started_ms, updated_ms) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                                           "ON CONFLICT(supervisor) DO UPDATE SET state = excluded.state, "
                                           "pid = excluded.pid, report = excluded.report, "
                                           "updated_ms = excluded.updated_ms"));
  NAOS_ASSIGN_OR_RETURN(auto child_row,
                        database_->prepare("INSERT INTO supervisor_children "
                                           "(supervisor, child, kind, state, restarts, last_error, updated_ms) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                           "ON CONFLICT(supervisor, child) DO UPDATE SET kind = excluded.kind, "
                                           "state = excluded.state, restarts = excluded.restarts, "
                                           "last_error = excluded.last_error, updated_ms = excluded.updated_ms"));
  // `state` overrides the supervisor's own (a nested one that never ran).
  std::function<Status(const SupervisorStatus&, std::string_view)> write =
      [&](const SupervisorStatus& s, std::string_view state_override) -> Status {
    supervisor_row.reset();
    supervisor_row.bind(1, s.name)
        .bind(2, state_override.empty() ? std::string_view(s.state) : state_override)
        .bind(3, pid)
        .bind(4, s.report)
        .bind(5, started_ms_)
        .bind(6, now);
    NAOS_TRY(supervisor_row.run());
    for (const auto& child : s.children) {
      child_row.reset();
      child_row.bind(1, s.name)
          .bind(2, child.name)
          .bind(3, orchestration::child_kind_name(child.kind))
          .bind(4, child.state)
          .bind(5, static_cast<int64_t>(child.restarts))
          .bind(6, child.last_error)
          .bind(7, now);
      NAOS_TRY(child_row.run());
      if (child.tree) {
        NAOS_TRY(write(*child.tree, ""));
      } else if (child.kind == ChildKind::kSupervisor) {
        SupervisorStatus never_ran;
        never_ran.name = child.name;
        NAOS_TRY(write(never_ran, outcome ? std::string_view(state::kStopped) : std::string_view(child.state)));
      }
    }
    return ok();
  };
  NAOS_TRY(write(status, ""));
  return transaction.commit();
}

void SupervisionTree::persist_until_stopped() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || dirty_; });
    if (stopping_) return;
    dirty_ = false;
    lock.unlock();
    auto written = persist(root_->status(), nullptr);
    if (!written) note_error(written.error());
    collect_audit(false);
    lock.lock();
    // Coalesce: whatever changes meanwhile is written once, a period later.
    wake_.wait_for(lock, options_.persist_every, [this] { return stopping_; });
  }
}

void SupervisionTree::collect_audit(bool wait) {
  std::vector<std::future<Result<int64_t>>> done;
  {
    std::lock_guard lock(mutex_);
    auto keep = audit_pending_.begin();
    for (auto& pending : audit_pending_) {
      if (wait || pending.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        done.push_back(std::move(pending));
      } else {
        *keep++ = std::move(pending);
      }
    }
    audit_pending_.erase(keep, audit_pending_.end());
  }
  for (auto& future : done) {
    auto seq = future.get();
    if (!seq) note_error(seq.error());
  }
}

void SupervisionTree::note_error(const Error& error) {
  std::lock_guard lock(mutex_);
  if (!error_) error_ = error;
}

std::optional<Error> SupervisionTree::storage_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void SupervisionTree::on_event(const orchestration::SupervisorEvent& e) {
  if (is_audited(e.type) && naos_.audit() != nullptr) {
    nlohmann::json payload = e.detail;
    payload["supervisor"] = e.supervisor;
    if (!e.child.empty()) {
      payload["child"] = e.child;
      payload["kind"] = std::string(orchestration::child_kind_name(e.kind));
    }
    // supervisor.* events are about the supervisor; the restarted agent's
    // own record is agent.restarted, which the trust score counts.
    std::string agent = e.type == event::kAgentRestarted ? e.child : "";
    auto future = naos_.audit()->append_async({"supervisor:" + e.supervisor, agent, e.type, std::move(payload)});
    std::lock_guard lock(mutex_);
    audit_pending_.push_back(std::move(future));
  }
  {
    std::lock_guard lock(mutex_);
    dirty_ = true;
  }
  wake_.notify_all();
  if (options_.on_event) options_.on_event(e);
}

orchestration::SupervisorOutcome SupervisionTree::run() {
  writer_ = std::thread([this] { persist_until_stopped(); });
  orchestration::SupervisorOutcome outcome = root_->run();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  auto written = persist(root_->status(), &outcome);
  if (!written) note_error(written.error());
  collect_audit(true);
  return outcome;
}

void SupervisionTree::request_stop() { root_->request_stop(); }

orchestration::SupervisorStatus SupervisionTree::status() const { return root_->status(); }

// ---- stored state -------------------------------------------------------------------

bool StoredSupervisor::active() const {
  return alive && (state == state::kStarting || state == state::kRunning || state == state::kStopping);
}

Result<std::map<std::string, StoredSupervisor>> read_supervisors(store::Database& database) {
  std::map<std::string, StoredSupervisor> out;
  NAOS_ASSIGN_OR_RETURN(auto rows, database.prepare("SELECT supervisor, state, pid, report, started_ms, updated_ms "
                                                    "FROM supervisor_state"));
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, rows.step());
    if (!row) break;
    StoredSupervisor s;
    s.name = rows.column_text(0);
    s.state = rows.column_text(1);
    s.pid = rows.column_int64(2);
    s.alive = process_alive(s.pid);
    s.report = rows.column_text(3);
    s.started_ms = rows.column_int64(4);
    s.updated_ms = rows.column_int64(5);
    out[s.name] = std::move(s);
  }
  NAOS_ASSIGN_OR_RETURN(auto children, database.prepare("SELECT supervisor, child, kind, state, restarts, last_error, "
                                                        "updated_ms FROM supervisor_children"));
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, children.step());
    if (!row) break;
    auto found = out.find(children.column_text(0));
    if (found == out.end()) continue;
    found->second.children.push_back({children.column_text(1), children.column_text(2), children.column_text(3),
                                      children.column_int64(4), children.column_text(5), children.column_int64(6)});
  }
  return out;
}

// ---- config edits ----------------------------------------------------------------------

std::string supervisor_yaml(const project::SupervisorConfig& supervisor) {
  std::string out = "strategy: " + std::string(project::enum_name(supervisor.strategy)) + "\n";
  if (supervisor.max_restarts != project::kDefaultMaxRestarts) {
    out += "maxRestarts: " + std::to_string(supervisor.max_restarts) + "\n";
  }
  if (supervisor.restart_window != project::kDefaultRestartWindow) {
    out += "restartWindow: " + format_duration(supervisor.restart_window) + "\n";
  }
  if (supervisor.backoff) {
    out += "backoff: { min: " + format_duration(supervisor.backoff->min) +
           ", max: " + format_duration(supervisor.backoff->max) + ", jitter: " + jitter_text(supervisor.backoff->jitter) +
           " }\n";
  }
  if (supervisor.shutdown != project::kDefaultShutdown) out += "shutdown: " + format_duration(supervisor.shutdown) + "\n";
  bool plain = std::all_of(supervisor.children.begin(), supervisor.children.end(), [](const auto& c) {
    return c.restart == project::kDefaultRestartType && !c.shutdown;
  });
  if (plain) {
    std::string names;
    for (const auto& c : supervisor.children) names += (names.empty() ? "" : ", ") + c.name;
    return out + "children: [" + names + "]\n";
  }
  out += "children:\n";
  for (const auto& c : supervisor.children) {
    if (c.restart == project::kDefaultRestartType && !c.shutdown) {
      out += "  - " + c.name + "\n";
      continue;
    }
    out += "  - { name: " + c.name;
    if (c.restart != project::kDefaultRestartType) out += ", restart: " + std::string(project::enum_name(c.restart));
    if (c.shutdown) out += ", shutdown: " + format_duration(*c.shutdown);
    out += " }\n";
  }
  return out;
}

namespace {

// The section that already uses `name`, if any.
std::optional<std::string> taken_by(const project::Config& config, const std::string& name) {
  if (config.supervisors.contains(name)) return "supervisors." + name;
  if (config.agents.contains(name)) return "agents." + name;
  if (config.workflows.contains(name)) return "workflows." + name;
  return std::nullopt;
}

}  // namespace

Status create_supervisor(Naos& naos, std::string_view name, project::SupervisorStrategy strategy,
                         std::optional<uint32_t> max_restarts, const std::string& actor) {
  const project::Project* project = naos.project();
  if (project == nullptr) return Error(Code::kFailedPrecondition, "supervisors belong to a project");
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project->config_file()));
  NAOS_ASSIGN_OR_RETURN(std::string before, read_file(lock.config_file(), "config file"));
  NAOS_ASSIGN_OR_RETURN(project::Config config, project::parse_config(before, project->config_file().string()));
  std::string key(name);
  if (auto taken = taken_by(config, key)) {
    return Error(Code::kAlreadyExists, "the name is taken by " + *taken, key);
  }
  project::SupervisorConfig supervisor;
  supervisor.name = key;
  supervisor.strategy = strategy;
  if (max_restarts) supervisor.max_restarts = *max_restarts;
  NAOS_TRY(project::set_config_entry(lock, "supervisors", name, supervisor_yaml(supervisor)));
  NAOS_TRY(naos.record({actor, "", supervisor_audit::kCreated,
                        {{"supervisor", key},
                         {"strategy", std::string(project::enum_name(strategy))},
                         {"max_restarts", supervisor.max_restarts}}}));
  return record_config_edit(naos, before, actor, "supervisor " + key + " created");
}

Status add_supervisor_children(Naos& naos, std::string_view supervisor, const std::vector<std::string>& children,
                               std::optional<project::RestartType> restart, const std::string& actor) {
  const project::Project* project = naos.project();
  if (project == nullptr) return Error(Code::kFailedPrecondition, "supervisors belong to a project");
  if (children.empty()) return Error(Code::kInvalidArgument, "name at least one child to add");
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project->config_file()));
  NAOS_ASSIGN_OR_RETURN(std::string before, read_file(lock.config_file(), "config file"));
  NAOS_ASSIGN_OR_RETURN(project::Config config, project::parse_config(before, project->config_file().string()));
  std::string key(supervisor);
  auto found = config.supervisors.find(key);
  if (found == config.supervisors.end()) return Error(Code::kNotFound, "no such supervisor", key);
  project::SupervisorConfig edited = found->second;
  edited.name = key;
  std::vector<std::pair<std::string, std::string>> added;  // child, kind
  for (const auto& child : children) {
    std::string kind = config.agents.contains(child)        ? "agent"
                       : config.supervisors.contains(child) ? "supervisor"
                       : config.workflows.contains(child)   ? "workflow"
                                                            : "";
    if (kind.empty()) return Error(Code::kNotFound, "no agent, supervisor or workflow of this name", child);
    bool present = std::any_of(edited.children.begin(), edited.children.end(),
                               [&](const project::SupervisorChild& c) { return c.name == child; });
    if (present) return Error(Code::kAlreadyExists, "already a child of " + key, child);
    edited.children.push_back({child, restart.value_or(project::kDefaultRestartType), std::nullopt});
    added.emplace_back(child, kind);
  }
  NAOS_TRY(project::set_config_entry(lock, "supervisors", key, supervisor_yaml(edited)));
  for (const auto& [child, kind] : added) {
    NAOS_TRY(naos.record({actor, kind == "agent" ? child : "", supervisor_audit::kChildAdded,
                          {{"supervisor", key},
                           {"child", child},
                           {"kind", kind},
                           {"restart", std::string(project::enum_name(restart.value_or(project::kDefaultRestartType)))}}}));
  }
  return record_config_edit(naos, before, actor, "children added to supervisor " + key);
}

}  // namespace naos
