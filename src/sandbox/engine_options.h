// EngineOptions — the engine-wide settings of the sandbox, in a header free of
// Wasmtime's, so layers above sandbox/ can name them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "sandbox/limits.h"

namespace naos::sandbox {

// The Wasmtime release naos is built with, e.g. "36.0.20".
std::string_view wasmtime_version();

struct EngineOptions {
  // Largest wasm stack any agent gets (`execution.maxStack`); engine-wide in Wasmtime.
  uint64_t max_stack_bytes = 1 * kMiB;
  // Concurrent instances the pooling allocator keeps slots for (`execution.maxInstances`).
  uint32_t max_instances = 100;
  // Largest `memoryLimit` any agent may have; a slot reserves this much address space.
  uint64_t max_memory_bytes = 4096 * kMiB;
  std::chrono::milliseconds epoch_tick{2};
};

}  // namespace naos::sandbox
