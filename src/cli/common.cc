#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/interrupt.h"

#include "base/file.h"

namespace naos::cli {

int report_error(const Globals& globals, const Error& error, std::optional<ProductCode> code) {
  if (globals.json) {
    nlohmann::json out = {{"ok", false},
                          {"error", {{"kind", std::string(code_name(error.code()))}, {"message", error.to_string()}}}};
    if (code) out["error"]["code"] = code->number, out["error"]["name"] = code->name;
    // An error message is text for a person: bytes that are not UTF-8 are replaced.
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::string prefix = code ? std::string(code->name) + " (" + std::to_string(code->number) + "): " : "";
  std::cerr << "error: " << prefix << error.to_string() << "\n";
  return 2;
}

int report_agent_error(const Globals& globals, const Error& error) {
  std::optional<ProductCode> code;
  if (error.code() == Code::kNotFound) code = ProductCode{100, "AGENT_NOT_FOUND"};
  if (error.code() == Code::kAlreadyExists) code = ProductCode{101, "AGENT_ALREADY_EXISTS"};
  return report_error(globals, error, code);
}

Result<std::unique_ptr<Naos>> open_naos(Context& context, bool need_project, governance::Recovery recovery) {
  const auto& dir = context.globals.project_dir;
  std::optional<project::Project> project;
  auto found = dir.empty() ? project::Project::find(std::filesystem::current_path()) : project::Project::open(dir);
  if (found) {
    project = std::move(*found);
    // Accepted but worth a line: a section for a feature out of scope.
    if (!context.globals.quiet) {
      for (const auto& warning : project->config().warnings) {
        std::cerr << "warning: " << warning.where << ": " << warning.message << "\n";
      }
    }
  } else if (need_project || !dir.empty() || found.error().code() != Code::kNotFound) {
    return found.error();
  }
  // This very binary compiles new modules in a bounded child process.
  NAOS_ASSIGN_OR_RETURN(auto naos, Naos::open(std::move(project), context.clock, context.env,
                                              {.compile_helper = "/proc/self/exe", .recovery = recovery}));
  // Ctrl-C and SIGTERM stop every run of this process, which ends `stopped`.
  naos->set_interrupt(&interrupt_flag());
  return naos;
}

Result<std::string> read_input(const std::string& spec) {
  if (spec == "-") {
    std::stringstream all;
    all << std::cin.rdbuf();
    return all.str();
  }
  if (!spec.empty() && spec[0] == '@') {
    return read_file(spec.substr(1), "input file");
  }
  return spec;
}

std::string format_time(int64_t unix_ms) {
  std::string iso = format_utc_ms(unix_ms);  // 2025-01-15T10:30:01.123Z
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace naos::cli
