// The `naos` command line: thin wrappers that parse flags, call core/naos.h
// and print. Every command that prints data takes --json; errors print
// `error: CODE (number): message` on stderr (codes in docs/errors.md).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "base/bytes_json.h"
#include "base/clock.h"
#include "base/result.h"
#include "core/naos.h"

namespace naos::cli {

// Flags every command shares (PRODUCT.md "Global").
struct Globals {
  std::string project_dir;
  bool json = false;
  bool verbose = false;
  bool quiet = false;
};

// The product's stable error codes (PRODUCT.md "Error codes").
struct ProductCode {
  int number;
  const char* name;
};

// Prints an error to stderr, in JSON on stdout when --json, and returns the exit status.
int report_error(const Globals& globals, const Error& error, std::optional<ProductCode> code = std::nullopt);
// report_error with AGENT_NOT_FOUND for kNotFound.
int report_agent_error(const Globals& globals, const Error& error);

// The process-wide pieces main() owns, handed to every command.
struct Context {
  Globals globals;
  SystemClock clock;
  EnvLookup env;
};

// Opens naos on the project (--project, or found by walking up). With
// `need_project`, no project is an error; without, naos opens bare.
// `recovery`: only `naos audit accept` accepts broken evidence (core/naos.h).
Result<std::unique_ptr<Naos>> open_naos(Context& context, bool need_project,
                                        governance::Recovery recovery = governance::Recovery::kRefuse);

// --input: literal text, @file, or - for stdin.
Result<std::string> read_input(const std::string& spec);

// "2025-01-15 10:30:01" (UTC).
std::string format_time(int64_t unix_ms);
// Left-aligned columns, two spaces apart, with a header row.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// `naos __compile-module ...`: the bounded compile child (sandbox/module_compiler.h).
int compile_module_command(int argc, char** argv);

void add_run_command(CLI::App& app, Context& context, int& exit_status);
void add_agent_commands(CLI::App& app, Context& context, int& exit_status);
void add_audit_command(CLI::App& app, Context& context, int& exit_status);
void add_secret_command(CLI::App& app, Context& context, int& exit_status);
void add_config_command(CLI::App& app, Context& context, int& exit_status);
void add_init_command(CLI::App& app, Context& context, int& exit_status);
void add_templates_command(CLI::App& app, Context& context, int& exit_status);
void add_build_command(CLI::App& app, Context& context, int& exit_status);
void add_create_command(CLI::App& app, Context& context, int& exit_status);
void add_daemon_command(CLI::App& app, Context& context, int& exit_status);
void add_serve_command(CLI::App& app, Context& context, int& exit_status);
void add_axis_command(CLI::App& app, Context& context, int& exit_status);
void add_cost_command(CLI::App& app, Context& context, int& exit_status);
void add_supervisor_command(CLI::App& app, Context& context, int& exit_status);
void add_workflow_command(CLI::App& app, Context& context, int& exit_status);
void add_saga_command(CLI::App& app, Context& context, int& exit_status);
void add_pool_command(CLI::App& app, Context& context, int& exit_status);
void add_runs_command(CLI::App& app, Context& context, int& exit_status);
void add_archive_commands(CLI::App& app, Context& context, int& exit_status);
// A usage error (an unknown or missing command word, an unknown flag, a
// missing argument) as one line that suggests the command meant
// (cli/command_words.cc); `args` are the words after `naos`.
std::string usage_message(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error);
// Prints usage_message as an error (JSON too with --json among `args`); returns 2.
int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error);

// `naos inspect RUN`: a workflow, saga or pool run and its step journal;
// kNotFound when no run has that id (inspect then tries an agent).
Result<int> inspect_run(Context& context, const std::string& run_id);

}  // namespace naos::cli
