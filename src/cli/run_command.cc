// `naos run <agent-or-path> [--input TEXT|@file|-] [--timeout D] [--memory S] [--fuel N] [--verify-trust] [--json]`

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/units.h"
#include "cli/cli.h"
#include "core/naos.h"
#include "store/database.h"

namespace naos::cli {
namespace {

struct RunFlags {
  std::string target;
  bool verify_trust = false;
  std::string input;
  std::string timeout;
  std::string memory;
  std::string fuel;
};

std::optional<ProductCode> product_code(sandbox::Failure failure) {
  switch (failure) {
    case sandbox::Failure::kNone: return std::nullopt;
    case sandbox::Failure::kTimeout: return ProductCode{104, "AGENT_TIMEOUT"};
    case sandbox::Failure::kMemoryLimitExceeded: return ProductCode{105, "AGENT_OOM"};
    default: return ProductCode{103, "AGENT_CRASHED"};
  }
}

nlohmann::json to_json(const AgentRun& run) {
  const auto& o = run.outcome;
  nlohmann::json denials = nlohmann::json::array();
  for (const auto& d : o.denials) denials.push_back({{"capability", d.capability}, {"detail", d.detail}});
  nlohmann::json out = {
      {"agent", run.agent},
      {"ok", o.ok()},
      {"error", o.ok() ? nlohmann::json(nullptr) : nlohmann::json(std::string(sandbox::failure_name(o.failure)))},
      {"message", o.message},
      {"exit_status", o.exit_status},
      // Output is bytes: a string when it is UTF-8, else {"base64": ...}.
      {"output", bytes_json(o.output)},
      {"elapsed_us", o.elapsed.count()},
      {"fuel_consumed", o.fuel_consumed},
      {"memory_bytes", o.memory_bytes},
      {"module_hash", run.module_hash},
      {"denials", denials},
  };
  if (auto code = product_code(o.failure)) out["code"] = code->number, out["code_name"] = code->name;
  return out;
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
  auto naos = open_naos(context, /*need_project=*/false);
  if (!naos) return report_error(globals, naos.error());
  auto result = (*naos)->run(flags.target, options);
  if (!result) {
    if (result.error().code() == Code::kResourceExhausted) {
      return report_error(globals, result.error(), ProductCode{300, "BUDGET_EXCEEDED"});
    }
    if (result.error().code() == Code::kUnauthenticated) {  // --verify-trust
      return report_error(globals, result.error(), ProductCode{401, "VERIFICATION_FAILED"});
    }
    if (result.error().code() == Code::kPermissionDenied) {  // only the trust gate refuses a whole run
      return report_error(globals, result.error(),
                          ProductCode{governance::kTrustScoreLowNumber, governance::kTrustScoreLowName});
    }
    return report_agent_error(globals, result.error());
  }
  const auto& outcome = result->outcome;
  if (result->end_not_recorded) {
    std::cerr << "warning: the run ended, but its end was not recorded: " << result->end_not_recorded->to_string()
              << "\n";
  }
  if (globals.json) {
    std::cout << dump_lossless(to_json(*result), 2) << "\n";
  } else {
    // The partial output of a run stopped for writing too much is not shown.
    if (outcome.failure != sandbox::Failure::kOutputTooLarge) std::cout << outcome.output << std::flush;
    for (const auto& denial : outcome.denials) {
      std::cerr << "warning: capability.denied " << denial.capability << ": " << denial.detail << "\n";
    }
    if (!outcome.ok()) {
      auto code = product_code(outcome.failure);
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
  return outcome.ok() ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  auto flags = std::make_shared<RunFlags>();
  CLI::App* command = app.add_subcommand("run", "Run an agent once: input on stdin, its output on stdout");
  command->add_option("agent", flags->target, "Agent name from nexus.config.yaml, or a .wasm/.wat path")->required();
  command->add_option("-i,--input", flags->input, "Input: TEXT, @FILE, or - for stdin");
  command->add_option("--timeout", flags->timeout, "Wall-clock limit, e.g. 30s (default: execution.timeout)");
  command->add_option("--memory", flags->memory, "Memory limit, e.g. 256MB (default: execution.memoryLimit)");
  command->add_option("--fuel", flags->fuel, "Instruction budget; 0 = none (default: execution.fuel)");
  command->add_flag("--verify-trust", flags->verify_trust,
                    "Refuse to run a module other than the one registered with naos axis register");
  command->add_flag("--json", globals.json, "Print the outcome as JSON");
  command->callback([&context, flags, &exit_status] { exit_status = run(context, *flags); });
}

}  // namespace naos::cli
