#include "sandbox/engine.h"

#include "base/sha256.h"

namespace naos::sandbox {

std::string_view wasmtime_version() { return WASMTIME_VERSION; }

namespace {

constexpr size_t kLinearMemoryKeptResident = 1 * kMiB;
constexpr size_t kTableKeptResident = 64 * 1024;

enum class Pooling : bool { kNo = false, kYes = true };

// The engine's settings. Everything that shapes compiled code is the same
// with or without the pooling allocator, so a compile-only engine (a
// compile child, module_compiler.h) makes artifacts the pooled one loads.
wasm_config_t* make_config(const EngineOptions& options, Pooling pooling) {
  wasm_config_t* config = wasm_config_new();
  wasmtime_config_consume_fuel_set(config, true);
  wasmtime_config_epoch_interruption_set(config, true);
  wasmtime_config_max_wasm_stack_set(config, options.max_stack_bytes);
  wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED);
  // Copy data segments into memory at instantiation instead of mapping the
  // module's image copy-on-write. With copy-on-write, each first store to an
  // image page is a write-protect fault whose TLB flush interrupts every CPU
  // running this process: 18% of all CPU time in a workflow of short agents
  // (bench/README.md). A short run writes most of its few data pages anyway.
  wasmtime_config_memory_init_cow_set(config, false);
  if (pooling == Pooling::kNo) return config;

  wasmtime_pooling_allocation_config_t* pooling_config = wasmtime_pooling_allocation_config_new();
  wasmtime_pooling_allocation_config_total_core_instances_set(pooling_config, options.max_instances);
  wasmtime_pooling_allocation_config_total_memories_set(pooling_config, options.max_instances);
  wasmtime_pooling_allocation_config_total_tables_set(pooling_config, options.max_instances);
  wasmtime_pooling_allocation_config_max_memory_size_set(pooling_config, options.max_memory_bytes);
  // Go's wasip1 runtime has one funcref table entry per function: tens of thousands.
  wasmtime_pooling_allocation_config_table_elements_set(pooling_config, 200'000);
  wasmtime_pooling_allocation_config_max_core_instance_size_set(pooling_config, 4 * kMiB);
  // A slot's first pages stay mapped between runs and are zeroed with memset
  // instead of madvise: most agents touch well under 1 MiB, and each madvise
  // plus the page faults that follow cost more than the memset.
  wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pooling_config, kLinearMemoryKeptResident);
  wasmtime_pooling_allocation_config_table_keep_resident_set(pooling_config, kTableKeptResident);
  wasmtime_pooling_allocation_strategy_set(config, pooling_config);
  wasmtime_pooling_allocation_config_delete(pooling_config);
  return config;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(const EngineOptions& options) {
  wasm_engine_t* raw = wasm_engine_new_with_config(make_config(options, Pooling::kYes));  // owns the config
  if (raw == nullptr) return Error(Code::kInternal, "cannot create the Wasmtime engine");
  return std::unique_ptr<Engine>(new Engine(options, EngineHandle(raw)));
}

Result<EngineHandle> Engine::create_compile_only(const EngineOptions& options) {
  wasm_engine_t* raw = wasm_engine_new_with_config(make_config(options, Pooling::kNo));
  if (raw == nullptr) return Error(Code::kInternal, "cannot create the Wasmtime engine");
  return EngineHandle(raw);
}

std::string Engine::fingerprint_of(const EngineOptions& options) {
  return sha256_hex(std::string("wasmtime ") + WASMTIME_VERSION + ";fuel;epoch;stack=" +
                    std::to_string(options.max_stack_bytes) + ";pool-memory=" + std::to_string(options.max_memory_bytes) +
                    ";cow=0;resident=" + std::to_string(kLinearMemoryKeptResident) + "," +
                    std::to_string(kTableKeptResident))
      .substr(0, 16);
}

Engine::Engine(EngineOptions options, EngineHandle engine)
    : options_(options), engine_(std::move(engine)), fingerprint_(fingerprint_of(options_)) {
  ticker_ = std::thread([this] { tick_until_stopped(); });
}

Engine::~Engine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  ticker_.join();
}

void Engine::tick_until_stopped() {
  std::unique_lock lock(mutex_);
  while (!stop_signal_.wait_for(lock, options_.epoch_tick, [this] { return stopping_; })) {
    wasmtime_engine_increment_epoch(engine_.raw());
  }
}

}  // namespace naos::sandbox
