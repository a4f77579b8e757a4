// `naos pool run NAME [--input TEXT|@file|-] [--id RUN_ID] [--follow]`,
// `naos pool submit NAME TASK... | --batch FILE`, `naos pool status [NAME]`,
// `naos pool scale NAME --size N`, `naos pool drain NAME`,
// `naos pool stop NAME [--discard]` (docs/pools.md).
//
// `run` on a fan-out pool runs every member with the input and prints the
// merged output; on a clone pool it serves the task queue until it is empty
// (or, with --follow, until Ctrl-C, drain or stop). Ctrl-C cancels cleanly:
// running members or tasks stop within milliseconds, tasks go back to the
// queue, and the next `pool run` resumes. A progress bar is drawn on stderr
// when stderr is a terminal, never on a pipe.
//
// `naos pool create NAME AGENT... [--merge M]` (a fan-out pool),
// `naos pool create NAME --agent A --size N [--strategy S]` (a clone pool)
// and `naos pool add POOL AGENT...` edit nexus.config.yaml in place
// (project/config_edit.h).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/cli.h"
#include "cli/interrupt.h"
#include "core/pools.h"
#include "views/pools.h"

namespace naos::cli {
namespace {

using orchestration::ItemState;
using orchestration::PoolItem;


// "[#########-----------]  12/40  1 failed  3 running" on stderr, redrawn at
// most ten times a second; only when stderr is a terminal. The pool calls it
// from its coordinating thread and, through item_ended, from worker threads.
class ProgressBar {
 public:
  explicit ProgressBar(const Globals& globals) : enabled_(!globals.quiet && ::isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() { clear(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(const orchestration::PoolProgress& p) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    bool finished = p.total > 0 && p.completed + p.failed == p.total;
    if (drawn_ && !finished && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr size_t kWidth = 24;
    size_t done = p.completed + p.failed;
    size_t filled = p.total == 0 ? 0 : std::min(kWidth, done * kWidth / p.total);
    std::string line = "\r[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " +
                       std::to_string(done) + "/" + std::to_string(p.total);
    if (p.failed > 0) line += "  " + std::to_string(p.failed) + " failed";
    if (p.running > 0) line += "  " + std::to_string(p.running) + " running";
    std::cerr << line << "\033[K" << std::flush;
    drawn_ = true;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    if (!drawn_) return;
    std::cerr << "\r\033[K" << std::flush;
    drawn_ = false;
  }

 private:
  const bool enabled_;
  std::mutex mutex_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// --input: TEXT, @FILE, or - for stdin.
Result<std::string> input_from(const std::string& spec) {
  if (spec == "-") {
    std::stringstream all;
    all << std::cin.rdbuf();
    return all.str();
  }
  if (!spec.empty() && spec[0] == '@') return read_file(spec.substr(1), "input file");
  return spec;
}

std::string item_line(const PoolItem& item) {
  std::string line = item.name;
  if (item.name != item.agent) line += " (" + item.agent + ")";
  line += ": " + std::string(orchestration::item_state_name(item.state));
  if (item.worker >= 0) line += ", worker " + std::to_string(item.worker);
  if (item.attempts > 1) line += ", " + std::to_string(item.attempts) + " attempts";
  if (item.state == ItemState::kFailed || item.state == ItemState::kCancelled) {
    if (!item.error.empty()) line += ": " + item.error + (item.message.empty() ? "" : " (" + item.message + ")");
  }
  return line;
}

// The exit status of a run that ended in `state`.
int exit_for(const std::string& state) {
  if (state == orchestration::pool_run::kFailed) return 1;
  if (state == orchestration::pool_run::kCancelled) return interrupt_exit_status();  // 130, or 143 for SIGTERM
  return 0;
}

struct RunFlags {
  std::string name;
  std::string input;
  bool has_input = false;
  std::string id;
  bool follow = false;
};

int run_members(Context& context, Pools& pools, const project::PoolConfig& pool, const RunFlags& flags) {
  const Globals& globals = context.globals;
  auto input = input_from(flags.input);
  if (!input) return report_error(globals, input.error());
  ProgressBar bar(globals);
  orchestration::PoolObserver observer;
  observer.progress = [&bar](const orchestration::PoolProgress& p) { bar.update(p); };
  if (globals.verbose && !globals.json) {
    observer.item_ended = [&bar](const PoolItem& item) {
      bar.clear();
      std::cerr << item_line(item) << "\n";
    };
  }
  auto result = pools.run(pool.name, *input, flags.id, &interrupt_flag(), observer);
  bar.clear();
  if (!result) return report_error(globals, result.error());
  if (globals.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : result->items) items.push_back(views::pool_item_json(item));
    nlohmann::json out = {{"ok", result->state != orchestration::pool_run::kFailed &&
                                     result->state != orchestration::pool_run::kCancelled},
                          {"pool", result->pool},
                          {"run", result->run_id},
                          {"state", result->state},
                          {"output", bytes_json(result->output)},
                          {"resumed", result->resumed},
                          {"reused", result->reused},
                          {"items", items}};
    if (!result->error.empty()) out["error"] = result->error;
    std::cout << dump_lossless(out, 2) << "\n";
    return exit_for(result->state);
  }
  if (result->resumed && !globals.quiet) std::cerr << "resumed run " << result->run_id << "\n";
  if (result->state == orchestration::pool_run::kCompleted || result->state == orchestration::pool_run::kPartial) {
    std::cout << result->output << std::flush;
  }
  if (result->state == orchestration::pool_run::kPartial && !globals.quiet) {
    for (const auto& item : result->items) {
      if (item.state == ItemState::kFailed) std::cerr << "warning: " << item_line(item) << "\n";
    }
    std::cerr << "pool " << result->pool << ": partial (run " << result->run_id << ")\n";
  } else if (result->state == orchestration::pool_run::kFailed) {
    for (const auto& item : result->items) {
      if (item.state == ItemState::kFailed) std::cerr << "  " << item_line(item) << "\n";
    }
    std::cerr << "error: pool " << result->pool << " failed: " << result->error << " (run " << result->run_id
              << ")\n";
  } else if (result->state == orchestration::pool_run::kCancelled) {
    std::cerr << "pool " << result->pool << ": cancelled; `naos pool run " << result->pool
              << "` with the same input resumes run " << result->run_id << "\n";
  }
  return exit_for(result->state);
}

int serve_queue(Context& context, Pools& pools, const project::PoolConfig& pool, const RunFlags& flags) {
  const Globals& globals = context.globals;
  ProgressBar bar(globals);
  orchestration::ServeOptions options;
  options.run_id = flags.id;
  options.follow = flags.follow;
  options.cancel = &interrupt_flag();
  options.observer.progress = [&bar](const orchestration::PoolProgress& p) { bar.update(p); };
  if (flags.follow || globals.verbose) {
    // Each task as it ends: a JSON line with --json, else a line of text.
    options.observer.item_ended = [&bar, &globals](const PoolItem& item) {
      bar.clear();
      if (globals.json) {
        std::cout << dump_lossless(views::pool_item_json(item)) << std::endl;
      } else if (!globals.quiet || item.state == ItemState::kFailed) {
        std::cout << "[" << format_time(item.ended_ms) << "] " << item_line(item) << std::endl;
      }
    };
  }
  if (flags.follow && !globals.quiet && !globals.json) {
    std::cerr << "naos pool " << pool.name << ": serving " << pool.size << " workers of " << pool.agent
              << " (Ctrl-C to stop)\n";
  }
  auto result = pools.serve(pool.name, options);
  bar.clear();
  if (!result) return report_error(globals, result.error());
  size_t completed = result->completed(), failed = result->failed();
  if (globals.json) {
    nlohmann::json out = {{"ok", result->state != orchestration::pool_run::kFailed &&
                                     result->state != orchestration::pool_run::kCancelled},
                          {"pool", result->pool},
                          {"run", result->run_id},
                          {"state", result->state},
                          {"completed", completed},
                          {"failed", failed},
                          {"requeued", result->requeued},
                          {"recovered", result->recovered},
                          {"drained", result->drained},
                          {"stopped", result->stopped}};
    if (!result->error.empty()) out["error"] = result->error;
    if (!flags.follow) {
      nlohmann::json tasks = nlohmann::json::array();
      for (const auto& item : result->items) tasks.push_back(views::pool_item_json(item));
      out["tasks"] = tasks;
    }
    std::cout << dump_lossless(out, 2) << "\n";
    return result->stopped ? 0 : exit_for(result->state);
  }
  if (result->recovered > 0 && !globals.quiet) {
    std::cerr << "put " << result->recovered << " task(s) left running by a dead process back in the queue\n";
  }
  std::string summary = "pool " + result->pool + ": " + std::to_string(completed) + " completed, " +
                        std::to_string(failed) + " failed";
  if (result->requeued > 0) summary += ", " + std::to_string(result->requeued) + " back in the queue";
  summary += " (" + result->state + (result->drained ? ", drained" : "") + (result->stopped ? ", stopped" : "") +
             "; run " + result->run_id + ")";
  if (result->state == orchestration::pool_run::kFailed) {
    std::cerr << "error: " << summary << ": " << result->error << "\n";
  } else if (!globals.quiet) {
    std::cout << summary << "\n";
  }
  return result->stopped ? 0 : exit_for(result->state);
}

Result<std::unique_ptr<Pools>> open_pools(Context& context, std::unique_ptr<Naos>& naos) {
  NAOS_ASSIGN_OR_RETURN(naos, open_naos(context, true));
  return Pools::open(*naos);
}

int run(Context& context, const RunFlags& flags) {
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(context.globals, pools.error());
  auto pool = (*pools)->find(flags.name);
  if (!pool) return report_error(context.globals, pool.error());
  if ((*pool)->fan_out() || flags.has_input) {
    if (flags.follow) {
      return report_error(context.globals,
                          Error(Code::kInvalidArgument, "--follow serves a clone pool's queue; it takes no --input"));
    }
    return run_members(context, **pools, **pool, flags);
  }
  return serve_queue(context, **pools, **pool, flags);
}

struct SubmitFlags {
  std::string name;
  std::vector<std::string> tasks;
  std::string batch;
};

int submit(Context& context, const SubmitFlags& flags) {
  const Globals& globals = context.globals;
  std::vector<std::string> tasks = flags.tasks;
  if (!flags.batch.empty()) {
    // One task a line; blank lines (and a last newline) are not tasks.
    std::string text;
    if (flags.batch == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      auto read = read_file(flags.batch, "batch file");
      if (!read) return report_error(globals, read.error());
      text = std::move(*read);
    }
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) tasks.push_back(line);
    }
  }
  if (tasks.empty()) {
    return report_error(globals, Error(Code::kInvalidArgument, "give a task, or --batch FILE with one task a line"));
  }
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  auto ids = (*pools)->submit(flags.name, tasks, "cli");
  if (!ids) return report_error(globals, ids.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"pool", flags.name}, {"ids", *ids}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "queued " << ids->size() << (ids->size() == 1 ? " task" : " tasks") << " on pool " << flags.name
              << " (id" << (ids->size() == 1 ? " " : "s ") << ids->front()
              << (ids->size() > 1 ? "-" + std::to_string(ids->back()) : "") << ")\n";
  }
  return 0;
}

int status(Context& context, const std::string& name) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  std::vector<std::string> names;
  if (name.empty()) {
    for (const auto& [pool_name, pool] : naos->project()->config().pools) names.push_back(pool_name);
  } else {
    names.push_back(name);
  }
  std::vector<PoolStatus> all;
  for (const auto& n : names) {
    auto s = (*pools)->status(n);
    if (!s) return report_error(globals, s.error());
    all.push_back(std::move(*s));
  }
  if (globals.json) {
    if (!name.empty()) {
      std::cout << dump_lossless(views::pool_status_json(all.front()), 2) << "\n";
    } else {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : all) out.push_back(views::pool_status_json(s));
      std::cout << dump_lossless(out, 2) << "\n";
    }
    return 0;
  }
  if (name.empty()) {
    std::vector<std::vector<std::string>> table = {{"POOL", "KIND", "STATE", "WORKERS", "QUEUED", "RUNNING",
                                                    "COMPLETED", "FAILED", "LAST RUN"}};
    for (const auto& s : all) {
      bool clone = s.kind == "clone";
      table.push_back({s.name, s.kind, s.state, std::to_string(s.size),
                       clone ? std::to_string(s.tasks.queued) : "-", clone ? std::to_string(s.tasks.running) : "-",
                       clone ? std::to_string(s.tasks.completed) : "-", clone ? std::to_string(s.tasks.failed) : "-",
                       s.last_run ? s.last_run->state : "-"});
    }
    std::cout << format_table(table);
    return 0;
  }
  const PoolStatus& s = all.front();
  std::cout << "pool " << s.name << " (" << s.kind << ")\n";
  std::cout << "  state:     " << s.state << (s.owner.empty() ? "" : " (process " + s.owner + ")") << "\n";
  if (s.kind == "fan-out") {
    std::string members;
    for (const auto& m : s.members) members += (members.empty() ? "" : ", ") + m;
    std::cout << "  members:   " << members << "\n";
  } else {
    std::cout << "  agent:     " << s.agent << "\n";
    std::cout << "  workers:   " << s.size << (s.size != s.config_size ? " (config: " + std::to_string(s.config_size) + ")" : "")
              << "\n";
    std::cout << "  queued:    " << s.tasks.queued << "\n";
    std::cout << "  running:   " << s.tasks.running << "\n";
    std::cout << "  completed: " << s.tasks.completed << "\n";
    std::cout << "  failed:    " << s.tasks.failed << "\n";
    if (s.tasks.cancelled > 0) std::cout << "  cancelled: " << s.tasks.cancelled << "\n";
  }
  if (s.last_run) {
    std::cout << "  last run:  " << s.last_run->id << " " << s.last_run->state << " at "
              << format_time(s.last_run->updated_ms) << "\n";
  }
  return 0;
}

int scale(Context& context, const std::string& name, uint32_t size) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  auto scaled = (*pools)->scale(name, size, "cli");
  if (!scaled) return report_error(globals, scaled.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"pool", name}, {"size", size}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "pool " << name << ": scaling to " << size << " workers\n";
  }
  return 0;
}

int drain(Context& context, const std::string& name) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  auto served = (*pools)->drain(name, "cli");
  if (!served) return report_error(globals, served.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"pool", name}, {"serving", *served}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "pool " << name
              << (*served ? ": draining (running tasks finish, no new ones start)\n" : ": not running, nothing to drain\n");
  }
  return 0;
}

int stop(Context& context, const std::string& name, bool discard) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  auto served = (*pools)->stop(name, discard, "cli");
  if (!served) return report_error(globals, served.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"pool", name}, {"serving", *served}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "pool " << name
              << (*served ? ": stopping (running tasks go back to the queue)\n" : ": not running\n");
  }
  return 0;
}

struct CreateFlags {
  std::string name;
  std::vector<std::string> members;
  std::string agent;
  uint32_t size = 0;
  std::string strategy;
  std::string merge;
  std::optional<uint32_t> quorum;
};

// `text` as one of `names` (kebab-case, `_` spellings too), as the config reads it.
template <typename Enum, size_t N>
std::optional<Enum> enum_from(const std::string& text, const Enum (&values)[N]) {
  std::string spelled = text;
  std::replace(spelled.begin(), spelled.end(), '_', '-');
  for (Enum value : values) {
    if (project::enum_name(value) == spelled) return value;
  }
  return std::nullopt;
}

int create(Context& context, const CreateFlags& flags) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  Pools::NewPool spec;
  spec.members = flags.members;
  spec.agent = flags.agent;
  spec.size = flags.size;
  spec.quorum = flags.quorum;
  if (!flags.strategy.empty()) {
    constexpr project::PoolStrategy kStrategies[] = {project::PoolStrategy::kRoundRobin,
                                                     project::PoolStrategy::kLeastBusy, project::PoolStrategy::kRandom};
    spec.strategy = enum_from(flags.strategy, kStrategies);
    if (!spec.strategy) {
      return report_error(globals, Error(Code::kInvalidArgument, "--strategy is round-robin, least-busy or random",
                                         flags.strategy));
    }
  }
  if (!flags.merge.empty()) {
    constexpr project::MergeMode kMerges[] = {project::MergeMode::kAll, project::MergeMode::kFirst,
                                              project::MergeMode::kMajority, project::MergeMode::kQuorum};
    spec.merge = enum_from(flags.merge, kMerges);
    if (!spec.merge) {
      return report_error(globals,
                          Error(Code::kInvalidArgument, "--merge is all, first, majority or quorum", flags.merge));
    }
  }
  auto created = (*pools)->create(flags.name, spec, "cli");
  if (!created) return report_error(globals, created.error());
  if (globals.json) {
    nlohmann::json out = {{"ok", true}, {"pool", flags.name}, {"kind", spec.agent.empty() ? "fan-out" : "clone"}};
    if (spec.agent.empty()) {
      out["members"] = spec.members;
    } else {
      out["agent"] = spec.agent;
      out["size"] = spec.size;
    }
    std::cout << dump_lossless(out, 2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "created pool " << flags.name << " in nexus.config.yaml\n";
  }
  return 0;
}

int add(Context& context, const std::string& name, const std::vector<std::string>& agents) {
  const Globals& globals = context.globals;
  std::unique_ptr<Naos> naos;
  auto pools = open_pools(context, naos);
  if (!pools) return report_error(globals, pools.error());
  auto added = (*pools)->add_members(name, agents, "cli");
  if (!added) return report_error(globals, added.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"pool", name}, {"added", agents}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    for (const auto& agent : agents) std::cout << "added " << agent << " to pool " << name << "\n";
  }
  return 0;
}

}  // namespace

void add_pool_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  CLI::App* pool = app.add_subcommand("pool", "Pools: fan-out to member agents, or clones on a task queue");
  pool->require_subcommand(1);

  auto run_flags = std::make_shared<RunFlags>();
  CLI::App* run_command = pool->add_subcommand(
      "run", "Run a fan-out pool with an input, or serve a clone pool's task queue until it is empty");
  run_command->add_option("name", run_flags->name, "Pool name from nexus.config.yaml")->required();
  auto* input_option = run_command->add_option(
      "-i,--input", run_flags->input,
      "Input for every member: TEXT, @FILE, or - for stdin (a clone pool: a JSON array of tasks)");
  run_command->add_option("--id", run_flags->id, "Run id: resume this run (default: the unfinished run, or a new one)");
  run_command->add_flag("-f,--follow", run_flags->follow, "Clone pool: keep serving, waiting for new tasks");
  run_command->add_flag("--json", globals.json, "Print JSON");
  run_command->callback([&, run_flags, input_option] {
    run_flags->has_input = input_option->count() > 0;
    exit_status = run(context, *run_flags);
  });

  auto submit_flags = std::make_shared<SubmitFlags>();
  CLI::App* submit_command = pool->add_subcommand("submit", "Queue tasks for a clone pool");
  submit_command->add_option("name", submit_flags->name, "Pool name")->required();
  submit_command->add_option("task", submit_flags->tasks, "Task text (each argument is one task)");
  submit_command->add_option("--batch", submit_flags->batch, "File with one task a line (- for stdin)");
  submit_command->add_flag("--json", globals.json, "Print JSON");
  submit_command->callback([&, submit_flags] { exit_status = submit(context, *submit_flags); });

  auto status_name = std::make_shared<std::string>();
  CLI::App* status_command = pool->add_subcommand("status", "A pool's state, workers and task counts (all pools without NAME)");
  status_command->add_option("name", *status_name, "Pool name");
  status_command->add_flag("--json", globals.json, "Print JSON");
  status_command->callback([&, status_name] { exit_status = status(context, *status_name); });

  auto scale_name = std::make_shared<std::string>();
  auto scale_size = std::make_shared<uint32_t>(0);
  CLI::App* scale_command = pool->add_subcommand("scale", "Change the workers of a clone pool being served");
  scale_command->add_option("name", *scale_name, "Pool name")->required();
  scale_command->add_option("--size", *scale_size, "Number of workers")->required();
  scale_command->add_flag("--json", globals.json, "Print JSON");
  scale_command->callback([&, scale_name, scale_size] { exit_status = scale(context, *scale_name, *scale_size); });

  auto drain_name = std::make_shared<std::string>();
  CLI::App* drain_command = pool->add_subcommand("drain", "Finish the running tasks, start no new ones, then end");
  drain_command->add_option("name", *drain_name, "Pool name")->required();
  drain_command->add_flag("--json", globals.json, "Print JSON");
  drain_command->callback([&, drain_name] { exit_status = drain(context, *drain_name); });

  auto create_flags = std::make_shared<CreateFlags>();
  CLI::App* create_command = pool->add_subcommand(
      "create", "Add a pool to nexus.config.yaml: NAME AGENT... (fan-out), or NAME --agent A --size N (clones)");
  create_command->add_option("name", create_flags->name, "Pool name")->required();
  create_command->add_option("members", create_flags->members, "Member agents of a fan-out pool");
  create_command->add_option("--agent", create_flags->agent, "The agent a clone pool runs copies of");
  create_command->add_option("--size", create_flags->size, "Number of clones (workers)");
  create_command->add_option("--strategy", create_flags->strategy, "round-robin, least-busy or random");
  create_command->add_option("--merge", create_flags->merge, "all (default), first, majority or quorum");
  create_command->add_option("--quorum", create_flags->quorum, "With --merge quorum: how many must agree");
  create_command->add_flag("--json", globals.json, "Print JSON");
  create_command->callback([&, create_flags] { exit_status = create(context, *create_flags); });

  auto add_name = std::make_shared<std::string>();
  auto add_agents = std::make_shared<std::vector<std::string>>();
  CLI::App* add_command = pool->add_subcommand("add", "Add member agents to a fan-out pool");
  add_command->add_option("pool", *add_name, "Pool name")->required();
  add_command->add_option("agents", *add_agents, "Agents to add")->required();
  add_command->add_flag("--json", globals.json, "Print JSON");
  add_command->callback([&, add_name, add_agents] { exit_status = add(context, *add_name, *add_agents); });

  auto stop_name = std::make_shared<std::string>();
  auto discard = std::make_shared<bool>(false);
  CLI::App* stop_command = pool->add_subcommand("stop", "Stop serving: running tasks go back to the queue");
  stop_command->add_option("name", *stop_name, "Pool name")->required();
  stop_command->add_flag("--discard", *discard, "Also cancel the queued tasks");
  stop_command->add_flag("--json", globals.json, "Print JSON");
  stop_command->callback([&, stop_name, discard] { exit_status = stop(context, *stop_name, *discard); });
}

}  // namespace naos::cli
