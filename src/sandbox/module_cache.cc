#include "sandbox/module_cache.h"

#include <sodium.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace naos::sandbox {

std::string take_error_message(wasmtime_error_t* error) {
  ErrorHandle owned(error);
  wasm_byte_vec_t message;
  wasmtime_error_message(error, &message);
  std::string text(message.data, message.size);
  wasm_byte_vec_delete(&message);
  return text;
}

namespace {
constexpr size_t kTagBytes = crypto_auth_hmacsha256_BYTES;
constexpr size_t kHeaderBytes = ModuleCache::kMagic.size() + kTagBytes;
}  // namespace

ModuleCache::ModuleCache(Engine& engine, ModuleCacheOptions options, CompileLimits limits)
    : engine_(engine), options_(std::move(options)), compiler_(engine, std::move(limits)) {}

Result<std::unique_ptr<CompiledModule>> ModuleCache::compile(std::string_view wasm, const std::string& hash) {
  std::filesystem::path file;
  if (!options_.dir.empty()) {
    file = options_.dir / (hash + "-" + engine_.fingerprint() + ".cwasm");
    auto loaded = load_authenticated(file, hash);
    if (loaded) {
      ++stats_.loaded_from_disk;
      return std::make_unique<CompiledModule>(CompiledModule{std::move(*loaded), hash});
    }
    if (loaded.error().code() != Code::kNotFound) {
      ++stats_.rejected;
      if (options_.on_rejected) options_.on_rejected(hash, file, loaded.error().message());
    }
  }
  NAOS_ASSIGN_OR_RETURN(CompileOutput compiled, compiler_.compile(wasm));
  ++stats_.compiled;
  if (!file.empty()) store(hash, compiled.artifact, file);
  return std::make_unique<CompiledModule>(CompiledModule{std::move(compiled.module), hash});
}

std::string ModuleCache::tag(const std::string& hash, std::string_view artifact) const {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(options_.key.data()), options_.key.size());
  std::string context = "naos module cache v1\n" + hash + "\n" + engine_.fingerprint() + "\n";
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(context.data()), context.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(artifact.data()), artifact.size());
  std::string out(kTagBytes, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

Result<ModuleHandle> ModuleCache::load_authenticated(const std::filesystem::path& file, const std::string& hash) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "no cached artifact");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = std::move(buffer).str();
  if (bytes.size() < kHeaderBytes || std::string_view(bytes).substr(0, kMagic.size()) != kMagic) {
    return Error(Code::kPermissionDenied, "it has no naos authentication header");
  }
  std::string_view artifact = std::string_view(bytes).substr(kHeaderBytes);
  std::string expected = tag(hash, artifact);
  if (sodium_memcmp(expected.data(), bytes.data() + kMagic.size(), kTagBytes) != 0) {
    return Error(Code::kPermissionDenied,
                 "its authentication tag does not match: it was not written by this project's naos for this module");
  }
  wasmtime_module_t* raw = nullptr;
  if (wasmtime_error_t* error = wasmtime_module_deserialize(
          engine_.raw(), reinterpret_cast<const uint8_t*>(artifact.data()), artifact.size(), &raw)) {
    return Error(Code::kFailedPrecondition, "Wasmtime refused it: " + take_error_message(error));
  }
  return ModuleHandle(raw);
}

void ModuleCache::store(const std::string& hash, std::string_view artifact, const std::filesystem::path& file) const {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  auto temp = file;
  temp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(kMagic.data(), static_cast<std::streamsize>(kMagic.size()));
    std::string mac = tag(hash, artifact);
    out.write(mac.data(), static_cast<std::streamsize>(mac.size()));
    out.write(artifact.data(), static_cast<std::streamsize>(artifact.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temp, ec);
      return;  // the cache is an optimization; the compiled module is still good
    }
  }
  std::filesystem::rename(temp, file, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace naos::sandbox
