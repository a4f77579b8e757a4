// `naos run <agent-or-path> [--input TEXT|@file|-] [--timeout D] [--memory S] [--fuel N] [--verify-trust] [--json]`
// `naos run --all [--input ...]`: every agent of the config at once.
//
// A run stopped by `naos stop` or Ctrl-C ends `stopped`; naos run then exits
// 1, or 130 / 143 when this process was interrupted (cli/interrupt.h).

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/interrupt.h"
#include "core/naos.h"
#include "store/database.h"
#include "views/agent_run.h"

namespace naos::cli {
namespace {

struct RunFlags {
  std::string target;
  bool all = false;
  bool verify_trust = false;
  std::string input;
  std::string timeout;
  std::string memory;
  std::string fuel;
};

// A run naos refused or could not start, with its product code.
int report_refusal(const Globals& globals, const Error& error) {
  if (error.code() == Code::kAlreadyExists) return report_agent_error(globals, error);
  auto code = views::refusal_code(error);
  return report_error(globals, error, code ? std::optional(ProductCode{code->number, code->name}) : std::nullopt);
}

// `naos run --all`: every agent of the config, all at once (one may run
// until stopped, so none waits for another), then one line (or JSON object)
// each, in name order. Exit status: 2 if naos could not run one, else 1 if
// one failed or was stopped, else 0.
int run_all(Context& context, Naos& naos, const RunOptions& options) {
  const Globals& globals = context.globals;
  std::vector<std::string> names;
  for (const auto& [name, agent] : naos.project()->config().agents) names.push_back(name);
  if (names.empty()) return report_error(globals, Error(Code::kNotFound, "the config has no agents"));
  std::vector<std::optional<Result<AgentRun>>> results(names.size());
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < names.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = naos.run(names[i], options); });
    }
  }
  int status = 0;
  nlohmann::json all = nlohmann::json::array();
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& result = *results[i];
    if (!result) {
      status = 2;
      all.push_back({{"agent", names[i]}, {"ok", false}, {"refused", result.error().to_string()}});
      if (!globals.json) std::cerr << "error: " << result.error().to_string() << "\n";
      continue;
    }
    const auto& outcome = result->outcome;
    if (!outcome.ok()) status = std::max(status, 1);
    if (globals.json) {
      all.push_back(views::agent_run_json(*result));
    } else {
      std::string how = outcome.ok() ? "completed"
                        : outcome.failure == sandbox::Failure::kCancelled
                            ? "stopped (" + views::stop_reason(*result) + ")"
                            : "failed: " + std::string(sandbox::failure_name(outcome.failure)) + ": " + outcome.message;
      std::cout << result->agent << ": " << how << "\n";
      if (outcome.ok() && !globals.quiet && !outcome.output.empty()) {
        std::cout << outcome.output << (outcome.output.back() == '\n' ? "" : "\n");
      }
    }
  }
  if (globals.json) std::cout << all.dump(2) << "\n";
  if (interrupted()) return interrupt_exit_status();
  return status;
}

int run(Context& context, const RunFlags& flags) {
  const Globals& globals = context.globals;
  RunOptions options;
  auto input = read_input(flags.input);
  if (!input) return report_error(globals, input.error());
  options.input = std::move(*input);
  if (!flags.timeout.empty()) {
    auto timeout = parse_duration(flags.timeout);
    if (!timeout) return report_error(globals, Error(Code::kInvalidArgument, timeout.error().message(), "--timeout"));
    options.timeout = *timeout;
  }
  if (!flags.memory.empty()) {
    auto memory = parse_size(flags.memory);
    if (!memory) return report_error(globals, Error(Code::kInvalidArgument, memory.error().message(), "--memory"));
    options.memory_bytes = *memory;
  }
  if (!flags.fuel.empty()) {
    auto fuel = parse_count(flags.fuel);
    if (!fuel) return report_error(globals, Error(Code::kInvalidArgument, fuel.error().message(), "--fuel"));
    options.fuel = *fuel;
  }
  if (!globals.quiet && !globals.json) {
    options.log_echo = [](sandbox::LogLevel level, std::string_view line) {
      std::cerr << "[" << sandbox::log_level_name(level) << "] " << line << "\n";
    };
  }

  // A project is optional for a .wasm path; an explicit --project must exist.
  options.verify_trust = flags.verify_trust;
  auto naos = open_naos(context, /*need_project=*/flags.all);
  if (!naos) return report_error(globals, naos.error());
  if (flags.all) return run_all(context, **naos, options);
  auto result = (*naos)->run(flags.target, options);
  if (!result) return report_refusal(globals, result.error());
  const auto& outcome = result->outcome;
  if (result->end_not_recorded) {
    std::cerr << "warning: the run ended, but its end was not recorded: " << result->end_not_recorded->to_string()
              << "\n";
  }
  if (globals.json) {
    std::cout << dump_lossless(views::agent_run_json(*result), 2) << "\n";
  } else {
    // The partial output of a run stopped for writing too much is not shown.
    if (outcome.failure != sandbox::Failure::kOutputTooLarge) std::cout << outcome.output << std::flush;
    for (const auto& denial : outcome.denials) {
      std::cerr << "warning: capability.denied " << denial.capability << ": " << denial.detail << "\n";
    }
    if (outcome.failure == sandbox::Failure::kCancelled) {
      std::cerr << "stopped: agent " << result->agent << " (" << views::stop_reason(*result) << ")\n";
    } else if (!outcome.ok()) {
      auto code = views::failure_code(outcome.failure);
      std::cerr << "error: " << code->name << " (" << code->number << "): agent " << result->agent << " "
                << sandbox::failure_name(outcome.failure) << ": " << outcome.message << "\n";
    }
    if (globals.verbose) {
      std::cerr << "run: " << result->agent << " " << outcome.elapsed.count() << "us, fuel " << outcome.fuel_consumed
                << ", memory " << format_size(outcome.memory_bytes) << ", module " << result->module_hash.substr(0, 12)
                << "\n";
      // Time this process spent waiting for other writers' database locks.
      auto waits = store::lock_wait_stats();
      std::cerr << "database: " << waits.waits << " lock waits, " << waits.waited_us / 1000 << "ms in all, longest "
                << waits.longest_us / 1000 << "ms\n";
    }
  }
  if (outcome.failure == sandbox::Failure::kCancelled && interrupted()) return interrupt_exit_status();
  return outcome.ok() ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  auto flags = std::make_shared<RunFlags>();
  CLI::App* command = app.add_subcommand("run", "Run an agent once: input on stdin, its output on stdout");
  auto* target = command->add_option("agent", flags->target, "Agent name from nexus.config.yaml, or a .wasm/.wat path");
  auto* all = command->add_flag("--all", flags->all, "Run every agent of the config, all at once");
  target->excludes(all);
  // One of the two; CLI11 has no "exactly one of", so the callback checks.
  command->add_option("-i,--input", flags->input, "Input: TEXT, @FILE, or - for stdin");
  command->add_option("--timeout", flags->timeout, "Wall-clock limit, e.g. 30s (default: execution.timeout)");
  command->add_option("--memory", flags->memory, "Memory limit, e.g. 256MB (default: execution.memoryLimit)");
  command->add_option("--fuel", flags->fuel, "Instruction budget; 0 = none (default: execution.fuel)");
  command->add_flag("--verify-trust", flags->verify_trust,
                    "Refuse to run a module other than the one registered with naos axis register");
  command->add_flag("--json", globals.json, "Print the outcome as JSON");
  command->callback([&context, flags, &exit_status] {
    if (flags->target.empty() && !flags->all) throw CLI::RequiredError("agent (or --all)");
    exit_status = run(context, *flags);
  });
}

}  // namespace naos::cli
