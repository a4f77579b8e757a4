#include "core/naos.h"

#include "core/llm_wiring.h"
#include "core/pools.h"
#include "core/step_runner.h"

#include "base/file.h"
#include "base/process.h"
#include "base/sha256.h"
#include "base/words.h"
#include "project/grant_paths.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace naos {

Result<std::unique_ptr<Naos>> Naos::open(std::optional<project::Project> project, Clock& clock, EnvLookup env,
                                         const OpenOptions& open_options) {
  std::unique_ptr<Naos> naos(new Naos(std::move(project), clock, std::move(env)));
  sandbox::SandboxOptions options;
  options.compile.helper = open_options.compile_helper;
  if (naos->project_) {
    const auto& execution = naos->project_->config().execution;
    if (execution.max_stack_bytes) options.engine.max_stack_bytes = *execution.max_stack_bytes;
    if (execution.max_instances) options.engine.max_instances = *execution.max_instances;
    if (execution.compile_timeout) options.compile.timeout = *execution.compile_timeout;
    if (execution.compile_memory_bytes) options.compile.memory_bytes = *execution.compile_memory_bytes;
    options.cache_dir = naos->project_->module_cache_dir();
    options.cache_key_file = naos->project_->module_cache_key_file();
    // A compiled module on disk that fails authentication is someone's
    // attempt to run native code in the host, or a damaged disk: either way
    // the operator should see it. The module is compiled again.
    options.on_cache_rejected = [raw = naos.get()](const std::string& module_hash, const std::filesystem::path& file,
                                                    const std::string& reason) {
      raw->record({"naos", "", governance::event::kModuleCacheRejected,
                   {{"module_hash", module_hash}, {"file", file.string()}, {"reason", reason}}})
          .ignore_error();
    };
    NAOS_ASSIGN_OR_RETURN(naos->database_, store::Database::open(naos->project_->database_file()));
    // Before anything writes: the database must be the project's own, and
    // the audit key comes from outside data/ (governance/evidence.h).
    NAOS_ASSIGN_OR_RETURN(auto state_dir, governance::state_directory(naos->env_));
    NAOS_ASSIGN_OR_RETURN(auto evidence,
                          governance::Evidence::open(state_dir, naos->project_->root(), *naos->database_,
                                                     naos->project_->legacy_audit_key_file(), clock.now_ms(),
                                                     open_options.recovery));
    naos->evidence_ = std::move(evidence);
    naos->kv_ = std::make_unique<store::KvStore>(*naos->database_);
    naos->registry_ = std::make_unique<project::Registry>(*naos->database_);
    // One group-commit writer for the audit log and the journal: a step's
    // entries and events share a transaction and an fsync (store/group_commit.h).
    NAOS_ASSIGN_OR_RETURN(std::shared_ptr<store::GroupCommit> writer,
                          store::GroupCommit::open(naos->project_->database_file()));
    NAOS_ASSIGN_OR_RETURN(auto witness, governance::Witness::open(naos->evidence_->witness_file()));
    NAOS_ASSIGN_OR_RETURN(naos->audit_,
                          governance::AuditLog::open(writer, naos->evidence_->key(), clock, std::move(witness)));
    NAOS_ASSIGN_OR_RETURN(naos->budget_, governance::BudgetEnforcer::open(naos->project_->database_file(),
                                                                          naos->audit_.get(), clock,
                                                                          naos->project_->config().cost));
    NAOS_ASSIGN_OR_RETURN(naos->secrets_,
                          store::SecretStore::open(*naos->database_, naos->project_->secret_key_file()));
    NAOS_ASSIGN_OR_RETURN(naos->journal_,
                          orchestration::Journal::open(writer, naos->project_->database_file(), clock));
    NAOS_TRY(naos->note_config_change());
  }
  NAOS_ASSIGN_OR_RETURN(naos->sandbox_, sandbox::Sandbox::create(options));
  naos->step_runner_ = std::make_unique<NaosStepRunner>(*naos);
  if (naos->project_) {
    naos->orchestrator_ = std::make_unique<orchestration::Orchestrator>(
        naos->project_->config(), *naos->journal_, *naos->step_runner_, naos->audit_.get(), naos->waiter_);
    NAOS_ASSIGN_OR_RETURN(naos->pools_, Pools::open(*naos));
    // A workflow or saga step may be a pool.
    naos->orchestrator_->set_pool_runner(
        [pools = naos->pools_.get()](const project::PoolConfig& pool, const std::string& id, const std::string& input,
                                     const std::string& parent, const std::atomic<bool>* cancel)
            -> Result<orchestration::NestedPoolResult> {
          NAOS_ASSIGN_OR_RETURN(auto ran, pools->run_step(pool, id, input, parent, cancel));
          return orchestration::NestedPoolResult{ran.state, ran.output, ran.error};
        });
  }
  return naos;
}

Naos::Naos(std::optional<project::Project> project, Clock& clock, EnvLookup env)
    : project_(std::move(project)), clock_(clock), env_(std::move(env)) {
  run_stops_ = std::make_unique<RunStops>(project_ ? project_->stops_dir() : std::filesystem::path());
}

Naos::~Naos() {
  {
    std::lock_guard lock(instances_mutex_);
    stopping_ = true;
  }
  lingering_changed_.notify_all();
  // Writes every lingering end before the journal's writer goes.
  if (lingering_writer_.joinable()) lingering_writer_.join();
}

namespace {

// What a run used of its grants, for its agent.completed / agent.failed
// event. kv, network and llm are counted at the host call. WASI, which
// Wasmtime serves, is not seen call by call: a granted environment or
// folder counts as used when the module imports the call that reads it.
// `env_granted` is the config's grant: the variables naos adds itself
// (NAOS_IDEMPOTENCY_KEY) are no grant of env.
std::set<std::string> capabilities_used(const capabilities::AgentHost& host, const sandbox::AgentModule& module,
                                        bool env_granted, bool folders_granted) {
  std::set<std::string> used = host.capabilities_used();
  auto imports = [&](std::string_view name) {
    return std::find(module.wasi_imports().begin(), module.wasi_imports().end(), name) != module.wasi_imports().end();
  };
  if (env_granted && imports("environ_get")) used.insert("env");
  if (folders_granted && imports("path_open")) used.insert("filesystem");
  return used;
}

// What an agent.stopped event of a run says about why it was stopped.
nlohmann::json stop_detail(RunStops::Why why, const std::optional<StopRequest>& request, const RunOptions& options) {
  switch (why) {
    case RunStops::Why::kStopRequest: {
      nlohmann::json detail = {{"reason", request ? request->reason : std::string("naos stop")}};
      if (request) detail["by_pid"] = request->by_pid, detail["no_restart"] = request->no_restart;
      return detail;
    }
    case RunStops::Why::kInterrupt:
      return {{"reason", "naos process " + std::to_string(this_process().pid) + " was interrupted (Ctrl-C or SIGTERM)"}};
    case RunStops::Why::kCaller:
    case RunStops::Why::kNone:
      break;
  }
  return {{"reason", "stopped by " + options.actor}};
}

bool looks_like_path(std::string_view target) {
  auto ends_with = [target](std::string_view suffix) {
    return target.size() >= suffix.size() && target.substr(target.size() - suffix.size()) == suffix;
  };
  return target.find('/') != std::string_view::npos || ends_with(".wasm") || ends_with(".wat");
}

}  // namespace

std::string anonymous_agent_name(std::string_view module_hash) {
  return std::string(kAnonymousAgentPrefix) + std::string(module_hash.substr(0, 12));
}

Result<Naos::Target> Naos::resolve(std::string_view target) const {
  std::string text(target);
  if (project_) {
    const auto& agents = project_->config().agents;
    if (auto found = agents.find(text); found != agents.end()) {
      return Target{text, project_->module_file(found->second), &found->second};
    }
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(text, ec)) {
    auto canonical = std::filesystem::weakly_canonical(text, ec);
    if (project_) {
      for (const auto& [name, agent] : project_->config().agents) {
        if (std::filesystem::weakly_canonical(project_->module_file(agent), ec) == canonical) {
          return Target{name, canonical, &agent};
        }
      }
    }
    // Not any agent's module: named by its hash once it is loaded (run()),
    // never by its file name, which could be any agent's name.
    return Target{"", canonical, nullptr};
  }
  if (looks_like_path(target)) return Error(Code::kNotFound, "no such file", text);
  if (!project_) {
    return Error(Code::kNotFound, "no agent with this name (not inside a project; give a .wasm path)", text);
  }
  std::vector<std::string> names;
  for (const auto& [name, agent] : project_->config().agents) names.push_back(name);
  return Error(Code::kNotFound,
               "no agent with this name in " + project_->config_file().string() + did_you_mean(text, names), text);
}

Result<sandbox::Grants> Naos::grants_for(const project::AgentConfig* agent) {
  sandbox::Grants grants;
  if (agent == nullptr) return grants;  // deny by default
  const auto& capabilities = agent->capabilities;
  grants.network = capabilities.network;
  grants.allowed_hosts = capabilities.allowed_hosts;
  grants.kv = capabilities.kv;
  grants.llm = capabilities.llm;
  // Checked again now, not only when the config was loaded: a folder may
  // have become a symlink to data/ since. The preopen is the resolved path,
  // so what was checked is what the guest gets.
  auto add_folders = [&](const std::vector<std::string>& folders, sandbox::Writable writable) -> Status {
    for (const auto& folder : folders) {
      auto host = project::resolve_grant(project_->root(), folder);
      if (!host) {
        return Error(host.error().code(), "granted folder " + folder + " " + host.error().message(), agent->name);
      }
      grants.preopens.push_back(
          {*host, "/" + std::filesystem::path(folder).lexically_normal().generic_string(), writable});
    }
    return ok();
  };
  NAOS_TRY(add_folders(capabilities.read, sandbox::Writable::kNo));
  NAOS_TRY(add_folders(capabilities.write, sandbox::Writable::kYes));
  // A granted name is a `naos secret` if one exists, else the host's variable.
  for (const auto& name : capabilities.env) {
    NAOS_ASSIGN_OR_RETURN(auto secret, secrets_->get(name));
    if (secret) {
      grants.env.emplace_back(name, std::move(*secret));
      NAOS_TRY(record({"naos", agent->name, governance::event::kSecretAccessed, {{"secret", name}}}));
    } else if (auto value = env_(name)) {
      grants.env.emplace_back(name, *value);
    }
  }
  return grants;
}

// The config is a file users edit by hand; the audit log learns of an edit the
// next time any command opens the project (config.changed with both hashes).
Status Naos::note_config_change() {
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(project_->config_file(), "config file"));
  std::string hash = sha256_hex(text);
  NAOS_ASSIGN_OR_RETURN(auto last, governance::query_audit(*database_, {.action = governance::event::kConfigChanged,
                                                                         .last = 1}));
  std::string previous;
  if (!last.empty()) {
    auto payload = nlohmann::json::parse(last.back().payload, nullptr, false);
    if (payload.is_object()) previous = payload.value("hash", "");
  }
  if (previous == hash) return ok();
  return record({"naos", "", governance::event::kConfigChanged, {{"hash", hash}, {"previous", previous}}});
}

Status Naos::record(governance::AuditEventDraft event) {
  if (!audit_) return ok();
  auto seq = audit_->append(std::move(event));
  if (!seq) return seq.error();
  return ok();
}

Result<bool> Naos::begin_run(const std::string& agent, const RunOptions& options, const std::string& module_hash) {
  if (!registry_) return false;
  const std::string& actor = options.actor;
  std::lock_guard lock(instances_mutex_);
  std::optional<project::AgentRecord> registered;
  auto now = std::chrono::steady_clock::now();
  if (auto known = known_agents_.find(agent);
      options.instance && known != known_agents_.end() && now - known->second.read_at < kKnownAgentTtl) {
    registered = known->second.record;
  } else {
    NAOS_ASSIGN_OR_RETURN(registered, registry_->find(agent));
    if (registered) {
      known_agents_[agent] = KnownAgent{*registered, now};
    } else {
      known_agents_.erase(agent);
    }
  }
  if (!registered) return false;
  if (registered->status == project::AgentStatus::kBudgetExceeded) {
    // Paused until its budget's next period (or `naos cost reset`, which
    // makes it idle itself): resume once a period has begun since the pause.
    NAOS_ASSIGN_OR_RETURN(auto own, budget_->budget(agent));
    std::optional<project::BudgetConfig> governing = own;
    if (!governing) {
      NAOS_ASSIGN_OR_RETURN(governing, budget_->budget(project::kGlobalBudget));
    }
    bool new_period = false;
    if (governing) {
      NAOS_ASSIGN_OR_RETURN(auto window, governance::period_window(governing->period, clock_.now_ms(),
                                                                   project_->config().cost.timezone));
      new_period = window.start_ms > registered->updated_ms;
    }
    if (new_period || !governing) {
      NAOS_TRY(registry_->transition(agent, project::AgentStatus::kIdle, clock_.now_ms()));
      NAOS_TRY(record({"naos", agent, governance::event::kCostReset,
                       {{"detail", "new budget period"}, {"budget", agent}, {"reason", "period"}}}));
      registered->status = project::AgentStatus::kIdle;
      known_agents_.erase(agent);
    }
  }
  if (registered->status == project::AgentStatus::kBudgetExceeded) {
    return Error(Code::kResourceExhausted, "the agent is paused: its budget is spent (naos cost reset " + agent + ")",
                 agent);
  }
  int& running_here = instances_[agent];
  if (running_here == 0 && options.instance) {
    // Still `running` while the last instances' end lingers. Otherwise queued
    // even when the registry reads `running`: that end may be queued, not yet
    // written.
    if (!lingering_ends_.erase(agent)) queue_lifecycle(agent, project::AgentStatus::kRunning);
  } else if (running_here == 0) {
    end_lingering(agent);
    if (registered->status == project::AgentStatus::kRunning && lifecycle_writes_.contains(agent)) {
      await_lifecycle(agent);  // perhaps only the end of the last instance is not written yet
      NAOS_ASSIGN_OR_RETURN(registered, registry_->find(agent));
      if (!registered) return false;
    }
    // Running per the registry with no run here: another process runs it, or
    // one was killed mid-run. Instances go ahead either way (the journal of
    // the workflow, saga or pool they belong to recovers from a kill).
    if (registered->status == project::AgentStatus::kRunning && registered->runner.pid != 0 &&
        !process_alive(registered->runner)) {
      // The run that set `running` died with its process (kill -9, a
      // crash): it ended, stopped from outside, and this run may start.
      NAOS_TRY(registry_->transition(agent, project::AgentStatus::kStopped, clock_.now_ms()));
      NAOS_TRY(record({"naos", agent, governance::event::kAgentStopped,
                       {{"from", "running"},
                        {"reason", "its naos process (pid " + std::to_string(registered->runner.pid) +
                                       ") ended while it ran"}}}));
      registered->status = project::AgentStatus::kStopped;
      known_agents_.erase(agent);
    }
    if (registered->status == project::AgentStatus::kRunning) {
      std::string by = registered->runner.pid != 0 ? " (naos process " + std::to_string(registered->runner.pid) + ")"
                                                   : std::string();
      return Error(Code::kFailedPrecondition, "the agent is running already" + by, agent);
    }
    NAOS_TRY(registry_->transition(agent, project::AgentStatus::kRunning, clock_.now_ms()));
  }
  ++running_here;
  if (!registered->module_hash.empty() && registered->module_hash != module_hash) {
    // The module changed since it was registered; the trust layer will score this.
    NAOS_TRY(record({actor, agent, "agent.module_changed",
                     {{"registered", registered->module_hash}, {"running", module_hash}}}));
  }
  return true;
}

void Naos::queue_lifecycle(const std::string& agent, project::AgentStatus to) {
  int64_t now = clock_.now_ms();
  auto write = [agent, to, now](store::Database& database) {
    return project::Registry::transition_if_allowed(database, agent, to, now);
  };
  // One UPDATE: a failure leaves nothing to undo.
  lifecycle_writes_[agent] = journal_->writer().submit(write, store::GroupCommit::Undo::kItself).share();
}

void Naos::end_lingering(const std::string& agent) {
  auto found = lingering_ends_.find(agent);
  if (found == lingering_ends_.end()) return;
  queue_lifecycle(agent, found->second.to);
  lingering_ends_.erase(found);
}

void Naos::write_lingering_ends() {
  std::unique_lock lock(instances_mutex_);
  while (true) {
    int64_t now = clock_.now_ms();
    int64_t next_due = INT64_MAX;
    for (auto it = lingering_ends_.begin(); it != lingering_ends_.end();) {
      if (stopping_ || it->second.due_ms <= now) {
        queue_lifecycle(it->first, it->second.to);
        it = lingering_ends_.erase(it);
      } else {
        next_due = std::min(next_due, it->second.due_ms);
        ++it;
      }
    }
    if (stopping_) return;
    if (next_due == INT64_MAX) {
      lingering_changed_.wait(lock);
    } else {
      // The steady clock for the wait; clock_ (maybe a test's) for what is due.
      lingering_changed_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(next_due - now, kLingerMs)));
    }
  }
}

void Naos::await_lifecycle(const std::string& agent) {
  auto found = lifecycle_writes_.find(agent);
  if (found == lifecycle_writes_.end()) return;
  // A write that failed left the status as it was; the caller reads it.
  found->second.wait();
  lifecycle_writes_.erase(found);
}

Status Naos::end_run(const std::string& agent, bool registered, const RunOptions& options,
                     const sandbox::RunOutcome& outcome,
                     const std::optional<governance::BudgetRefusal>& refusal,
                     const std::set<std::string>& capabilities_used, const nlohmann::json* stop) {
  const std::string& actor = options.actor;
  const bool stopped = stop != nullptr && outcome.failure == sandbox::Failure::kCancelled;
  if (registered) {
    auto to = outcome.ok() ? project::AgentStatus::kCompleted
              : stopped    ? project::AgentStatus::kStopped
                           : project::AgentStatus::kFailed;
    if (refusal && refusal->action == project::OnExceed::kPause) to = project::AgentStatus::kBudgetExceeded;
    if (refusal && refusal->action == project::OnExceed::kStop) to = project::AgentStatus::kStopped;
    std::lock_guard lock(instances_mutex_);
    // The last instance to end sets the status, unless a budget stopped the
    // agent: that holds however many instances still run.
    int& running_here = instances_[agent];
    running_here = std::max(0, running_here - 1);
    if (refusal) known_agents_.erase(agent);  // paused or stopped: the next run must read it
    if (refusal || (running_here == 0 && !options.instance)) {
      // Written now: the next run's begin_run must see a budget pause.
      await_lifecycle(agent);
      // Not running any more: a budget paused it, or `naos stop` stopped it, meanwhile.
      NAOS_ASSIGN_OR_RETURN(auto current, registry_->find(agent));
      if (current && current->status == project::AgentStatus::kRunning) {
        NAOS_TRY(registry_->transition(agent, to, clock_.now_ms()));
      }
    } else if (running_here == 0) {
      // Written once it has lingered (skipped in the writer if `naos stop` moved it meanwhile).
      lingering_ends_[agent] = LingeringEnd{to, clock_.now_ms() + kLingerMs};
      if (!lingering_writer_.joinable()) lingering_writer_ = std::thread([this] { write_lingering_ends(); });
      lingering_changed_.notify_one();
    }
  }
  if (refusal) {
    const char* type = refusal->action == project::OnExceed::kPause      ? governance::event::kCostPause
                       : refusal->action == project::OnExceed::kThrottle ? governance::event::kCostThrottle
                                                                          : governance::event::kAgentStopped;
    NAOS_TRY(record({actor, agent, type,
                     {{"detail", "budget " + refusal->target + " exceeded (" +
                                     std::string(project::enum_name(refusal->action)) + ")"},
                      {"budget", refusal->target},
                      {"reason", "budget"}}}));
  }
  if (!audit_) return ok();
  std::vector<std::future<Result<int64_t>>> pending;
  for (const auto& denial : outcome.denials) {
    pending.push_back(audit_->append_async({actor, agent, governance::event::kCapabilityDenied,
                                            {{"capability", denial.capability}, {"detail", denial.detail}}}));
  }
  nlohmann::json payload = {{"elapsed_us", outcome.elapsed.count()},
                            {"fuel", outcome.fuel_consumed},
                            {"memory_bytes", outcome.memory_bytes}};
  if (!capabilities_used.empty()) payload["capabilities_used"] = capabilities_used;
  if (outcome.ok()) {
    payload["output_bytes"] = outcome.output.size();
  } else if (stopped) {
    payload["from"] = "running";
    payload.update(*stop);
  } else {
    payload["error"] = std::string(sandbox::failure_name(outcome.failure));
    payload["message"] = outcome.message;
    payload["exit_status"] = outcome.exit_status;
  }
  const char* type = outcome.ok() ? governance::event::kAgentCompleted
                     : stopped    ? governance::event::kAgentStopped
                                  : governance::event::kAgentFailed;
  pending.push_back(audit_->append_async({actor, agent, type, payload}));
  // An instance run does not wait: the workflow, saga or pool it belongs to
  // waits for its own later event, and the one audit writer commits in order,
  // so those events are durable before the orchestration's step is.
  if (options.instance) return ok();
  for (auto& done : pending) {
    auto seq = done.get();
    if (!seq) return seq.error();
  }
  return ok();
}

Result<AgentRun> Naos::run(std::string_view target_text, const RunOptions& options) {
  NAOS_ASSIGN_OR_RETURN(Target target, resolve(target_text));
  auto loaded = sandbox_->load_file(target.module_file);
  if (!loaded && !std::filesystem::exists(target.module_file)) {
    return Error(Code::kNotFound,
                 "agent has no module at " + target.module_file.string() + " (build it with `naos build " +
                     target.name + "`)",
                 target.name);
  }
  if (!loaded) return Error(loaded.error().code(), loaded.error().message(), target.module_file.string());
  if (target.name.empty()) target.name = anonymous_agent_name((*loaded)->hash());

  // The sandbox's cancel flag: the caller's, an interrupt, or a `naos stop` from any process.
  auto watch = run_stops_->watch(target.name, options.cancel);
  sandbox::RunRequest request;
  request.agent_name = target.name;
  request.input = options.input;
  request.cancel = watch->flag();
  request.limits = project_ ? project::effective_limits(project_->config(), target.config) : sandbox::Limits{};
  if (options.timeout) request.limits.timeout = *options.timeout;
  if (options.memory_bytes) request.limits.memory_bytes = *options.memory_bytes;
  if (options.fuel) request.limits.fuel = *options.fuel;
  NAOS_ASSIGN_OR_RETURN(request.grants, grants_for(target.config));
  NAOS_TRY(apply_trust(target.name, (*loaded)->hash(), options, request.grants));
  const bool env_granted = !request.grants.env.empty();  // before naos adds its own variables
  for (const auto& variable : options.env) request.grants.env.push_back(variable);
  NAOS_ASSIGN_OR_RETURN(auto policy, capabilities::HttpPolicy::create(request.grants.network, request.grants.allowed_hosts));

  capabilities::AgentLog log(project_ ? project_->log_file(target.name) : std::filesystem::path(), clock_,
                             options.log_echo);
  capabilities::AgentHost host(target.name, log, clock_, kv_.get(), &http_, std::move(policy));
  // The first budget refusal of this run; one run calls its host from one
  // thread at a time (agent_calls.h), so no lock.
  std::optional<governance::BudgetRefusal> refusal;
  if (budget_) {
    host.set_cost_sink([this, &refusal](const std::string& agent, int64_t microcents, std::string_view detail) {
      governance::BudgetRefusal refused;
      auto status = budget_->record(agent, microcents, "agent", detail, &refused);
      if (!status && status.error().code() == Code::kResourceExhausted && !refusal) refusal = refused;
      return status;
    });
    // Priced endpoints: each cost.endpoints pattern is matched like an allowedHosts entry.
    std::vector<std::pair<capabilities::HttpPolicy, int64_t>> prices;
    for (const auto& [pattern, microcents] : project_->config().cost.endpoints) {
      auto entry = capabilities::HttpPolicy::create(sandbox::NetworkAccess::kRestricted, {pattern});
      if (entry) prices.emplace_back(std::move(*entry), microcents);
    }
    if (!prices.empty()) {
      host.set_http_pricing(
          [prices](const capabilities::Url& url) -> int64_t {
            for (const auto& [entry, microcents] : prices) {
              if (entry.matches(url)) return microcents;
            }
            return 0;
          },
          [this, &refusal](const std::string& agent, int64_t microcents,
                           const std::string& url) -> Result<capabilities::AgentHost::Settle> {
            governance::BudgetRefusal refused;
            auto reserved = budget_->reserve(agent, microcents, &refused);
            if (!reserved) {
              if (reserved.error().code() == Code::kResourceExhausted && !refusal) refusal = refused;
              return reserved.error();
            }
            auto reservation = std::make_shared<governance::Reservation>(std::move(*reserved));
            return capabilities::AgentHost::Settle([reservation, microcents, url] {
              return reservation->settle(microcents, "http", url);
            });
          });
    }
  }
  // nexus.llm_complete: provider, key, price, reserve and settle (core/llm_wiring.h).
  if (project_) {
    wire_llm(host, {project_->config(), http_, budget_.get(), secrets_.get(), env_,
                    [this](governance::AuditEventDraft event) { return record(std::move(event)); }, refusal});
  }

  const std::string& hash = (*loaded)->hash();
  NAOS_ASSIGN_OR_RETURN(bool registered, begin_run(target.name, options, hash));
  if (audit_) {
    // Durable before end_run returns: end_run waits on its own events, which
    // the single audit writer commits after this one.
    audit_->append_async({options.actor, target.name, governance::event::kAgentStarted,
                          {{"module_hash", hash}, {"input_bytes", options.input.size()}}});
  }
  auto outcome = sandbox_->run(**loaded, request, host);
  if (!outcome) {
    // The host could not set the run up; the agent did not run, but it started.
    sandbox::RunOutcome failed;
    failed.failure = sandbox::Failure::kTrap;
    failed.message = outcome.error().to_string();
    end_run(target.name, registered, options, failed).ignore_error();
    return outcome.error();
  }
  // From here on the agent has run (and may have spent money): its outcome
  // is the result, whether or not its end could be recorded.
  RunStops::Why why = watch->why();
  std::optional<StopRequest> stop_request = watch->request();
  nlohmann::json stop;
  if (outcome->failure == sandbox::Failure::kCancelled) stop = stop_detail(why, stop_request, options);
  auto ended = end_run(target.name, registered, options, *outcome, refusal,
                       capabilities_used(host, **loaded, env_granted, !request.grants.preopens.empty()),
                       stop.is_null() ? nullptr : &stop);
  AgentRun run{target.name, hash, std::move(*outcome), {}, {}};
  if (!ended) run.end_not_recorded = ended.error();
  if (run.outcome.failure == sandbox::Failure::kCancelled) {
    run.stopped = why;
    run.stop_request = std::move(stop_request);
  }
  if (refusal && (refusal->action == project::OnExceed::kPause || refusal->action == project::OnExceed::kStop)) {
    run.budget_action = refusal->action;
  }
  return run;
}

Status Naos::reset_cost(std::string_view target, const std::string& actor) {
  NAOS_TRY(require_project());
  NAOS_TRY(budget_->reset(target, actor));
  {
    std::lock_guard lock(instances_mutex_);
    known_agents_.clear();  // a paused agent may run again at once
  }
  if (target == project::kGlobalBudget) {
    // Every agent the global budget paused may run again.
    NAOS_ASSIGN_OR_RETURN(auto records, registry_->list());
    for (const auto& r : records) {
      if (r.status != project::AgentStatus::kBudgetExceeded) continue;
      NAOS_ASSIGN_OR_RETURN(bool exhausted, budget_->exhausted(r.name));
      if (!exhausted) NAOS_TRY(registry_->transition(r.name, project::AgentStatus::kIdle, clock_.now_ms()));
    }
    return ok();
  }
  NAOS_ASSIGN_OR_RETURN(auto registered, registry_->find(target));
  if (registered && registered->status == project::AgentStatus::kBudgetExceeded) {
    NAOS_ASSIGN_OR_RETURN(bool exhausted, budget_->exhausted(target));
    if (!exhausted) NAOS_TRY(registry_->transition(target, project::AgentStatus::kIdle, clock_.now_ms()));
  }
  return ok();
}

}  // namespace naos
