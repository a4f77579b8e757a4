// WasmHandle — one move-only RAII owner per Wasmtime C handle type (style
// rule 7). Each alias below names the handle and its single cleanup action.
// Only sandbox/ includes the Wasmtime headers.
#pragma once

#include <memory>
#include <string>

#include <wasi.h>
#include <wasm.h>
#include <wasmtime.h>

namespace naos::sandbox {

template <typename T, void (*Delete)(T*)>
class WasmHandle {
 public:
  WasmHandle() = default;
  explicit WasmHandle(T* raw) : ptr_(raw) {}

  T* raw() const { return ptr_.get(); }
  T* release() { return ptr_.release(); }
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  struct Deleter {
    void operator()(T* raw) const { Delete(raw); }
  };
  std::unique_ptr<T, Deleter> ptr_;
};

using EngineHandle = WasmHandle<wasm_engine_t, wasm_engine_delete>;
using ModuleHandle = WasmHandle<wasmtime_module_t, wasmtime_module_delete>;
using StoreHandle = WasmHandle<wasmtime_store_t, wasmtime_store_delete>;
using LinkerHandle = WasmHandle<wasmtime_linker_t, wasmtime_linker_delete>;
using InstancePreHandle = WasmHandle<wasmtime_instance_pre_t, wasmtime_instance_pre_delete>;
using ErrorHandle = WasmHandle<wasmtime_error_t, wasmtime_error_delete>;
using TrapHandle = WasmHandle<wasm_trap_t, wasm_trap_delete>;
using WasiConfigHandle = WasmHandle<wasi_config_t, wasi_config_delete>;

// Wasmtime's error message, consuming the error (module_cache.cc).
std::string take_error_message(wasmtime_error_t* error);

}  // namespace naos::sandbox
