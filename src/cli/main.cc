// naos — an operating system for AI agents. main() builds the process-wide
// pieces (clock, environment lookup) and hands them to the commands.

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "sandbox/sandbox.h"

namespace naos::cli {

int report_error(const Globals& globals, const Error& error, std::optional<ProductCode> code) {
  if (globals.json) {
    nlohmann::json out = {{"ok", false},
                          {"error", {{"kind", std::string(code_name(error.code()))}, {"message", error.to_string()}}}};
    if (code) out["error"]["code"] = code->number, out["error"]["name"] = code->name;
    std::cout << out.dump(2) << "\n";
  }
  std::string prefix = code ? std::string(code->name) + " (" + std::to_string(code->number) + "): " : "";
  std::cerr << "error: " << prefix << error.to_string() << "\n";
  return 2;
}

}  // namespace naos::cli

int main(int argc, char** argv) {
  using namespace naos::cli;
  // Wasmtime's errors capture a Rust backtrace when RUST_BACKTRACE is set;
  // naos never shows it, and capturing one costs milliseconds per trap. Set
  // before any thread starts, and only when the user did not choose.
  setenv("RUST_LIB_BACKTRACE", "0", /*overwrite=*/0);
  CLI::App app{"naos — an operating system for AI agents", "naos"};
  app.set_version_flag("--version", std::string("naos 0.1.0 (agent ABI v1, Wasmtime ") + std::string(naos::sandbox::wasmtime_version()) + ")");
  app.require_subcommand(1);
  Globals globals;
  app.add_option("--project", globals.project_dir, "Project folder (default: found by walking up from here)");
  app.add_flag("--json", globals.json, "Print machine-readable JSON");
  app.add_flag("-v,--verbose", globals.verbose, "Print more detail");
  app.add_flag("-q,--quiet", globals.quiet, "Print only results and errors");
  int exit_status = 0;
  add_run_command(app, globals, exit_status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_status;
}
