// RunOutcome — how one run of an agent ended, with its output and the
// capability calls it was refused. The failure names are part of the product
// surface (docs/abi.md, `naos run --json`), so they never change.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace naos::sandbox {

enum class Failure {
  kNone,                 // exit status 0
  kExitStatus,           // proc_exit(N), N != 0
  kTrap,                 // any other trap
  kTimeout,              // wall-clock timeout (epoch deadline)
  kFuelExhausted,        // fuel ran out
  kMemoryLimitExceeded,  // linear memory could not grow past memoryLimit
  kOutputTooLarge,       // stdout over maxOutput
  kLogTooLarge,          // log (stderr and nexus.log) over maxLog
  kStackOverflow,        // wasm stack over the engine's limit
  kImportDenied,         // refused before running: an import not granted or not provided
  kInvalidModule,        // refused before running: not wasm, or no _start
  kCancelled,            // the host asked it to stop (RunRequest::cancel)
  kModuleTooComplex,     // refused before running: not compilable within compileTimeout/compileMemory
};

std::string_view failure_name(Failure failure);

struct CapabilityDenial {
  std::string capability;  // "http", "kv", ...
  std::string detail;      // what was asked and why it was refused
};

struct RunOutcome {
  Failure failure = Failure::kNone;
  int exit_status = 0;
  // Why it failed, for a person: the trap message, the denied import, ...
  std::string message;
  std::string output;
  std::vector<CapabilityDenial> denials;
  uint64_t fuel_consumed = 0;
  uint64_t memory_bytes = 0;  // linear memory size when the run ended
  uint64_t log_bytes = 0;     // log written by this run, counted as for maxLog
  uint64_t log_lines = 0;
  std::chrono::microseconds elapsed{0};

  bool ok() const { return failure == Failure::kNone; }
};

}  // namespace naos::sandbox
