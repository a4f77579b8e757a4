// ModuleCompiler — turns wasm bytes into a compiled module and its
// serialized artifact, within limits (`execution.compileTimeout`,
// `execution.compileMemory`).
//
// Cranelift's time and memory grow with a module's shape, not its size: 500 KB
// of nested `if`s took 214 s and 781 MB (issue 19). A compile cannot be
// cancelled from outside, so a bounded compile runs in a child process,
// `naos __compile-module` (the `helper` binary), which:
//   - sets its own RLIMIT_AS and RLIMIT_DATA to `memory_bytes`, and
//     RLIMIT_CPU to the timeout times the cores it may use, before reading a
//     byte of the module;
//   - dies with its parent (PR_SET_PDEATHSIG);
//   - reads the module from stdin, compiles it with an engine configured like
//     the parent's (Engine::create_compile_only), writes the artifact to
//     stdout, and exits 0; or writes Wasmtime's message to stderr and exits
//     kInvalidModuleExit for a module Wasmtime rejects.
// The parent gives it memory files (memfd) for stdin, stdout and stderr, so
// nothing can block on a pipe, waits on a pidfd until `timeout`, then
// SIGKILLs it. Any end but those two exits means the module is too complex.
// The parent then deserializes the artifact into its own engine; the module
// cache (module_cache.h) authenticates it on disk from there on, so a warm
// run never starts a child.
//
// With no helper (tests of the sandbox alone, tools) the compile runs in this
// process, unbounded.
//
// Threading: compile() may run on many threads at once; each compile has its
// own child.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "sandbox/compile_limits.h"
#include "sandbox/engine.h"
#include "sandbox/wasm_handle.h"

namespace naos::sandbox {

struct CompileOutput {
  ModuleHandle module;   // in the parent's engine
  std::string artifact;  // Wasmtime's serialization, for the cache
};

class ModuleCompiler {
 public:
  ModuleCompiler(Engine& engine, CompileLimits limits) : engine_(engine), limits_(std::move(limits)) {}

  // `wasm` is a binary module or WAT text.
  // Errors: kInvalidArgument (not wasm, or invalid: Wasmtime's message);
  // kResourceExhausted (over compileTimeout or compileMemory: the message
  // says which, and the sandbox refuses the module as module_too_complex);
  // kUnavailable (the child could not be started).
  Result<CompileOutput> compile(std::string_view wasm) const;

  const CompileLimits& limits() const { return limits_; }

 private:
  Result<CompileOutput> compile_here(std::string_view wasm) const;
  Result<CompileOutput> compile_in_child(std::string_view wasm) const;

  Engine& engine_;
  CompileLimits limits_;
};

// Wasmtime's compile of `wasm` (binary or WAT) in `engine`, with nothing
// bounded: the core of both sides. Errors: kInvalidArgument.
Result<ModuleHandle> compile_unbounded(wasm_engine_t* engine, std::string_view wasm);

}  // namespace naos::sandbox
