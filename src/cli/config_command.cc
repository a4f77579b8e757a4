// `naos config validate [PATH] [--json]`
//
// Loads nexus.config.yaml (PATH: a config file or a project folder; default
// the project from --project or found by walking up) and reports the first
// problem with file, line, column, key path and a suggestion, exactly as every
// command that loads the config does, and also refuses granted folders that
// do not exist (project/grant_paths.h). Nothing is opened but the file and
// the granted folders: no database, no secrets resolved.
//
// Exit status: 0 valid; 2 invalid or not found (docs/errors.md).

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "project/config.h"
#include "project/project.h"

namespace naos::cli {
namespace {

namespace fs = std::filesystem;

// The config at PATH (a file or a project folder), else the project's
// (--project, or found by walking up), as Project finds it for every command.
Result<project::Config> load(const Globals& globals, const std::string& path, fs::path& file) {
  if (path.empty()) {
    auto found = globals.project_dir.empty() ? project::Project::find(fs::current_path())
                                             : project::Project::open(globals.project_dir);
    if (!found) return found.error();
    file = found->config_file();
    // Again, strictly: validation also refuses granted folders that do not exist.
    return project::load_config(file, project::MissingFolders::kRefused);
  }
  file = path;
  if (fs::is_directory(file)) file /= project::kConfigFileName;
  if (!fs::exists(file)) return Error(Code::kNotFound, "no such config file", file.string());
  return project::load_config(file, project::MissingFolders::kRefused);
}

// The file as the user would type it: relative to here when below here.
std::string display(const fs::path& file) {
  std::error_code ec;
  fs::path relative = fs::relative(file, fs::current_path(), ec);
  if (ec || relative.empty() || *relative.begin() == "..") return file.string();
  return relative.string();
}

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int validate(const Context& context, const std::string& path) {
  const Globals& globals = context.globals;
  fs::path file;
  auto config = load(globals, path, file);
  if (!config) {
    // Name the file as the user would type it.
    Error error = config.error();
    project::ConfigErrorParts parts = project::split_config_error(error);
    if (parts.line > 0) {
      error = Error(error.code(), error.message(), display(parts.file) + error.context().substr(parts.file.size()));
      parts = project::split_config_error(error);
    }
    if (!globals.json) return report_error(globals, error);
    nlohmann::json detail = {{"kind", std::string(code_name(error.code()))},
                             {"message", error.to_string()},
                             {"file", parts.file},
                             {"reason", parts.message}};
    if (parts.line > 0) detail["line"] = parts.line, detail["column"] = parts.column;
    if (!parts.path.empty()) detail["path"] = parts.path;
    if (auto at = parts.message.find("did you mean "); at != std::string::npos) {
      std::string suggestion = parts.message.substr(at + 13);
      if (!suggestion.empty() && suggestion.back() == '?') suggestion.pop_back();
      detail["suggestion"] = suggestion;
    }
    std::cout << nlohmann::json{{"ok", false}, {"error", detail}}.dump(2) << "\n";
    Globals text_only = globals;
    text_only.json = false;
    return report_error(text_only, error);
  }
  std::string shown = display(file);

  const project::Config& c = *config;
  // Accepted, with a line each: sections for features out of scope. Named
  // as the file is in every other line this command prints.
  std::vector<std::string> warnings;
  for (const auto& warning : c.warnings) {
    project::ConfigErrorParts parts = project::split_config_error(Error(Code::kInvalidArgument, "", warning.where));
    std::string where = parts.line > 0 ? display(parts.file) + warning.where.substr(parts.file.size()) : warning.where;
    warnings.push_back(where + ": " + warning.message);
  }
  if (!globals.quiet) {
    for (const auto& warning : warnings) std::cerr << "warning: " << warning << "\n";
  }
  if (globals.json) {
    nlohmann::json out = {{"ok", true},
                          {"file", shown},
                          {"name", c.name},
                          {"agents", c.agents.size()},
                          {"supervisors", c.supervisors.size()},
                          {"sagas", c.sagas.size()},
                          {"workflows", c.workflows.size()},
                          {"pools", c.pools.size()},
                          {"budgets", c.cost.budgets.size()},
                          {"models", c.cost.models.size()},
                          {"skills", c.skills.size()},
                          {"providers", c.llm.providers.size()},
                          {"warnings", nlohmann::json::array()}};
    for (const auto& warning : warnings) out["warnings"].push_back(warning);
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (globals.quiet) return 0;
  std::string summary = plural(c.agents.size(), "agent");
  auto add = [&summary](size_t n, const std::string& word) {
    if (n > 0) summary += ", " + plural(n, word);
  };
  add(c.supervisors.size(), "supervisor");
  add(c.sagas.size(), "saga");
  add(c.workflows.size(), "workflow");
  add(c.pools.size(), "pool");
  add(c.cost.budgets.size(), "budget");
  add(c.cost.models.size(), "model price");
  add(c.skills.size(), "skill");
  add(c.llm.providers.size(), "LLM provider");
  std::cout << "ok: " << shown << " is valid (" << summary << ")\n";
  return 0;
}

}  // namespace

void add_config_command(CLI::App& app, Context& context, int& exit_status) {
  auto path = std::make_shared<std::string>();
  CLI::App* config = app.add_subcommand("config", "Check nexus.config.yaml");
  config->require_subcommand(1);
  CLI::App* validate_command =
      config->add_subcommand("validate", "Validate nexus.config.yaml without running anything (docs/config.md)");
  validate_command->add_option("path", *path, "A config file or project folder (default: this project's)");
  validate_command->add_flag("--json", context.globals.json, "Print the result as JSON");
  validate_command->callback([&context, path, &exit_status] { exit_status = validate(context, *path); });
}

}  // namespace naos::cli
