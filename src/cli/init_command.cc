// `naos init [DIR] [--name N] [--json]`: makes DIR (default: --project, else
// the current folder) a naos project (project/init.h).

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "governance/evidence.h"
#include "project/init.h"
#include "project/project.h"

namespace naos::cli {
namespace {

struct InitFlags {
  std::string dir;
  std::string name;
};

// The new project's evidence outside data/ (governance/evidence.h), made now
// so the project is covered from its first command. Evidence an earlier
// project at this path left would refuse the new database, so it is retired.
Result<std::optional<std::filesystem::path>> make_evidence(Context& context, const project::Project& project) {
  NAOS_ASSIGN_OR_RETURN(auto state_dir, governance::state_directory(context.env));
  NAOS_ASSIGN_OR_RETURN(auto database, store::Database::open(project.database_file()));
  int64_t now = context.clock.now_ms();
  NAOS_ASSIGN_OR_RETURN(auto retired,
                        governance::Evidence::retire_for_new_database(state_dir, project.root(), *database, now));
  NAOS_TRY(governance::Evidence::open(state_dir, project.root(), *database, project.legacy_audit_key_file(), now));
  return retired;
}

int init(Context& context, const InitFlags& flags) {
  const Globals& globals = context.globals;
  std::string dir = !flags.dir.empty() ? flags.dir : !globals.project_dir.empty() ? globals.project_dir : ".";
  auto root = project::init_project(dir, flags.name);
  if (!root) return report_error(globals, root.error());
  auto project = project::Project::open(*root);
  if (!project) return report_error(globals, project.error());
  auto retired = make_evidence(context, *project);
  if (!retired) return report_error(globals, retired.error());
  if (*retired && !globals.quiet) {
    std::cerr << "note: an earlier project at this path left evidence; it was moved to " << (*retired)->string()
              << "\n";
  }

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
  command->callback([&context, flags, &exit_status] { exit_status = init(context, *flags); });
}

}  // namespace naos::cli
