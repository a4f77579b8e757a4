// CompileLimits — how compiling a module is bounded, and the entry point of
// the compile child, in a header free of Wasmtime's so the CLI can name them
// (style rule 1). The mechanism is in sandbox/module_compiler.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "sandbox/engine_options.h"
#include "sandbox/limits.h"

namespace naos::sandbox {

struct CompileLimits {
  // The naos binary, run as `helper __compile-module ...`; empty: compile in
  // this process, unbounded.
  std::filesystem::path helper;
  // execution.compileTimeout: wall-clock time of one compile.
  std::chrono::milliseconds timeout{60'000};
  // execution.compileMemory: address space of the compiling process.
  uint64_t memory_bytes = 2048 * kMiB;
};

// The hidden subcommand, and its exit status for a module that Wasmtime
// rejects (the message is on its stderr).
inline constexpr const char* kCompileModuleCommand = "__compile-module";
inline constexpr int kInvalidModuleExit = 3;

// The child's side of `naos __compile-module`: `options` must be the
// parent's engine options; `memory_bytes` and `cpu_seconds` are applied to
// this process first; `parent_pid` is who started it (it exits at once if
// its parent is already gone, and is killed when it goes). Reads the module
// on stdin, writes the artifact on stdout. Returns the exit status.
int compile_module_child(const EngineOptions& options, uint64_t memory_bytes, uint64_t cpu_seconds,
                         int64_t parent_pid);

}  // namespace naos::sandbox
