// `naos templates [--json]`: the agent templates built into naos
// (project/templates.h), as a NAME / LANGUAGE / DESCRIPTION table.

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "project/templates.h"

namespace naos::cli {
namespace {

int list_templates(const Globals& globals) {
  const auto& templates = project::builtin_templates();
  if (globals.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : templates) {
      nlohmann::json files = nlohmann::json::array();
      for (const auto& file : t.files) files.push_back(std::string(file.path));
      list.push_back({{"name", t.name},
                      {"language", std::string(project::language_name(t.language))},
                      {"description", t.description},
                      {"config", t.config_body},
                      {"files", files}});
    }
    std::cout << nlohmann::json{{"templates", list}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "LANGUAGE", "DESCRIPTION"}};
  for (const auto& t : templates) {
    rows.push_back({t.name, std::string(project::language_name(t.language)), t.description});
  }
  std::cout << format_table(rows);
  return 0;
}

}  // namespace

void add_templates_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  CLI::App* command = app.add_subcommand("templates", "List the agent templates (naos create NAME --template T)");
  command->add_flag("--json", globals.json, "Print the templates as JSON");
  command->callback([&globals, &exit_status] { exit_status = list_templates(globals); });
}

}  // namespace naos::cli
