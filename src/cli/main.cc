// naos — an operating system for AI agents. main() builds the process-wide
// pieces (clock, environment lookup) and hands them to the commands.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "sandbox/compile_limits.h"
#include "cli/interrupt.h"
#include "sandbox/sandbox.h"

namespace {

// What naos says when a bug escapes a command: `error: INTERNAL <what>` and
// exit status 2 (naos could not run it), never an abort with a core dump.
int report_internal(const naos::cli::Globals& globals, const std::string& what) {
  if (globals.json) {
    nlohmann::json out = {{"ok", false}, {"error", {{"kind", "internal"}, {"message", what}}}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
  }
  std::cerr << "error: INTERNAL " << what << "\n" << std::flush;
  return 2;
}

std::string current_exception_text() {
  try {
    if (auto current = std::current_exception()) std::rethrow_exception(current);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
  return "std::terminate without an exception";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace naos::cli;
  // Wasmtime's errors capture a Rust backtrace when RUST_BACKTRACE is set;
  // naos never shows it, and capturing one costs milliseconds per trap. Set
  // before any thread starts, and only when the user did not choose.
  setenv("RUST_LIB_BACKTRACE", "0", /*overwrite=*/0);
  if (argc > 1 && std::strcmp(argv[1], naos::sandbox::kCompileModuleCommand) == 0) {
    return compile_module_command(argc, argv);
  }
  // Before any command: a Ctrl-C from here on stops runs cleanly (cli/interrupt.h).
  install_interrupt_handlers();
  CLI::App app{"naos — an operating system for AI agents", "naos"};
  app.set_version_flag("--version", std::string("naos 0.1.0 (agent ABI v1, Wasmtime ") + std::string(naos::sandbox::wasmtime_version()) + ")");
  app.require_subcommand(1);
  // The last resort for an exception that escapes a thread of naos's own
  // (main's handler below covers the commands): the same message and exit
  // status 2, not SIGABRT. A run it interrupts is an orphan the next resume
  // finds (its owner's pid is gone).
  std::set_terminate([] {
    std::cerr << "error: INTERNAL " << current_exception_text() << "\n" << std::flush;
    std::_Exit(2);
  });
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
  add_serve_command(app, context, exit_status);
  add_axis_command(app, context, exit_status);
  add_cost_command(app, context, exit_status);
  add_supervisor_command(app, context, exit_status);
  add_workflow_command(app, context, exit_status);
  add_saga_command(app, context, exit_status);
  add_pool_command(app, context, exit_status);
  add_runs_command(app, context, exit_status);
  add_archive_commands(app, context, exit_status);
  if (argc == 1) {  // `naos` alone: say what it can do, not "a subcommand is required"
    std::cout << app.help();
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 like every error naos cannot run past (docs/errors.md), not CLI11's 104-109.
    return report_usage_error(app, std::vector<std::string>(argv + 1, argv + argc), e);
  } catch (const std::exception& e) {
    return report_internal(globals, e.what());
  } catch (...) {
    return report_internal(globals, "an exception of unknown type");
  }
  return exit_status;
}
