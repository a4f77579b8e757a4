// ModuleCache — turns wasm bytes into a compiled Wasmtime module, compiling
// at most once per (module hash, engine fingerprint), and loading from disk
// only artifacts it can authenticate.
//
// A .cwasm is native code that Wasmtime loads without re-validating it, so a
// file that naos did not write for exactly this module must never be loaded:
// an agent (or anyone) able to write it would run its own code in the host
// with another agent's grants, under that agent's module hash in the audit
// log. On disk, a compiled module is
//
//   <dir>/<sha256 of the wasm>-<engine fingerprint>.cwasm
//     bytes 0-7    "NAOSMAC1"
//     bytes 8-39   HMAC-SHA256 keyed by the project's module cache key over
//                  "naos module cache v1\n" <module hash> "\n"
//                  <engine fingerprint> "\n" <artifact>
//     bytes 40-    the artifact: Wasmtime's serialization of the module
//
// The key (data/module_cache.key: 32 random bytes, mode 0600) lives in
// data/, which no agent can be granted (project/grant_paths.h). The tag binds
// the artifact to the module's hash and the engine, so another module's
// genuine artifact copied under this name fails like a forged one. The file
// is read into memory, its tag checked in constant time, and those same bytes
// deserialized: nothing can change between the check and the load. A file
// that fails (no header, a wrong tag, or Wasmtime refuses it) is reported to
// `on_rejected` (the audit event module.cache_rejected), compiled again and
// replaced. Files are written to a temporary name and renamed, so a crash
// never leaves a half-written artifact under the real name.
//
// Compiling goes through the ModuleCompiler (bounded, in a child process);
// a load from disk starts no child.
//
// Threading: safe from any thread; compiles of different modules run in
// parallel. `on_rejected` is called on the loading thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sandbox/engine.h"
#include "sandbox/module_compiler.h"
#include "sandbox/wasm_handle.h"

namespace naos::sandbox {

struct CompiledModule {
  ModuleHandle module;
  std::string hash;  // sha256 of the wasm bytes
};

// A cached artifact that was not loaded: which module, which file, and why.
using CacheRejected =
    std::function<void(const std::string& module_hash, const std::filesystem::path& file, const std::string& reason)>;

struct ModuleCacheOptions {
  // Where artifacts are kept; empty: compile every time, keep nothing on disk.
  std::filesystem::path dir;
  // The HMAC key (crypto_auth_hmacsha256_KEYBYTES bytes); required with `dir`.
  std::string key;
  CacheRejected on_rejected;
};

class ModuleCache {
 public:
  struct Stats {
    std::atomic<uint64_t> compiled{0};
    std::atomic<uint64_t> loaded_from_disk{0};
    std::atomic<uint64_t> rejected{0};
  };

  static constexpr std::string_view kMagic = "NAOSMAC1";

  ModuleCache(Engine& engine, ModuleCacheOptions options, CompileLimits limits);

  // `wasm` is a binary module, or WAT text (which Wasmtime compiles too).
  // Errors: those of ModuleCompiler::compile().
  Result<std::unique_ptr<CompiledModule>> compile(std::string_view wasm, const std::string& hash);

  const Stats& stats() const { return stats_; }

 private:
  // The module from its file. Errors: kNotFound (no file); otherwise the
  // message says why the file was rejected.
  Result<ModuleHandle> load_authenticated(const std::filesystem::path& file, const std::string& hash) const;
  std::string tag(const std::string& hash, std::string_view artifact) const;
  void store(const std::string& hash, std::string_view artifact, const std::filesystem::path& file) const;

  Engine& engine_;
  ModuleCacheOptions options_;
  ModuleCompiler compiler_;
  Stats stats_;
};

}  // namespace naos::sandbox
