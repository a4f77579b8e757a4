// ModuleCache — turns wasm bytes into a compiled Wasmtime module, compiling
// at most once per (module hash, engine fingerprint).
//
// On disk, a compiled module is `<dir>/<sha256 of the wasm>-<engine fingerprint>.cwasm`,
// Wasmtime's own serialization, written to a temporary file and renamed so a
// crash never leaves a half-written artifact under the real name. An artifact
// that Wasmtime refuses (corrupt, or from another Wasmtime) is compiled again
// and replaced.
//
// Trust: a .cwasm is native code that is loaded without re-validation, so the
// cache folder must be as trusted as the binary (it lives in the project's
// data/). TODO(security): sign artifacts with the project key once it exists.
//
// Threading: safe from any thread; compiles of different modules run in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sandbox/engine.h"
#include "sandbox/wasm_handle.h"

namespace naos::sandbox {

struct CompiledModule {
  ModuleHandle module;
  std::string hash;  // sha256 of the wasm bytes
};

class ModuleCache {
 public:
  struct Stats {
    std::atomic<uint64_t> compiled{0};
    std::atomic<uint64_t> loaded_from_disk{0};
  };

  // `dir` empty: compile every time, keep nothing on disk.
  ModuleCache(Engine& engine, std::filesystem::path dir);

  // `wasm` is a binary module, or WAT text (which Wasmtime compiles too).
  Result<std::unique_ptr<CompiledModule>> compile(std::string_view wasm, const std::string& hash);

  const Stats& stats() const { return stats_; }

 private:
  Result<std::unique_ptr<CompiledModule>> compile_fresh(std::string_view wasm, const std::string& hash);
  void store(const CompiledModule& compiled, const std::filesystem::path& file);

  Engine& engine_;
  std::filesystem::path dir_;
  Stats stats_;
};

}  // namespace naos::sandbox
