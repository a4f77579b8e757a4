// Engine — the one Wasmtime engine of a naos process, configured for agents:
// Cranelift, fuel metering, epoch interruption, a bounded wasm stack, and the
// pooling allocator so instantiation reuses pre-mapped slots.
//
// A background thread advances the engine's epoch every `epoch_tick`. Each
// tick only wakes a run's epoch callback, which compares a monotonic clock
// with the run's deadline (sandbox.cc): counting ticks instead drifted by half
// the timeout on a busy machine, where the ticker oversleeps.
//
// Ownership: owns the wasm_engine_t and the ticker thread; both end in the
// destructor, which must run after every module and store made from it is gone.
// Threading: all functions are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"
#include "sandbox/engine_options.h"
#include "sandbox/wasm_handle.h"

namespace naos::sandbox {

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(const EngineOptions& options);
  // An engine that only compiles, with the same code-shaping settings and no
  // pooling allocator (which reserves address space for every instance slot)
  // and no ticker: what a compile child (sandbox/module_compiler.h) uses.
  static Result<EngineHandle> create_compile_only(const EngineOptions& options);
  static std::string fingerprint_of(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  wasm_engine_t* raw() const { return engine_.raw(); }
  const EngineOptions& options() const { return options_; }

  // Identifies everything that makes compiled code incompatible (Wasmtime
  // version and engine settings); part of every module cache key.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  Engine(EngineOptions options, EngineHandle engine);
  void tick_until_stopped();

  EngineOptions options_;
  EngineHandle engine_;
  std::string fingerprint_;
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace naos::sandbox
