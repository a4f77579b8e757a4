// naos — an operating system for AI agents. main() builds the process-wide
// pieces (clock, environment lookup) and hands them to the commands.

#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/cli.h"
#include "sandbox/compile_limits.h"
#include "sandbox/sandbox.h"

int main(int argc, char** argv) {
  using namespace naos::cli;
  // Wasmtime's errors capture a Rust backtrace when RUST_BACKTRACE is set;
  // naos never shows it, and capturing one costs milliseconds per trap. Set
  // before any thread starts, and only when the user did not choose.
  setenv("RUST_LIB_BACKTRACE", "0", /*overwrite=*/0);
  if (argc > 1 && std::strcmp(argv[1], naos::sandbox::kCompileModuleCommand) == 0) {
    return compile_module_command(argc, argv);
  }
  CLI::App app{"naos — an operating system for AI agents", "naos"};
  app.set_version_flag("--version", std::string("naos 0.1.0 (agent ABI v1, Wasmtime ") + std::string(naos::sandbox::wasmtime_version()) + ")");
  app.require_subcommand(1);
  Context context;
  context.env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  Globals& globals = context.globals;
  app.add_option("--project", globals.project_dir, "Project folder (default: found by walking up from here)");
  app.add_flag("--json", globals.json, "Print machine-readable JSON");
  app.add_flag("-v,--verbose", globals.verbose, "Print more detail");
  app.add_flag("-q,--quiet", globals.quiet, "Print only results and errors");
  int exit_status = 0;
  add_run_command(app, context, exit_status);
  add_agent_commands(app, context, exit_status);
  add_audit_command(app, context, exit_status);
  add_secret_command(app, context, exit_status);
  add_config_command(app, context, exit_status);
  add_init_command(app, context, exit_status);
  add_templates_command(app, context, exit_status);
  add_build_command(app, context, exit_status);
  add_create_command(app, context, exit_status);
  add_daemon_command(app, context, exit_status);
  add_axis_command(app, context, exit_status);
  add_cost_command(app, context, exit_status);
  add_supervisor_command(app, context, exit_status);
  add_workflow_command(app, context, exit_status);
  add_saga_command(app, context, exit_status);
  add_pool_command(app, context, exit_status);
  add_runs_command(app, context, exit_status);
  if (argc == 1) {  // `naos` alone: say what it can do, not "a subcommand is required"
    std::cout << app.help();
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_status;
}
