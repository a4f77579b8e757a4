// `naos status [NAME]`, `naos list`, `naos inspect NAME [--state]`,
// `naos stop NAME... [--force] [--no-restart] [--timeout D] [--all]`, `naos delete NAME`, `naos logs NAME [--tail N] [--follow]`

#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/printable.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/interrupt.h"
#include "core/log_tail.h"
#include "views/agents.h"

namespace naos::cli {
namespace {

int show_all(Context& context) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto agents = (*naos)->agents();
  if (!agents) return report_error(context.globals, agents.error());
  if (context.globals.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& view : *agents) all.push_back(views::agent_json(view));
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  if (agents->empty()) {
    std::cout << "no agents yet (naos create NAME --template echo)\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "ID", "STATUS", "TEMPLATE", "MODULE", "UPDATED"}};
  for (const auto& view : *agents) {
    const auto* r = view.record ? &*view.record : nullptr;
    rows.push_back({view.name, r ? r->id : project::agent_id(view.name), views::agent_status(view), r ? r->template_name : "",
                    r && !r->module_hash.empty() ? r->module_hash.substr(0, 12) : "-",
                    r ? format_time(r->updated_ms) : "-"});
  }
  std::cout << format_table(rows);
  return 0;
}

int show_one(Context& context, const std::string& name, bool state) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto view = (*naos)->agent(name);
  if (!view) return report_agent_error(context.globals, view.error());
  auto detail = views::agent_detail_json(*view, *(*naos)->database());
  if (!detail) return report_error(context.globals, detail.error());
  nlohmann::json out = std::move(*detail);
  if (state) {
    auto entries = (*naos)->kv()->entries(name);
    if (!entries) return report_error(context.globals, entries.error());
    out["state"] = nlohmann::json::object();
    for (const auto& entry : *entries) {
      // Values are bytes: a string when UTF-8, else {"base64": ...}. Keys are
      // UTF-8 (kv_set refuses others); one stored before that shows as "base64:...".
      out["state"][bytes_key(entry.key)] = bytes_json(entry.value);
    }
  }
  if (context.globals.json) {
    std::cout << dump_lossless(out, 2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : out.items()) {
    if (value.is_object() || value.is_array()) continue;
    rows.push_back({key + ":", value.is_string() ? value.get<std::string>() : value.dump()});
  }
  std::cout << format_table(rows);
  for (const char* section : {"capabilities", "state", "recent_events"}) {
    if (out.contains(section)) std::cout << section << ": " << dump_lossless(out[section]) << "\n";
  }
  return 0;
}

struct StopFlags {
  std::vector<std::string> names;
  bool all = false;
  bool force = false;
  bool no_restart = false;
  std::string timeout;
};

std::string describe(const StopReport& report) {
  std::string pid = report.pid != 0 ? "naos process " + std::to_string(report.pid) : "its naos process";
  switch (report.how) {
    case StopReport::How::kWasNotRunning:
      return "stopped " + report.agent + " (it was " + std::string(project::status_name(report.from)) + ")";
    case StopReport::How::kOrphaned: return "stopped " + report.agent + " (" + pid + " had ended while it ran)";
    case StopReport::How::kStopped:
      return "stopped " + report.agent + " (its run in " + pid + " ended after " +
             std::to_string(report.waited.count()) + " ms)";
    case StopReport::How::kKilled:
      return "stopped " + report.agent + " (killed " + pid + " after " + std::to_string(report.waited.count()) +
             " ms)";
  }
  return "stopped " + report.agent;
}

int stop(Context& context, const StopFlags& flags) {
  StopOptions options;
  options.force = flags.force;
  options.no_restart = flags.no_restart;
  if (!flags.timeout.empty()) {
    auto timeout = parse_duration(flags.timeout);
    if (!timeout) {
      return report_error(context.globals, Error(Code::kInvalidArgument, timeout.error().message(), "--timeout"));
    }
    options.timeout = *timeout;
  }
  const std::vector<std::string>& names = flags.names;
  const bool all = flags.all;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  std::vector<std::string> targets = names;
  if (all) {
    auto agents = (*naos)->agents();
    if (!agents) return report_error(context.globals, agents.error());
    for (const auto& view : *agents) {
      if (view.record && view.record->status == project::AgentStatus::kRunning) targets.push_back(view.name);
    }
  }
  if (targets.empty()) {
    return report_error(context.globals, Error(Code::kInvalidArgument, "name an agent, or use --all"));
  }
  // Each in turn: a stop waits for its run, and --all stops every one even
  // when one fails (the exit status says so).
  int status = 0;
  size_t done = 0;
  nlohmann::json reports = nlohmann::json::array();
  for (const auto& name : targets) {
    auto stopped = (*naos)->stop_agent(name, options);
    if (!stopped) {
      if (stopped.error().code() == Code::kDeadlineExceeded) {
        status = report_error(context.globals, stopped.error(), ProductCode{104, "AGENT_TIMEOUT"});
      } else {
        status = report_agent_error(context.globals, stopped.error());
      }
      continue;
    }
    ++done;
    if (context.globals.json) {
      reports.push_back(views::stop_report_json(*stopped));
    } else if (!context.globals.quiet) {
      std::cout << describe(*stopped) << "\n";
    }
  }
  if (context.globals.json) std::cout << reports.dump(2) << "\n";
  if (all && !context.globals.json && !context.globals.quiet) {
    std::cout << done << " agent" << (done == 1 ? "" : "s") << " stopped\n";
  }
  return status;
}

int remove(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto status = (*naos)->delete_agent(name, "cli");
  if (!status) return report_agent_error(context.globals, status.error());
  if (!context.globals.quiet) {
    std::cout << "deleted " << name << " from the registry (its nexus.config.yaml entry and agents/" << name
              << "/ are left for you to remove)\n";
  }
  return 0;
}

int logs(Context& context, const std::string& name, int64_t tail, bool follow) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto view = (*naos)->agent(name);
  if (!view) return report_agent_error(context.globals, view.error());
  auto file = (*naos)->project()->log_file(name);
  uint64_t read_to = 0;
  for (const auto& line : log_tail(file, tail > 0 ? static_cast<size_t>(tail) : 0, &read_to)) {
    std::cout << line << "\n";
  }
  std::cout << std::flush;
  if (!follow) return 0;
  // On from where log_tail stopped: nothing printed twice, nothing skipped.
  std::ifstream in(file, std::ios::binary);
  if (in.is_open()) in.seekg(static_cast<std::streamoff>(read_to));
  std::string partial;
  while (!interrupted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!in.is_open()) {
      in.open(file, std::ios::binary);
      continue;
    }
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      partial.append(buffer, static_cast<size_t>(in.gcount()));
      if (in.eof()) break;
    }
    in.clear();
    size_t start = 0;
    for (size_t newline; (newline = partial.find('\n', start)) != std::string::npos; start = newline + 1) {
      std::cout << printable(std::string_view(partial).substr(start, newline - start)) << "\n";
    }
    std::cout << std::flush;
    partial.erase(0, start);
  }
  return 0;
}

}  // namespace

void add_agent_commands(CLI::App& app, Context& context, int& exit_status) {
  auto name = std::make_shared<std::string>();
  auto names = std::make_shared<std::vector<std::string>>();
  auto flag = std::make_shared<bool>(false);
  auto tail = std::make_shared<int64_t>(0);

  CLI::App* status = app.add_subcommand("status", "Show every agent, or one in detail");
  status->add_option("agent", *name, "An agent name");
  status->add_flag("--json", context.globals.json, "Print JSON");
  status->callback([&, name] { exit_status = name->empty() ? show_all(context) : show_one(context, *name, false); });

  CLI::App* list = app.add_subcommand("list", "List the agents");
  list->add_flag("--json", context.globals.json, "Print JSON");
  list->callback([&] { exit_status = show_all(context); });

  CLI::App* inspect = app.add_subcommand(
      "inspect", "Show an agent in detail (record, grants, recent events), or a run with its step journal");
  inspect->add_option("agent", *name, "An agent name, or a run id")->required();
  inspect->add_flag("--state", *flag, "Include the agent's kv state");
  inspect->add_flag("--json", context.globals.json, "Print JSON");
  inspect->callback([&, name, flag] {
    // A run id (workflow-..., saga-..., pool-...) shows that run's journal.
    auto run = inspect_run(context, *name);
    exit_status = run ? *run : show_one(context, *name, *flag);
  });

  auto stop_flags = std::make_shared<StopFlags>();
  CLI::App* stop_command =
      app.add_subcommand("stop", "Stop an agent wherever it runs (its run ends `stopped`), waiting for it to end");
  stop_command->add_option("agent", stop_flags->names, "Agent names");
  stop_command->add_flag("--all", stop_flags->all, "Stop every running agent");
  stop_command->add_flag("--force", stop_flags->force,
                         "Past the wait, kill the naos process that runs it instead of failing");
  stop_command->add_flag("--no-restart", stop_flags->no_restart, "Its supervisor leaves it stopped");
  stop_command->add_option("--timeout", stop_flags->timeout,
                           "How long to wait for the run to end, e.g. 5s (default: its shutdown time, 5s)");
  stop_command->add_flag("--json", context.globals.json, "Print JSON");
  stop_command->callback([&, stop_flags] { exit_status = stop(context, *stop_flags); });

  CLI::App* delete_command = app.add_subcommand("delete", "Delete an agent (it must be stopped)");
  delete_command->add_option("agent", *name, "An agent name")->required();
  delete_command->callback([&, name] { exit_status = remove(context, *name); });

  CLI::App* logs_command = app.add_subcommand("logs", "Show an agent's log");
  logs_command->add_option("agent", *name, "An agent name")->required();
  logs_command->add_option("--tail", *tail, "Only the last N lines");
  logs_command->add_flag("--follow,-f", *flag, "Keep printing new lines until Ctrl-C");
  logs_command->callback([&, name, tail, flag] { exit_status = logs(context, *name, *tail, *flag); });
}

}  // namespace naos::cli
