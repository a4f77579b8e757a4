// `naos supervisor create|add|start|stop|status|list` (docs/supervisors.md).
//
// create and add edit nexus.config.yaml (core/supervision.h, through
// project::set_config_entry). start runs a tree in this process until
// Ctrl-C or SIGTERM, with a live view on a terminal and one line (or JSON
// object) per event otherwise; `--detach` starts that same command as a
// background process logging to data/logs/supervisor-NAME.log and returns
// once the tree runs. stop signals the process that runs a tree; status and
// list read what that process stores in the database.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/units.h"
#include "cli/cli.h"
#include "cli/interrupt.h"
#include "core/supervision.h"

namespace naos::cli {
namespace {

using namespace std::chrono_literals;
using orchestration::SupervisorEvent;
namespace sstate = orchestration::supervisor_state;

constexpr ProductCode kAgentNotFound{100, "AGENT_NOT_FOUND"};
constexpr ProductCode kAgentCrashed{103, "AGENT_CRASHED"};
constexpr ProductCode kAgentTimeout{104, "AGENT_TIMEOUT"};


template <typename Enum, size_t N>
std::optional<Enum> parse_enum(std::string text, const Enum (&values)[N]) {
  std::replace(text.begin(), text.end(), '_', '-');
  for (Enum value : values) {
    if (project::enum_name(value) == text) return value;
  }
  return std::nullopt;
}

constexpr project::SupervisorStrategy kStrategies[] = {project::SupervisorStrategy::kOneForOne,
                                                       project::SupervisorStrategy::kOneForAll,
                                                       project::SupervisorStrategy::kRestForOne};
constexpr project::RestartType kRestartTypes[] = {project::RestartType::kPermanent, project::RestartType::kTransient,
                                                  project::RestartType::kTemporary};

Error no_supervisor(const std::string& name) {
  return Error(Code::kNotFound, "no supervisor of this name in the config (naos supervisor list)", name);
}

// ---- one view of a tree, from a live status or from the stored rows ----------------

struct Node {
  std::string name;
  std::string kind = "supervisor";
  std::string state;
  int64_t restarts = 0;
  std::string last_error;
  std::vector<Node> children;
};

Node from_status(const orchestration::SupervisorStatus& status) {
  Node node{status.name, "supervisor", status.state, 0, status.report, {}};
  for (const auto& child : status.children) {
    Node c{child.name, std::string(orchestration::child_kind_name(child.kind)), child.state, child.restarts,
           child.last_error, {}};
    if (child.tree) c.children = from_status(*child.tree).children;
    node.children.push_back(std::move(c));
  }
  return node;
}

// What a stored row says, with a dead process told apart from a stopped tree.
std::string shown_state(const StoredSupervisor& row) {
  bool claimed_active = row.state == sstate::kStarting || row.state == sstate::kRunning || row.state == sstate::kStopping;
  return claimed_active && !row.alive ? "crashed" : row.state;
}

// The config gives the children and their start order; the rows their state.
Node from_rows(const project::Config& config, const std::map<std::string, StoredSupervisor>& rows,
               const std::string& name, int depth = 0) {
  Node node;
  node.name = name;
  auto row = rows.find(name);
  node.state = row == rows.end() ? "not_started" : shown_state(row->second);
  auto supervisor = config.supervisors.find(name);
  if (supervisor == config.supervisors.end() || depth > project::kMaxSupervisionDepth) return node;
  for (const auto& child : supervisor->second.children) {
    Node c;
    c.name = child.name;
    c.kind = config.supervisors.contains(child.name) ? "supervisor"
             : config.workflows.contains(child.name) ? "workflow"
                                                     : "agent";
    c.state = "-";
    if (row != rows.end()) {
      for (const auto& stored : row->second.children) {
        if (stored.name != child.name) continue;
        c.state = stored.state;
        c.restarts = stored.restarts;
        c.last_error = stored.last_error;
      }
      // A tree whose process died: its children are not running either.
      if (!row->second.alive && (c.state == sstate::kRunning || c.state == sstate::kRestarting)) c.state = "crashed";
    }
    if (c.kind == "supervisor") {
      Node sub = from_rows(config, rows, child.name, depth + 1);
      c.children = std::move(sub.children);
    }
    node.children.push_back(std::move(c));
  }
  return node;
}

nlohmann::json node_json(const Node& node) {
  nlohmann::json out = {{"name", node.name},        {"kind", node.kind},
                        {"state", node.state},      {"restarts", node.restarts},
                        {"last_error", node.last_error}};
  if (node.kind == "supervisor") {
    out["children"] = nlohmann::json::array();
    for (const auto& c : node.children) out["children"].push_back(node_json(c));
  }
  return out;
}

const char* colour_of(const std::string& state) {
  if (state == sstate::kRunning || state == sstate::kCompleted) return "\033[32m";
  if (state == sstate::kRestarting || state == sstate::kPaused || state == sstate::kStarting ||
      state == sstate::kStopping || state == sstate::kPending) {
    return "\033[33m";
  }
  if (state == sstate::kFailed || state == sstate::kKilled || state == sstate::kEscalated || state == "crashed") {
    return "\033[31m";
  }
  return "";
}

// NAME (indented by depth), KIND, STATE, RESTARTS, LAST ERROR.
void tree_rows(const Node& node, int depth, std::vector<std::vector<std::string>>& rows) {
  for (const auto& c : node.children) {
    rows.push_back({std::string(static_cast<size_t>(depth) * 2, ' ') + c.name, c.kind, c.state,
                    std::to_string(c.restarts), c.last_error});
    tree_rows(c, depth + 1, rows);
  }
}

std::string render_tree(const Node& node, bool colour) {
  std::vector<std::vector<std::string>> rows = {{"CHILD", "KIND", "STATE", "RESTARTS", "LAST ERROR"}};
  tree_rows(node, 0, rows);
  if (colour) {
    // Padded before it is coloured, so the escape codes do not count as width.
    size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row[2].size());
    // Every cell of the column, the header too, gets codes of the same
    // length (the default colour where there is none).
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string& state = rows[i][2];
      const char* code = i == 0 || !*colour_of(state) ? "\033[39m" : colour_of(state);
      state = std::string(code) + state + std::string(width - state.size(), ' ') + "\033[0m";
    }
  }
  return format_table(rows);
}

// "[2025-01-15 10:31:15] supervisor.child_restart  root/crash-b  reason=failed restarts=2"
std::string event_line(const SupervisorEvent& e, int64_t now_ms) {
  std::string where = e.supervisor + (e.child.empty() ? "" : "/" + e.child);
  std::string detail;
  for (const auto& [key, value] : e.detail.items()) {
    if (key == "report" || (value.is_string() && value.get<std::string>().empty())) continue;
    if (value.is_array() && value.empty()) continue;
    detail += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return "[" + format_time(now_ms) + "] " + e.type + "  " + where + " " + detail;
}

// ---- create and add ---------------------------------------------------------------------

int create(Context& context, const std::string& name, const std::string& strategy_text,
           std::optional<uint32_t> max_restarts) {
  auto& globals = context.globals;
  auto strategy = parse_enum(strategy_text, kStrategies);
  if (!strategy) {
    return report_error(globals, Error(Code::kInvalidArgument,
                                       "--strategy is one of one-for-one, one-for-all, rest-for-one", strategy_text));
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto created = create_supervisor(**naos, name, *strategy, max_restarts, "cli");
  if (!created) return report_error(globals, created.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"supervisor", name},
                                {"strategy", std::string(project::enum_name(*strategy))},
                                {"max_restarts", max_restarts.value_or(project::kDefaultMaxRestarts)}}
                     .dump(2)
              << "\n";
  } else if (!globals.quiet) {
    std::cout << "created supervisor " << name << " (" << project::enum_name(*strategy) << ", at most "
              << max_restarts.value_or(project::kDefaultMaxRestarts) << " restarts in "
              << format_duration(project::kDefaultRestartWindow) << "); add children with `naos supervisor add "
              << name << " CHILD...`\n";
  }
  return 0;
}

int add(Context& context, const std::string& supervisor, const std::vector<std::string>& children,
        const std::string& restart_text) {
  auto& globals = context.globals;
  std::optional<project::RestartType> restart;
  if (!restart_text.empty()) {
    restart = parse_enum(restart_text, kRestartTypes);
    if (!restart) {
      return report_error(globals, Error(Code::kInvalidArgument, "--restart is one of permanent, transient, temporary",
                                         restart_text));
    }
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (!(*naos)->project()->config().supervisors.contains(supervisor)) {
    return report_error(globals, no_supervisor(supervisor));
  }
  auto added = add_supervisor_children(**naos, supervisor, children, restart, "cli");
  if (!added) {
    // A child that names nothing is an agent the user expected to exist.
    bool unknown_child = added.error().code() == Code::kNotFound;
    return report_error(globals, added.error(), unknown_child ? std::optional(kAgentNotFound) : std::nullopt);
  }
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"supervisor", supervisor}, {"added", children}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    for (const auto& child : children) std::cout << "added " << child << " to supervisor " << supervisor << "\n";
  }
  return 0;
}

// ---- start ---------------------------------------------------------------------------------

std::filesystem::path log_file(const project::Project& project, const std::string& name) {
  return project.data_dir() / "logs" / ("supervisor-" + name + ".log");
}

// Why a tree that was being started stopped: the last line of its log.
std::string last_log_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

int start_detached(Context& context, Naos& naos, const std::string& name) {
  auto& globals = context.globals;
  const project::Project& project = *naos.project();
  auto rows = read_supervisors(*naos.database());
  if (!rows) return report_error(globals, rows.error());
  if (auto row = rows->find(name); row != rows->end() && row->second.active()) {
    return report_error(globals, Error(Code::kFailedPrecondition,
                                       "the supervisor is running already (pid " + std::to_string(row->second.pid) + ")",
                                       name));
  }
  auto log = log_file(project, name);
  std::error_code ec;
  std::filesystem::create_directories(log.parent_path(), ec);
  char self[4096];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return report_error(globals, Error(Code::kInternal, "cannot find the naos binary"));
  self[length] = '\0';
  std::string root = project.root().string();

  pid_t child = ::fork();
  if (child < 0) return report_error(globals, Error(Code::kUnavailable, "cannot start a process"));
  if (child == 0) {
    // The background process: its own session (no terminal, Ctrl-C in this
    // shell does not reach it), output to the log, nothing on stdin.
    ::setsid();
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || ::chdir(root.c_str()) != 0) _exit(127);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // nothing of this process (the database, the engine) leaks into the tree's
    ::execl(self, self, "--project", root.c_str(), "supervisor", "start", name.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Back here once the tree runs (stored by the child), or when the child died.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      std::string why = last_log_line(log);
      return report_error(globals, Error(Code::kAborted, "the supervisor stopped at once" +
                                                             (why.empty() ? std::string() : ": " + why),
                                         name));
    }
    auto now_rows = read_supervisors(*naos.database());
    if (now_rows) {
      auto row = now_rows->find(name);
      if (row != now_rows->end() && row->second.pid == child && row->second.state != sstate::kStarting) {
        if (globals.json) {
          std::cout << nlohmann::json{{"ok", true},
                                      {"supervisor", name},
                                      {"pid", child},
                                      {"state", row->second.state},
                                      {"log", log.string()}}
                           .dump(2)
                    << "\n";
        } else if (!globals.quiet) {
          std::cout << "started supervisor " << name << " in the background (pid " << child << "); log: "
                    << log.string() << "\n";
        }
        return 0;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return report_error(globals, Error(Code::kDeadlineExceeded,
                                     "the supervisor did not report running within 10s (pid " + std::to_string(child) +
                                         "); see " + log.string(),
                                     name),
                      kAgentTimeout);
}

int start(Context& context, const std::string& name, bool detach) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (!(*naos)->project()->config().supervisors.contains(name)) return report_error(globals, no_supervisor(name));
  if (detach) return start_detached(context, **naos, name);

  const bool live = !globals.json && !globals.quiet && ::isatty(STDOUT_FILENO) == 1;
  std::mutex print_mutex;
  SupervisionOptions options;
  options.on_event = [&](const SupervisorEvent& e) {
    if (live) return;  // the live view shows the tree instead
    int64_t now = context.clock.now_ms();
    std::lock_guard lock(print_mutex);
    if (globals.json) {
      nlohmann::json line = {{"timestamp", format_utc_ms(now)}, {"type", e.type},     {"supervisor", e.supervisor},
                             {"child", e.child},                {"detail", e.detail}};
      if (!e.child.empty()) line["kind"] = std::string(orchestration::child_kind_name(e.kind));
      std::cout << dump_lossless(line) << std::endl;
    } else if (!globals.quiet || e.type == orchestration::supervisor_event::kEscalated) {
      std::cout << event_line(e, now) << std::endl;
    }
  };
  auto tree = SupervisionTree::open(**naos, name, std::move(options));
  if (!tree) return report_error(globals, tree.error());
  // On Ctrl-C the tree stops its children itself, in reverse start order and
  // each within its shutdown time; an interrupt reaching every run at once
  // would end them all first, as crashes it might restart.
  (*naos)->set_interrupt(nullptr);

  if (!live && !globals.json && !globals.quiet) {
    std::cout << "naos supervisor: running " << name << " (pid " << ::getpid() << "; Ctrl-C or `naos supervisor stop "
              << name << "` to stop)" << std::endl;
  }
  // A signal handler may only set a flag; this thread passes it on, and
  // redraws the live view.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    auto next_draw = std::chrono::steady_clock::now();
    bool asked = false;
    while (!done) {
      if (interrupted() && !asked) {
        asked = true;
        (*tree)->request_stop();
      }
      if (live && std::chrono::steady_clock::now() >= next_draw) {
        next_draw += 500ms;
        auto status = (*tree)->status();
        std::lock_guard lock(print_mutex);
        std::cout << "\033[H\033[2J" << "supervisor " << name << ": " << colour_of(status.state) << status.state
                  << "\033[0m  (pid " << ::getpid() << ", " << format_time(context.clock.now_ms())
                  << (asked ? "; stopping" : "; Ctrl-C to stop") << ")\n\n"
                  << render_tree(from_status(status), true) << std::flush;
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  orchestration::SupervisorOutcome outcome = (*tree)->run();
  done = true;
  watcher.join();

  auto status = (*tree)->status();
  if (auto storage = (*tree)->storage_error()) {
    std::cerr << "warning: the supervisor's state or audit events could not all be written: " << storage->to_string()
              << "\n";
  }
  if (outcome.end == orchestration::SupervisorEnd::kEscalated) {
    if (live) std::cout << "\033[H\033[2J" << render_tree(from_status(status), true) << std::flush;
    // The tree ran and its children failed: exit 1 like any failed agent (2 is for naos not getting that far).
    report_error(globals, Error(Code::kAborted, outcome.report, name), kAgentCrashed);
    return 1;
  }
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"supervisor", name},
                                {"state", status.state},
                                {"report", outcome.report},
                                {"killed", outcome.killed}}
                     .dump()
              << std::endl;
  } else if (!globals.quiet) {
    if (live) std::cout << "\033[H\033[2J" << render_tree(from_status(status), true);
    std::cout << "supervisor " << name << " " << status.state << ": " << outcome.report << "\n";
    for (const auto& killed : outcome.killed) {
      std::cout << "  " << killed << " did not stop within its shutdown time and was abandoned\n";
    }
  }
  return 0;
}

// ---- stop, status, list --------------------------------------------------------------------

// The topmost supervisor above `name` that runs in the same live process.
std::optional<std::string> running_ancestor(const project::Config& config,
                                            const std::map<std::string, StoredSupervisor>& rows,
                                            const std::string& name, int64_t pid) {
  std::optional<std::string> found;
  std::string current = name;
  for (int depth = 0; depth <= project::kMaxSupervisionDepth; ++depth) {
    std::string parent;
    for (const auto& [candidate, supervisor] : config.supervisors) {
      for (const auto& child : supervisor.children) {
        if (child.name == current) parent = candidate;
      }
    }
    if (parent.empty()) break;
    auto row = rows.find(parent);
    if (row != rows.end() && row->second.active() && row->second.pid == pid) found = parent;
    current = parent;
  }
  return found;
}

int stop(Context& context, const std::string& name, const std::string& timeout_text) {
  auto& globals = context.globals;
  auto timeout = parse_duration(timeout_text);
  if (!timeout) return report_error(globals, Error(Code::kInvalidArgument, timeout.error().message(), "--timeout"));
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  const auto& config = (*naos)->project()->config();
  if (!config.supervisors.contains(name)) return report_error(globals, no_supervisor(name));
  auto rows = read_supervisors(*(*naos)->database());
  if (!rows) return report_error(globals, rows.error());
  auto row = rows->find(name);
  if (row == rows->end() || !row->second.active()) {
    std::string why = row == rows->end() ? "it was never started" : "it is " + shown_state(row->second);
    return report_error(globals, Error(Code::kFailedPrecondition, "the supervisor is not running (" + why + ")", name));
  }
  const int64_t pid = row->second.pid;
  if (auto ancestor = running_ancestor(config, *rows, name, pid)) {
    return report_error(globals, Error(Code::kFailedPrecondition,
                                       "it runs as part of the tree " + *ancestor + " (pid " + std::to_string(pid) +
                                           "); stop that: naos supervisor stop " + *ancestor,
                                       name));
  }
  if (::kill(static_cast<pid_t>(pid), SIGTERM) != 0) {
    return report_error(globals, Error(Code::kUnavailable, "cannot signal process " + std::to_string(pid), name));
  }
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::string final_state;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now_rows = read_supervisors(*(*naos)->database());
    if (now_rows) {
      auto current = now_rows->find(name);
      if (current != now_rows->end() && !current->second.active()) {
        final_state = shown_state(current->second);
        break;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  if (final_state.empty()) {
    return report_error(globals, Error(Code::kDeadlineExceeded,
                                       "the supervisor (pid " + std::to_string(pid) + ") did not stop within " +
                                           timeout_text,
                                       name),
                        kAgentTimeout);
  }
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"supervisor", name}, {"pid", pid}, {"state", final_state}}.dump(2)
              << "\n";
  } else if (!globals.quiet) {
    std::cout << "stopped supervisor " << name << " (pid " << pid << "): " << final_state << "\n";
  }
  return 0;
}

int status(Context& context, const std::string& name) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  const auto& config = (*naos)->project()->config();
  if (!config.supervisors.contains(name)) return report_error(globals, no_supervisor(name));
  auto rows = read_supervisors(*(*naos)->database());
  if (!rows) return report_error(globals, rows.error());
  Node tree = from_rows(config, *rows, name);
  const auto& supervisor = config.supervisors.at(name);
  auto row = rows->find(name);
  if (globals.json) {
    nlohmann::json out = node_json(tree);
    out["strategy"] = std::string(project::enum_name(supervisor.strategy));
    out["max_restarts"] = supervisor.max_restarts;
    out["restart_window_ms"] = supervisor.restart_window.count();
    out["pid"] = nullptr;
    out["alive"] = false;
    out["report"] = "";
    out["started"] = nullptr;
    out["updated"] = nullptr;
    if (row != rows->end()) {
      out["pid"] = row->second.pid;
      out["alive"] = row->second.alive;
      out["report"] = row->second.report;
      out["started"] = format_utc_ms(row->second.started_ms);
      out["updated"] = format_utc_ms(row->second.updated_ms);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const bool colour = ::isatty(STDOUT_FILENO) == 1;
  std::string state = tree.state == "not_started" ? "not started" : tree.state;
  std::cout << "supervisor " << name << ": " << (colour ? colour_of(tree.state) : "") << state
            << (colour && *colour_of(tree.state) ? "\033[0m" : "") << "  (" << project::enum_name(supervisor.strategy)
            << ", at most " << supervisor.max_restarts << " restarts in " << format_duration(supervisor.restart_window);
  if (row != rows->end()) {
    std::cout << "; pid " << row->second.pid << (row->second.alive ? "" : ", gone") << ", since "
              << format_time(row->second.started_ms);
  }
  std::cout << ")\n";
  if (row != rows->end() && !row->second.report.empty() && !row->second.active()) {
    std::cout << "  " << row->second.report << "\n";
  }
  std::cout << render_tree(tree, colour);
  return 0;
}

int list(Context& context) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  const auto& config = (*naos)->project()->config();
  auto rows = read_supervisors(*(*naos)->database());
  if (!rows) return report_error(globals, rows.error());
  // Roots first in the table's order is the config's (by name); a nested
  // supervisor names its parent.
  std::map<std::string, std::string> parent_of;
  for (const auto& [name, supervisor] : config.supervisors) {
    for (const auto& child : supervisor.children) parent_of[child.name] = name;
  }
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> table = {{"SUPERVISOR", "STRATEGY", "CHILDREN", "PARENT", "STATE", "PID"}};
  for (const auto& [name, supervisor] : config.supervisors) {
    auto row = rows->find(name);
    std::string state = row == rows->end() ? "not_started" : shown_state(row->second);
    std::string parent = parent_of.contains(name) ? parent_of.at(name) : "";
    nlohmann::json children = nlohmann::json::array();
    for (const auto& c : supervisor.children) children.push_back(c.name);
    nlohmann::json item = {{"name", name},
                           {"strategy", std::string(project::enum_name(supervisor.strategy))},
                           {"children", children},
                           {"parent", parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(parent)},
                           {"state", state},
                           {"pid", nullptr}};
    std::string pid = "-";
    if (row != rows->end() && row->second.active()) {
      item["pid"] = row->second.pid;
      pid = std::to_string(row->second.pid);
    }
    out.push_back(std::move(item));
    table.push_back({name, std::string(project::enum_name(supervisor.strategy)), std::to_string(children.size()),
                     parent.empty() ? "-" : parent, state == "not_started" ? "not started" : state, pid});
  }
  if (globals.json) {
    std::cout << out.dump(2) << "\n";
  } else if (config.supervisors.empty()) {
    if (!globals.quiet) std::cout << "no supervisors (create one: naos supervisor create NAME --strategy one-for-one)\n";
  } else {
    std::cout << format_table(table);
  }
  return 0;
}

}  // namespace

void add_supervisor_command(CLI::App& app, Context& context, int& exit_status) {
  CLI::App* group = app.add_subcommand(
      "supervisor", "Supervision trees: start agents and keep them running, restarting them by a strategy");
  group->require_subcommand(1);

  struct CreateFlags {
    std::string name;
    std::string strategy;
    std::optional<uint32_t> max_restarts;
  };
  auto create_flags = std::make_shared<CreateFlags>();
  CLI::App* create_command = group->add_subcommand("create", "Add a supervisor to nexus.config.yaml");
  create_command->add_option("name", create_flags->name, "The supervisor's name")->required();
  create_command->add_option("--strategy", create_flags->strategy, "one-for-one, one-for-all or rest-for-one")
      ->required();
  create_command->add_option("--max-restarts", create_flags->max_restarts,
                             "Restarts allowed within restartWindow (60s) before it gives up (default 3)");
  create_command->add_flag("--json", context.globals.json, "Print JSON");
  create_command->callback([&, create_flags] {
    exit_status = create(context, create_flags->name, create_flags->strategy, create_flags->max_restarts);
  });

  struct AddFlags {
    std::string supervisor;
    std::vector<std::string> children;
    std::string restart;
  };
  auto add_flags = std::make_shared<AddFlags>();
  CLI::App* add_command =
      group->add_subcommand("add", "Add children (agents, supervisors or workflows) to a supervisor, in start order");
  add_command->alias("add-child");
  add_command->add_option("supervisor", add_flags->supervisor, "The supervisor")->required();
  add_command->add_option("children", add_flags->children, "Agents, supervisors or workflows")->required();
  add_command->add_option("--restart", add_flags->restart,
                          "permanent, transient (default: restart after a failure) or temporary");
  add_command->add_flag("--json", context.globals.json, "Print JSON");
  add_command->callback([&, add_flags] {
    exit_status = add(context, add_flags->supervisor, add_flags->children, add_flags->restart);
  });

  struct StartFlags {
    std::string name;
    bool detach = false;
  };
  auto start_flags = std::make_shared<StartFlags>();
  CLI::App* start_command = group->add_subcommand(
      "start", "Start a supervisor and all its children; runs until Ctrl-C or `naos supervisor stop`");
  start_command->add_option("name", start_flags->name, "The supervisor")->required();
  start_command->add_flag("--detach", start_flags->detach,
                          "Run in the background (log: data/logs/supervisor-NAME.log) and return");
  start_command->add_flag("--json", context.globals.json, "One JSON object per event");
  start_command->callback(
      [&, start_flags] { exit_status = start(context, start_flags->name, start_flags->detach); });

  struct StopFlags {
    std::string name;
    std::string timeout = "60s";
  };
  auto stop_flags = std::make_shared<StopFlags>();
  CLI::App* stop_command =
      group->add_subcommand("stop", "Stop a running supervisor: its children stop in reverse start order");
  stop_command->add_option("name", stop_flags->name, "The supervisor")->required();
  stop_command->add_option("--timeout", stop_flags->timeout, "How long to wait for it to stop (default 60s)");
  stop_command->add_flag("--json", context.globals.json, "Print JSON");
  stop_command->callback([&, stop_flags] { exit_status = stop(context, stop_flags->name, stop_flags->timeout); });

  auto status_name = std::make_shared<std::string>();
  CLI::App* status_command =
      group->add_subcommand("status", "A supervisor's tree: each child's state, restarts and last error");
  status_command->add_option("name", *status_name, "The supervisor")->required();
  status_command->add_flag("--json", context.globals.json, "Print JSON");
  status_command->callback([&, status_name] { exit_status = status(context, *status_name); });

  CLI::App* list_command = group->add_subcommand("list", "Every supervisor of the project and whether it runs");
  list_command->add_flag("--json", context.globals.json, "Print JSON");
  list_command->callback([&] { exit_status = list(context); });
}

}  // namespace naos::cli
