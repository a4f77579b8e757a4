// `naos build [NAME] [--json]`: compiles agents/NAME/ into agents/NAME/NAME.wasm
// (project/builder.h). Without NAME, every agent of nexus.config.yaml whose
// folder holds sources is built, one progress line each. Exit status: 0 when
// every build succeeded, 1 when any failed, 2 when nothing could start (no
// project, unknown agent).

#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/units.h"
#include "cli/cli.h"
#include "project/builder.h"
#include "project/project.h"

namespace naos::cli {
namespace {

struct BuildFlags {
  std::string name;
};

struct Target {
  std::string name;
  std::filesystem::path dir;
};

std::string seconds(std::chrono::milliseconds elapsed) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << static_cast<double>(elapsed.count()) / 1000.0 << "s";
  return out.str();
}

int build(Context& context, const BuildFlags& flags) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto project = globals.project_dir.empty() ? project::Project::find(std::filesystem::current_path())
                                             : project::Project::open(globals.project_dir);
  if (!project) return report_error(globals, project.error());
  const auto& agents = project->config().agents;
  auto agent_dir = [&project](const std::string& name) { return project->root() / "agents" / name; };
  // An agent whose `source:` is another file runs that file, not what a build makes.
  auto runs_elsewhere = [&project](const project::AgentConfig& agent) {
    std::error_code ec;
    auto built = project->root() / "agents" / agent.name / (agent.name + ".wasm");
    return !agent.source.empty() &&
           std::filesystem::weakly_canonical(project->module_file(agent), ec) != std::filesystem::weakly_canonical(built, ec);
  };

  std::vector<Target> targets;
  if (!flags.name.empty()) {
    auto found = agents.find(flags.name);
    std::error_code ec;
    if (found == agents.end() && !std::filesystem::is_directory(agent_dir(flags.name), ec)) {
      return report_error(globals,
                          Error(Code::kNotFound,
                                "no agent with this name in " + project->config_file().string() + " and no agents/" +
                                    flags.name + "/ folder",
                                flags.name),
                          ProductCode{100, "AGENT_NOT_FOUND"});
    }
    if (!globals.json && !globals.quiet) {
      if (found == agents.end()) {
        std::cerr << "warning: " << flags.name << " is not in " << project::kConfigFileName
                  << "; add it there to run it\n";
      } else if (runs_elsewhere(found->second)) {
        std::cerr << "warning: agents." << flags.name << ".source is " << found->second.source
                  << "; naos run uses that file, not the module built here\n";
      }
    }
    targets.push_back({flags.name, agent_dir(flags.name)});
  } else {
    for (const auto& [name, agent] : agents) {
      auto kind = project::detect_sources(agent_dir(name), name);
      bool has_sources = kind && *kind != project::SourceKind::kWasm;
      if (!has_sources || runs_elsewhere(agent)) {
        if (globals.verbose && !globals.json) {
          std::cerr << "skip " << name << ": "
                    << (runs_elsewhere(agent) ? "its source: is " + agent.source : std::string("no sources in agents/" + name + "/"))
                    << "\n";
        }
        continue;
      }
      targets.push_back({name, agent_dir(name)});
    }
  }

  auto tools = project::BuildTools::find(project::process_environment());
  nlohmann::json results = nlohmann::json::array();
  int failed = 0;
  for (const auto& target : targets) {
    if (!globals.json && !globals.quiet) std::cout << "building " << target.name << " ... " << std::flush;
    auto built = project::build_agent(target.dir, target.name, tools);
    if (!built) {
      ++failed;
      if (globals.json) {
        results.push_back({{"name", target.name},
                           {"ok", false},
                           {"error", {{"kind", std::string(code_name(built.error().code()))},
                                      {"message", built.error().to_string()}}}});
      } else if (!globals.quiet) {
        std::cout << "failed" << std::endl;
      }
      // The context is the agent's folder, which the name already says.
      std::cerr << "error: " << target.name << ": " << built.error().message() << "\n";
      continue;
    }
    auto module = std::filesystem::relative(built->module_file, project->root()).string();
    if (auto registered = (*naos)->register_build(target.name, built->module_file, built->module_hash, "cli");
        !registered) {
      return report_error(globals, registered.error());
    }
    if (globals.json) {
      results.push_back({{"name", target.name},
                         {"ok", true},
                         {"language", std::string(project::source_kind_name(built->kind))},
                         {"compiled", built->compiled},
                         {"module", module},
                         {"module_hash", built->module_hash},
                         {"bytes", built->module_bytes},
                         {"elapsed_ms", built->elapsed.count()},
                         {"warnings", built->compiler_output}});
      continue;
    }
    if (globals.quiet) continue;
    std::cout << "ok (" << project::source_kind_name(built->kind) << (built->compiled ? "" : ", ready module as is")
              << ") " << module << " " << format_size(built->module_bytes) << " sha256:"
              << built->module_hash.substr(0, 12) << " " << seconds(built->elapsed) << "\n";
    if (!built->compiler_output.empty()) std::cerr << built->compiler_output;
  }

  if (globals.json) {
    std::cout << nlohmann::json{{"ok", failed == 0}, {"agents", results}}.dump(2) << "\n";
  } else if (targets.empty() && !globals.quiet) {
    std::cout << "nothing to build: no agent in " << project::kConfigFileName
              << " has sources in agents/NAME/ (naos create NAME --template T makes one)\n";
  } else if (targets.size() > 1 && !globals.quiet) {
    std::cout << (targets.size() - failed) << " of " << targets.size() << " agents built\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_build_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* command = app.add_subcommand("build", "Compile agents/NAME/ (C or Go) into agents/NAME/NAME.wasm");
  command->add_option("name", flags->name, "The agent (default: every agent in the config that has sources)");
  command->add_flag("--json", globals.json, "Print the results as JSON");
  command->callback([&context, flags, &exit_status] { exit_status = build(context, *flags); });
}

}  // namespace naos::cli
