#include "sandbox/module_cache.h"

#include <unistd.h>

#include <fstream>

namespace naos::sandbox {

std::string take_error_message(wasmtime_error_t* error) {
  ErrorHandle owned(error);
  wasm_byte_vec_t message;
  wasmtime_error_message(error, &message);
  std::string text(message.data, message.size);
  wasm_byte_vec_delete(&message);
  return text;
}

ModuleCache::ModuleCache(Engine& engine, std::filesystem::path dir) : engine_(engine), dir_(std::move(dir)) {}

Result<std::unique_ptr<CompiledModule>> ModuleCache::compile(std::string_view wasm, const std::string& hash) {
  if (dir_.empty()) return compile_fresh(wasm, hash);
  std::filesystem::path file = dir_ / (hash + "-" + engine_.fingerprint() + ".cwasm");
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    wasmtime_module_t* raw = nullptr;
    wasmtime_error_t* error = wasmtime_module_deserialize_file(engine_.raw(), file.c_str(), &raw);
    if (error == nullptr) {
      ++stats_.loaded_from_disk;
      return std::make_unique<CompiledModule>(CompiledModule{ModuleHandle(raw), hash});
    }
    // Corrupt or from another Wasmtime: fall through, compile and replace it.
    take_error_message(error);
  }
  NAOS_ASSIGN_OR_RETURN(auto compiled, compile_fresh(wasm, hash));
  store(*compiled, file);
  return compiled;
}

Result<std::unique_ptr<CompiledModule>> ModuleCache::compile_fresh(std::string_view wasm, const std::string& hash) {
  wasmtime_module_t* raw = nullptr;
  wasmtime_error_t* error = nullptr;
  bool looks_binary = wasm.size() >= 4 && wasm.substr(0, 4) == std::string_view("\0asm", 4);
  if (looks_binary) {
    error = wasmtime_module_new(engine_.raw(), reinterpret_cast<const uint8_t*>(wasm.data()), wasm.size(), &raw);
  } else {
    wasm_byte_vec_t binary;
    error = wasmtime_wat2wasm(wasm.data(), wasm.size(), &binary);
    if (error != nullptr) {
      return Error(Code::kInvalidArgument, "not a WebAssembly module (no \\0asm header, and not valid WAT text)");
    }
    error = wasmtime_module_new(engine_.raw(), reinterpret_cast<const uint8_t*>(binary.data), binary.size, &raw);
    wasm_byte_vec_delete(&binary);
  }
  if (error != nullptr) {
    return Error(Code::kInvalidArgument, "invalid WebAssembly module: " + take_error_message(error));
  }
  ++stats_.compiled;
  return std::make_unique<CompiledModule>(CompiledModule{ModuleHandle(raw), hash});
}

void ModuleCache::store(const CompiledModule& compiled, const std::filesystem::path& file) {
  wasm_byte_vec_t bytes;
  wasmtime_error_t* error = wasmtime_module_serialize(compiled.module.raw(), &bytes);
  if (error != nullptr) {
    take_error_message(error);
    return;  // the cache is an optimization; the compiled module is still good
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  auto temp = file;
  temp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data, static_cast<std::streamsize>(bytes.size));
    out.flush();
    if (!out) {
      wasm_byte_vec_delete(&bytes);
      std::filesystem::remove(temp, ec);
      return;
    }
  }
  wasm_byte_vec_delete(&bytes);
  std::filesystem::rename(temp, file, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace naos::sandbox
