// `naos init [DIR] [--name N] [--json]`: makes DIR (default: --project, else
// the current folder) a naos project (project/init.h).

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "project/init.h"
#include "project/project.h"

namespace naos::cli {
namespace {

struct InitFlags {
  std::string dir;
  std::string name;
};

int init(const Globals& globals, const InitFlags& flags) {
  std::string dir = !flags.dir.empty() ? flags.dir : !globals.project_dir.empty() ? globals.project_dir : ".";
  auto root = project::init_project(dir, flags.name);
  if (!root) return report_error(globals, root.error());
  auto project = project::Project::open(*root);
  if (!project) return report_error(globals, project.error());

  if (globals.json) {
    nlohmann::json out = {{"ok", true},
                          {"project", root->string()},
                          {"name", project->config().name},
                          {"config", project->config_file().string()},
                          {"database", project->database_file().string()}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (globals.quiet) return 0;
  std::cout << "✓ Created project structure in " << root->string() << " (agents/, data/, skills/)\n"
            << "✓ Generated " << project::kConfigFileName << "\n"
            << "✓ Initialized SQLite database (data/nexus.db)\n\n"
            << "Next:\n";
  if (dir != ".") std::cout << "  cd " << dir << "\n";
  std::cout << "  naos templates                        # the agent templates\n"
            << "  naos create hello --template echo     # an agent from one\n"
            << "  naos build hello && naos run hello --input hi\n";
  return 0;
}

}  // namespace

void add_init_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  auto flags = std::make_shared<InitFlags>();
  CLI::App* command = app.add_subcommand("init", "Make a folder a naos project: config, database, agents/, skills/");
  command->add_option("dir", flags->dir, "The project folder, created if needed (default: the current folder)");
  command->add_option("--name", flags->name, "The project's name (default: the folder's name)");
  command->add_flag("--json", globals.json, "Print the result as JSON");
  command->callback([&globals, flags, &exit_status] { exit_status = init(globals, *flags); });
}

}  // namespace naos::cli
