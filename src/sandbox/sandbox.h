// Sandbox — loads agent modules and runs them, one Wasmtime store per run,
// with no ambient authority: what a run can reach is exactly its Grants, and
// what it can consume is bounded by its Limits.
//
// Loading: Sandbox::load() hashes the bytes, compiles through the ModuleCache
// (memory, then an authenticated artifact on disk, then Cranelift in a
// bounded child process), checks the imports against the ABI
// (docs/abi.md) and pre-instantiates against the shared linker. A loaded
// AgentModule is kept in memory by hash, so the second load of the same bytes
// costs one SHA-256; callers that load the same new bytes at once wait for one
// compile. Sandbox::load_file() also remembers which module a file held, by
// its inode, size and modification time, so a run of an unchanged file costs
// one stat() instead of a read and a SHA-256 (a fifth of a short run's CPU).
//
// Running: Sandbox::run() checks the module's `nexus` imports against the
// request's grants (refusing before any guest code runs), builds a store with
// the memory limiter, fuel and epoch deadline, wires WASI (stdin = input, no
// preopens but the granted ones, only the granted environment), calls `_start`
// and classifies how it ended (sandbox/run_outcome.h).
//
// stdout and stderr take one of two routes. Normally naos's own `fd_write`
// replaces WASI's: it enforces maxOutput before keeping a byte and turns
// stderr lines into log calls as they are written, at no extra cost per run.
// An agent granted a writable folder needs WASI's `fd_write` for its files,
// and a host function cannot call WASI on the guest's behalf (WASI finds the
// guest's memory through its caller), so such an agent links against plain
// WASI with stdout and stderr on in-memory files; an epoch callback then
// checks maxOutput and streams stderr every tick, and the end of the run
// checks both exactly.
//
// This header names no Wasmtime type (style rule 1): the engine, linkers and
// compiled code live behind pointers to types defined in sandbox/ sources.
//
// Threading: load() and run() may be called from many threads at once; each
// run uses its own store. The AgentCalls passed to run() is used by that run
// only. Ownership: the Sandbox owns the engine; AgentModules keep it
// alive only through the Sandbox, which must outlive them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "sandbox/agent_calls.h"
#include "sandbox/compile_limits.h"
#include "sandbox/engine_options.h"
#include "sandbox/grants.h"
#include "sandbox/limits.h"
#include "sandbox/run_outcome.h"

namespace naos::sandbox {

struct RunRequest {
  std::string agent_name;  // argv[0] inside the guest, and the name in messages
  std::string input;       // becomes stdin
  Limits limits;
  Grants grants;
  // When set, the run ends with Failure::kCancelled within a few epoch ticks
  // of it becoming true (a supervisor stopping a child, Ctrl-C on a pool).
  // Must outlive the run.
  const std::atomic<bool>* cancel = nullptr;
};

class Engine;
class ModuleCache;
class InstanceSlots;

// A compiled, import-checked, pre-instantiated agent module.
class AgentModule {
 public:
  ~AgentModule();
  AgentModule(const AgentModule&) = delete;
  AgentModule& operator=(const AgentModule&) = delete;

  // SHA-256 of the module's bytes.
  const std::string& hash() const { return hash_; }
  // The functions the module imports from `nexus`, and from WASI.
  const std::vector<std::string>& nexus_imports() const { return nexus_imports_; }
  const std::vector<std::string>& wasi_imports() const { return wasi_imports_; }

 private:
  friend class Sandbox;
  struct Compiled;  // the Wasmtime module and its pre-instances (sandbox.cc)
  AgentModule();

  std::string hash_;
  std::vector<std::string> nexus_imports_;
  std::vector<std::string> wasi_imports_;
  // Set when the module can never run (unknown import, no _start).
  Failure refusal_ = Failure::kNone;
  std::string refusal_message_;
  uint64_t initial_memory_bytes_ = 0;
  std::unique_ptr<Compiled> compiled_;
};

struct SandboxOptions {
  EngineOptions engine;
  // Where compiled modules are kept between processes; empty keeps none.
  std::filesystem::path cache_dir;
  // The key that authenticates them (sandbox/module_cache.h), created on
  // first use; required with cache_dir. Never in a grantable folder.
  std::filesystem::path cache_key_file;
  // Told of each cached artifact that failed authentication (and was
  // compiled again): module hash, file, why. Called on the loading thread.
  std::function<void(const std::string& module_hash, const std::filesystem::path& file, const std::string& reason)>
      on_cache_rejected;
  // How compiles are bounded (execution.compileTimeout / compileMemory) and
  // the binary that runs them (sandbox/module_compiler.h).
  CompileLimits compile;
};

class Sandbox {
 public:
  static Result<std::unique_ptr<Sandbox>> create(const SandboxOptions& options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Errors: kInvalidArgument when the bytes are not a WebAssembly module.
  // A module that is wasm but cannot run (bad import, no _start) loads, and
  // every run of it ends with kImportDenied or kInvalidModule; one that
  // cannot be compiled within the compile limits loads the same way, and
  // every run of it ends with kModuleTooComplex.
  Result<std::shared_ptr<const AgentModule>> load(std::string_view wasm);
  // load() of the file's contents. Errors also: kNotFound, kUnavailable when
  // the file cannot be read (the message names it).
  Result<std::shared_ptr<const AgentModule>> load_file(const std::filesystem::path& file);

  // Runs the module once. How the agent ended is in the RunOutcome; an Error
  // means the host could not set the run up (a granted folder is missing).
  Result<RunOutcome> run(const AgentModule& module, const RunRequest& request, AgentCalls& calls);

  const EngineOptions& engine_options() const;
  // Modules compiled by Cranelift since creation (not found in memory or on disk).
  uint64_t compiled_modules() const;
  // Cached artifacts rejected since creation (failed authentication).
  uint64_t rejected_artifacts() const;

 private:
  struct Linkers;  // sandbox.cc
  Sandbox(std::unique_ptr<Engine> engine, std::unique_ptr<ModuleCache> cache);
  Status define_imports();
  void inspect_imports(AgentModule& module) const;

  // What a module file looked like when it was read.
  struct FileIdentity {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  struct LoadedFile {
    FileIdentity identity;
    std::shared_ptr<const AgentModule> module;
  };
  static std::optional<FileIdentity> identify(const std::filesystem::path& file);
  Result<std::shared_ptr<const AgentModule>> compile_and_link(std::string_view wasm, const std::string& hash);

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ModuleCache> cache_;
  std::unique_ptr<Linkers> linkers_;
  std::unique_ptr<InstanceSlots> slots_;  // sandbox/instance_slots.h
  std::mutex modules_mutex_;
  std::condition_variable compiled_;  // a compile in `compiling_` finished
  std::unordered_map<std::string, std::shared_ptr<const AgentModule>> modules_;  // by hash
  std::unordered_set<std::string> compiling_;                                    // hashes
  std::unordered_map<std::string, LoadedFile> files_;                            // by path
};

}  // namespace naos::sandbox
