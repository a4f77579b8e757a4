// Limits — what one run of an agent may consume. Every field has a global
// default (nexus.config.yaml `execution`) that an agent may override.
// Exceeding a limit ends that run with a named Failure (sandbox/run_outcome.h),
// never the host.
#pragma once

#include <chrono>
#include <cstdint>

namespace naos::sandbox {

inline constexpr uint64_t kMiB = 1024 * 1024;

// What one log line costs beyond its text: "<ISO time> <level> " and the
// newline (24 + 1 + up to 5 + 1 + 1 bytes).
inline constexpr uint64_t kLogLineOverhead = 32;

struct Limits {
  // Largest linear memory the agent may grow to (`memoryLimit`).
  uint64_t memory_bytes = 256 * kMiB;
  // Wall-clock time for the whole run (`timeout`), enforced by epoch interruption.
  std::chrono::milliseconds timeout{30'000};
  // Instructions (Wasmtime fuel units) per run (`fuel`); 0 means no fuel limit.
  uint64_t fuel = 0;
  // Bytes the agent may write to stdout (`maxOutput`).
  uint64_t max_output_bytes = 1 * kMiB;
  // Bytes of log the run may produce (`maxLog`): its stderr lines and
  // nexus.log calls, each counted as stored (made printable, with its
  // timestamp and level), so the number of lines is bounded too: an empty
  // line costs kLogLineOverhead.
  uint64_t max_log_bytes = 4 * kMiB;
};

}  // namespace naos::sandbox
