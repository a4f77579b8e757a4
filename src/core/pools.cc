#include "core/pools.h"

#include "base/file.h"
#include "base/sha256.h"
#include "base/units.h"
#include "core/naos.h"
#include "project/config_edit.h"

namespace naos {
namespace {

// A pool's entry as nexus.config.yaml writes it (keys at their defaults left out).
std::string pool_yaml(const project::PoolConfig& pool) {
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return "[" + out + "]";
  };
  std::string out;
  if (pool.fan_out()) {
    out += "members: " + list(pool.members) + "\n";
  } else {
    out += "agent: " + pool.agent + "\nsize: " + std::to_string(pool.size) + "\n";
    out += "strategy: " + std::string(project::enum_name(pool.strategy)) + "\n";
  }
  out += "merge: " + std::string(project::enum_name(pool.merge)) + "\n";
  if (pool.merge == project::MergeMode::kQuorum) out += "quorum: " + std::to_string(pool.quorum) + "\n";
  if (pool.max_concurrency) out += "maxConcurrency: " + std::to_string(*pool.max_concurrency) + "\n";
  const project::Tolerance defaults;
  if (pool.tolerate.kind != defaults.kind || pool.tolerate.value != defaults.value) {
    out += "tolerate: " + (pool.tolerate.kind == project::Tolerance::Kind::kPercent
                               ? "\"" + std::to_string(pool.tolerate.value) + "%\""
                               : std::to_string(pool.tolerate.value)) +
           "\n";
  }
  if (pool.retries > 0) out += "retries: " + std::to_string(pool.retries) + "\n";
  if (pool.timeout) out += "timeout: " + format_duration(*pool.timeout) + "\n";
  return out;
}

// The config as it is on disk now (another command may have edited it since
// Naos opened it); `lock` keeps it so until the edit is written.
Result<std::pair<std::string, project::Config>> current_config(const project::Project& project,
                                                                const project::ConfigLock& lock) {
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(lock.config_file(), "config file"));
  NAOS_ASSIGN_OR_RETURN(project::Config config, project::parse_config(text, project.config_file().string()));
  return std::make_pair(std::move(text), std::move(config));
}

}  // namespace

Pools::Pools(Naos& naos, std::unique_ptr<orchestration::TaskQueue> queue)
    : naos_(naos),
      queue_(std::move(queue)),
      runner_(std::make_unique<orchestration::PoolRunner>(*naos.journal(), naos.step_runner(), naos.audit(),
                                                           naos.clock())) {}

Result<std::unique_ptr<Pools>> Pools::open(Naos& naos) {
  if (!naos.project() || !naos.journal()) {
    return Error(Code::kFailedPrecondition, "pools need a project (naos init, or --project DIR)");
  }
  NAOS_ASSIGN_OR_RETURN(auto queue,
                        orchestration::TaskQueue::open(*naos.journal(), naos.project()->database_file()));
  return std::unique_ptr<Pools>(new Pools(naos, std::move(queue)));
}

Result<const project::PoolConfig*> Pools::find(std::string_view name) const {
  const auto& pools = naos_.project()->config().pools;
  auto found = pools.find(std::string(name));
  if (found == pools.end()) {
    std::string known;
    for (const auto& [pool_name, pool] : pools) known += (known.empty() ? "" : ", ") + pool_name;
    return Error(Code::kNotFound, "no pool of that name in nexus.config.yaml" + (known.empty() ? "" : " (pools: " + known + ")"),
                 std::string(name));
  }
  return &found->second;
}

Result<const project::PoolConfig*> Pools::clone_pool(std::string_view name) const {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, find(name));
  if (pool->fan_out()) {
    return Error(Code::kInvalidArgument,
                 "a fan-out pool (members) has no task queue and no size; run it with `naos pool run " + pool->name +
                     " --input TEXT`",
                 pool->name);
  }
  return pool;
}

Result<orchestration::PoolResult> Pools::run(std::string_view name, const std::string& input,
                                             const std::string& run_id, const std::atomic<bool>* cancel,
                                             const orchestration::PoolObserver& observer) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, find(name));
  std::string id = run_id;
  if (id.empty()) {
    NAOS_ASSIGN_OR_RETURN(auto unfinished, runner_->resumable(*pool, input));
    id = unfinished ? unfinished->id : orchestration::new_run_id(orchestration::pool_run::kKind, pool->name);
  }
  return runner_->run(*pool, id, input, "", cancel, observer);
}

Result<orchestration::PoolResult> Pools::run_step(const project::PoolConfig& pool, const std::string& run_id,
                                                  const std::string& input, const std::string& parent_run_id,
                                                  const std::atomic<bool>* cancel) {
  return runner_->run(pool, run_id, input, parent_run_id, cancel);
}

Result<orchestration::ServeResult> Pools::serve(std::string_view name, const orchestration::ServeOptions& options) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, clone_pool(name));
  return runner_->serve(*pool, *queue_, options);
}

Result<std::vector<int64_t>> Pools::submit(std::string_view name, const std::vector<std::string>& tasks,
                                           const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, clone_pool(name));
  if (tasks.empty()) return Error(Code::kInvalidArgument, "no tasks to submit", pool->name);
  NAOS_ASSIGN_OR_RETURN(auto ids, queue_->submit(pool->name, tasks));
  NAOS_TRY(naos_.record({actor, pool->agent, "pool.submitted",
                         {{"pool", pool->name}, {"tasks", ids.size()}, {"first", ids.front()}, {"last", ids.back()}}}));
  return ids;
}

Result<std::string> Pools::serving(const std::string& pool) {
  NAOS_ASSIGN_OR_RETURN(auto control, queue_->control(pool));
  if (!control || !orchestration::Journal::owner_alive(control->owner)) return std::string();
  return control->owner;
}

Result<PoolStatus> Pools::status(std::string_view name) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, find(name));
  PoolStatus status;
  status.name = pool->name;
  status.kind = pool->fan_out() ? "fan-out" : "clone";
  status.members = pool->members;
  status.agent = pool->agent;
  status.config_size = pool->workers();
  status.size = pool->workers();
  status.state = "idle";

  orchestration::RunFilter filter;
  filter.kind = orchestration::pool_run::kKind;
  filter.name = pool->name;
  filter.top_level_only = true;
  filter.limit = 1;
  NAOS_ASSIGN_OR_RETURN(auto runs, naos_.journal()->runs(filter));
  if (!runs.empty()) status.last_run = runs.back();

  if (pool->fan_out()) {
    if (status.last_run && status.last_run->state == orchestration::pool_run::kRunning &&
        orchestration::Journal::owner_alive(status.last_run->owner)) {
      status.state = "running";
      status.owner = status.last_run->owner;
    }
    return status;
  }
  NAOS_ASSIGN_OR_RETURN(status.tasks, queue_->counts(pool->name));
  NAOS_ASSIGN_OR_RETURN(auto control, queue_->control(pool->name));
  if (control && orchestration::Journal::owner_alive(control->owner)) {
    status.owner = control->owner;
    status.size = control->size;
    switch (control->request) {
      case orchestration::PoolRequest::kServe: status.state = "running"; break;
      case orchestration::PoolRequest::kDrain: status.state = "draining"; break;
      case orchestration::PoolRequest::kStop: status.state = "stopping"; break;
    }
    status.busy_workers.assign(std::max<size_t>(status.size, 1), 0);
    NAOS_ASSIGN_OR_RETURN(auto running, queue_->tasks(pool->name, orchestration::task_state::kRunning));
    for (const auto& task : running) {
      if (task.worker < 0) continue;
      size_t slot = static_cast<size_t>(task.worker);
      if (slot >= status.busy_workers.size()) status.busy_workers.resize(slot + 1, 0);
      status.busy_workers[slot] += 1;
    }
  }
  return status;
}

Status Pools::scale(std::string_view name, uint32_t size, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, clone_pool(name));
  if (size == 0 || size > 10'000) {
    return Error(Code::kInvalidArgument, "--size must be between 1 and 10000", pool->name);
  }
  NAOS_ASSIGN_OR_RETURN(std::string owner, serving(pool->name));
  if (owner.empty()) {
    return Error(Code::kFailedPrecondition,
                 "no process serves the pool; `naos pool run " + pool->name + "` starts it with the config's size: " +
                     std::to_string(pool->size),
                 pool->name);
  }
  NAOS_ASSIGN_OR_RETURN(auto control, queue_->control(pool->name));
  uint32_t from = control ? control->size : pool->size;
  NAOS_TRY(queue_->set_size(pool->name, size));
  return naos_.record({actor, pool->agent, "pool.scaled",
                       {{"pool", pool->name}, {"from", from}, {"to", size}, {"owner", owner}}});
}

Result<bool> Pools::drain(std::string_view name, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, clone_pool(name));
  NAOS_ASSIGN_OR_RETURN(std::string owner, serving(pool->name));
  if (owner.empty()) return false;  // nothing runs, so nothing to drain
  NAOS_TRY(queue_->set_request(pool->name, orchestration::PoolRequest::kDrain));
  NAOS_TRY(naos_.record({actor, pool->agent, "pool.drain_requested", {{"pool", pool->name}, {"owner", owner}}}));
  return true;
}

Result<bool> Pools::stop(std::string_view name, bool discard, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(const project::PoolConfig* pool, find(name));
  int64_t recovered = 0, discarded = 0;
  std::string owner;
  if (pool->fan_out()) {
    // A fan-out run stops with its process (Ctrl-C); nothing is queued.
    if (discard) return Error(Code::kInvalidArgument, "a fan-out pool has no queue to discard", pool->name);
    return false;
  }
  NAOS_ASSIGN_OR_RETURN(owner, serving(pool->name));
  if (!owner.empty()) {
    NAOS_TRY(queue_->set_request(pool->name, orchestration::PoolRequest::kStop));
  } else {
    NAOS_ASSIGN_OR_RETURN(recovered, queue_->recover(pool->name));
  }
  if (discard) {
    NAOS_ASSIGN_OR_RETURN(discarded, queue_->cancel_queued(pool->name));
  }
  NAOS_TRY(naos_.record({actor, pool->agent, "pool.stop_requested",
                         {{"pool", pool->name}, {"owner", owner}, {"recovered", recovered}, {"discarded", discarded}}}));
  return !owner.empty();
}

Status Pools::create(std::string_view name, const NewPool& spec, const std::string& actor) {
  const project::Project& project = *naos_.project();
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project.config_file()));
  NAOS_ASSIGN_OR_RETURN(auto current, current_config(project, lock));
  auto& [before, config] = current;
  std::string key(name);
  if (config.pools.contains(key)) return Error(Code::kAlreadyExists, "a pool of this name exists", key);
  bool clone = !spec.agent.empty();
  if (clone == !spec.members.empty()) {
    return Error(Code::kInvalidArgument,
                 "a pool needs members (naos pool create NAME AGENT...) or a clone agent and size "
                 "(naos pool create NAME --agent A --size N), not both",
                 key);
  }
  if (clone && spec.size == 0) return Error(Code::kInvalidArgument, "a clone pool needs --size N (1 or more)", key);
  if (!clone && (spec.size > 0 || spec.strategy)) {
    return Error(Code::kInvalidArgument, "--size and --strategy are for a clone pool (--agent A)", key);
  }
  for (const auto& agent : clone ? std::vector<std::string>{spec.agent} : spec.members) {
    if (!config.agents.contains(agent)) return Error(Code::kNotFound, "no agent of this name in the config", agent);
  }
  project::PoolConfig pool;
  pool.name = key;
  pool.members = spec.members;
  pool.agent = spec.agent;
  pool.size = spec.size;
  if (spec.strategy) pool.strategy = *spec.strategy;
  if (spec.merge) pool.merge = *spec.merge;
  if (pool.merge == project::MergeMode::kQuorum) {
    if (!spec.quorum) return Error(Code::kInvalidArgument, "merge quorum needs --quorum K (how many must agree)", key);
    pool.quorum = *spec.quorum;
  } else if (spec.quorum) {
    return Error(Code::kInvalidArgument, "--quorum is only used with --merge quorum", key);
  }
  NAOS_TRY(project::set_config_entry(lock, "pools", key, pool_yaml(pool)));
  nlohmann::json payload = {{"pool", key}, {"kind", clone ? "clone" : "fan-out"}};
  if (clone) {
    payload["agent"] = spec.agent;
    payload["size"] = spec.size;
  } else {
    payload["members"] = spec.members;
  }
  NAOS_TRY(naos_.record({actor, clone ? spec.agent : "", "pool.created", payload}));
  NAOS_ASSIGN_OR_RETURN(std::string after, read_file(project.config_file(), "config file"));
  return naos_.record({actor, "", governance::event::kConfigChanged,
                       {{"hash", sha256_hex(after)}, {"previous", sha256_hex(before)}, {"detail", "pool " + key + " created"}}});
}

Status Pools::add_members(std::string_view name, const std::vector<std::string>& agents, const std::string& actor) {
  const project::Project& project = *naos_.project();
  if (agents.empty()) return Error(Code::kInvalidArgument, "name at least one agent to add", std::string(name));
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project.config_file()));
  NAOS_ASSIGN_OR_RETURN(auto current, current_config(project, lock));
  auto& [before, config] = current;
  std::string key(name);
  auto found = config.pools.find(key);
  if (found == config.pools.end()) return Error(Code::kNotFound, "no pool of that name in nexus.config.yaml", key);
  project::PoolConfig pool = found->second;
  if (!pool.fan_out()) {
    return Error(Code::kInvalidArgument,
                 "a clone pool has one agent and a size; change it with `naos pool create` or in the config", key);
  }
  for (const auto& agent : agents) {
    if (!config.agents.contains(agent)) return Error(Code::kNotFound, "no agent of this name in the config", agent);
    if (std::find(pool.members.begin(), pool.members.end(), agent) != pool.members.end()) {
      return Error(Code::kAlreadyExists, "already a member of pool " + key, agent);
    }
    pool.members.push_back(agent);
  }
  NAOS_TRY(project::set_config_entry(lock, "pools", key, pool_yaml(pool)));
  for (const auto& agent : agents) {
    NAOS_TRY(naos_.record({actor, agent, "pool.member_added", {{"pool", key}, {"member", agent}}}));
  }
  NAOS_ASSIGN_OR_RETURN(std::string after, read_file(project.config_file(), "config file"));
  return naos_.record({actor, "", governance::event::kConfigChanged,
                       {{"hash", sha256_hex(after)}, {"previous", sha256_hex(before)},
                        {"detail", "members added to pool " + key}}});
}

}  // namespace naos
