// bench_instantiate — time to instantiate and run a trivial precompiled agent
// through naos (Sandbox::run), beside bare Wasmtime instantiate+call in the
// same process, and the ratio of the two.
//
// Targets (from the issue): naos within 2x of bare Wasmtime (p50), and naos
// under 50 microseconds per run (p50) on the machine it runs on. The program
// reports PASS/FAIL for both but exits 0 either way: it is a measurement.
// It exits non-zero only when something cannot be set up or a run fails.
//
// The "bare" peer is the fairest minimal equivalent of what naos does per run:
// an engine configured like sandbox::Engine (fuel, epoch interruption, same
// max stack, same pooling allocator settings, an epoch ticker thread), the
// module compiled once and pre-instantiated once against a WASI linker; then
// per run a new store, fuel, epoch deadline, a WASI context with (empty)
// stdin bytes, instantiate, look up and call `_start`, delete the store.
//
// Usage: bench_instantiate [agent.wasm] [--iterations N] [--warmup N]
//                          [--rounds N] [--json]
//                          [--pool-instances N] [--pool-memory-mib N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <wasi.h>
#include <wasm.h>
#include <wasmtime.h>

#include "sandbox/sandbox.h"

#ifndef NAOS_BENCH_DEFAULT_AGENT
#define NAOS_BENCH_DEFAULT_AGENT "trivial.wasm"
#endif

namespace {

using Clock = std::chrono::steady_clock;
namespace sb = naos::sandbox;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_instantiate: %s\n", message.c_str());
  std::exit(1);
}

std::string take_message(wasmtime_error_t* error, wasm_trap_t* trap) {
  wasm_byte_vec_t message;
  if (error != nullptr) {
    wasmtime_error_message(error, &message);
    wasmtime_error_delete(error);
  } else {
    wasm_trap_message(trap, &message);
    wasm_trap_delete(trap);
  }
  std::string text(message.data, message.size);
  wasm_byte_vec_delete(&message);
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// ---------------------------------------------------------------------------
// Bare Wasmtime, configured as src/sandbox/engine.cc configures naos's engine.

class BareWasmtime {
 public:
  BareWasmtime(const std::string& wasm, const sb::EngineOptions& options) : tick_(options.epoch_tick) {
    wasm_config_t* config = wasm_config_new();
    wasmtime_config_consume_fuel_set(config, true);
    wasmtime_config_epoch_interruption_set(config, true);
    wasmtime_config_max_wasm_stack_set(config, options.max_stack_bytes);
    wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED);
    wasmtime_pooling_allocation_config_t* pooling = wasmtime_pooling_allocation_config_new();
    wasmtime_pooling_allocation_config_total_core_instances_set(pooling, options.max_instances);
    wasmtime_pooling_allocation_config_total_memories_set(pooling, options.max_instances);
    wasmtime_pooling_allocation_config_total_tables_set(pooling, options.max_instances);
    wasmtime_pooling_allocation_config_max_memory_size_set(pooling, options.max_memory_bytes);
    wasmtime_pooling_allocation_config_table_elements_set(pooling, 200'000);
    wasmtime_pooling_allocation_config_max_core_instance_size_set(pooling, 4 * sb::kMiB);
    wasmtime_pooling_allocation_strategy_set(config, pooling);
    wasmtime_pooling_allocation_config_delete(pooling);
    engine_ = wasm_engine_new_with_config(config);
    if (engine_ == nullptr) die("bare: cannot create the Wasmtime engine");

    if (auto* error = wasmtime_module_new(engine_, reinterpret_cast<const uint8_t*>(wasm.data()), wasm.size(),
                                          &module_)) {
      die("bare: cannot compile the module: " + take_message(error, nullptr));
    }
    linker_ = wasmtime_linker_new(engine_);
    if (auto* error = wasmtime_linker_define_wasi(linker_)) {
      die("bare: cannot define WASI: " + take_message(error, nullptr));
    }
    define_nexus_stubs();
    if (auto* error = wasmtime_linker_instantiate_pre(linker_, module_, &pre_)) {
      die("bare: cannot pre-instantiate: " + take_message(error, nullptr));
    }
    // A deadline in ticks covering the default 30 s timeout: never reached here
    // (naos itself sets a deadline of one tick and checks the clock in its callback).
    auto tick = options.epoch_tick.count();
    deadline_ticks_ = static_cast<uint64_t>((sb::Limits{}.timeout.count() + tick - 1) / tick) + 1;
    ticker_ = std::thread([this] {
      while (!stop_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(tick_);
        wasmtime_engine_increment_epoch(engine_);
      }
    });
  }

  ~BareWasmtime() {
    stop_ = true;
    ticker_.join();
    wasmtime_instance_pre_delete(pre_);
    wasmtime_linker_delete(linker_);
    wasmtime_module_delete(module_);
    wasm_engine_delete(engine_);
  }

  // An agent that imports `nexus` functions gets stubs that return zeros, so
  // bare Wasmtime can run it too (with no host work behind the calls).
  void define_nexus_stubs() {
    wasm_importtype_vec_t imports;
    wasmtime_module_imports(module_, &imports);
    for (size_t i = 0; i < imports.size; ++i) {
      const wasm_name_t* from = wasm_importtype_module(imports.data[i]);
      const wasm_name_t* name = wasm_importtype_name(imports.data[i]);
      const wasm_externtype_t* type = wasm_importtype_type(imports.data[i]);
      if (std::string_view(from->data, from->size) != "nexus" || wasm_externtype_kind(type) != WASM_EXTERN_FUNC) {
        continue;
      }
      const wasm_functype_t* func = wasm_externtype_as_functype_const(type);
      auto* kinds = new std::vector<wasmtime_valkind_t>;
      const wasm_valtype_vec_t* results = wasm_functype_results(func);
      for (size_t r = 0; r < results->size; ++r) {
        wasm_valkind_t kind = wasm_valtype_kind(results->data[r]);
        if (kind == WASM_I32) kinds->push_back(WASMTIME_I32);
        else if (kind == WASM_I64) kinds->push_back(WASMTIME_I64);
        else if (kind == WASM_F32) kinds->push_back(WASMTIME_F32);
        else if (kind == WASM_F64) kinds->push_back(WASMTIME_F64);
        else die("bare: nexus import with a non-numeric result");
      }
      auto stub = [](void* env, wasmtime_caller_t*, const wasmtime_val_t*, size_t, wasmtime_val_t* out,
                     size_t nout) -> wasm_trap_t* {
        const auto& result_kinds = *static_cast<std::vector<wasmtime_valkind_t>*>(env);
        for (size_t r = 0; r < nout; ++r) {
          std::memset(&out[r], 0, sizeof out[r]);
          out[r].kind = result_kinds[r];
        }
        return nullptr;
      };
      auto finalize = [](void* env) { delete static_cast<std::vector<wasmtime_valkind_t>*>(env); };
      if (auto* error = wasmtime_linker_define_func(linker_, from->data, from->size, name->data, name->size, func,
                                                    stub, kinds, finalize)) {
        die("bare: cannot define a nexus stub: " + take_message(error, nullptr));
      }
    }
    wasm_importtype_vec_delete(&imports);
  }

  void run_once() {
    wasmtime_store_t* store = wasmtime_store_new(engine_, nullptr, nullptr);
    wasmtime_context_t* ctx = wasmtime_store_context(store);
    if (auto* error = wasmtime_context_set_fuel(ctx, UINT64_MAX)) die("bare: set_fuel: " + take_message(error, nullptr));
    wasmtime_context_set_epoch_deadline(ctx, deadline_ticks_);
    wasi_config_t* wasi = wasi_config_new();
    wasm_byte_vec_t input;
    wasm_byte_vec_new_empty(&input);
    wasi_config_set_stdin_bytes(wasi, &input);
    if (auto* error = wasmtime_context_set_wasi(ctx, wasi)) die("bare: set_wasi: " + take_message(error, nullptr));
    wasmtime_instance_t instance;
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error = wasmtime_instance_pre_instantiate(pre_, ctx, &instance, &trap);
    if (error != nullptr || trap != nullptr) die("bare: instantiate: " + take_message(error, trap));
    wasmtime_extern_t start;
    if (!wasmtime_instance_export_get(ctx, &instance, "_start", 6, &start) || start.kind != WASMTIME_EXTERN_FUNC) {
      die("bare: the module exports no _start function");
    }
    error = wasmtime_func_call(ctx, &start.of.func, nullptr, 0, nullptr, 0, &trap);
    int status = -1;
    if (error != nullptr && wasmtime_error_exit_status(error, &status) && status == 0) {
      wasmtime_error_delete(error);  // proc_exit(0), as Go agents end: success
      error = nullptr;
    }
    if (error != nullptr || trap != nullptr) die("bare: _start failed: " + take_message(error, trap));
    wasmtime_extern_delete(&start);
    wasmtime_store_delete(store);
  }

 private:
  std::chrono::milliseconds tick_;
  wasm_engine_t* engine_ = nullptr;
  wasmtime_module_t* module_ = nullptr;
  wasmtime_linker_t* linker_ = nullptr;
  wasmtime_instance_pre_t* pre_ = nullptr;
  uint64_t deadline_ticks_ = 0;
  std::atomic<bool> stop_{false};
  std::thread ticker_;
};

// ---------------------------------------------------------------------------
// naos: Sandbox::run with calls that do nothing.

class NoopCalls final : public sb::AgentCalls {
 public:
  void log(sb::LogLevel, std::string_view) override {}
  int64_t time_now_ms() override { return 0; }
  naos::Result<std::optional<std::string>> kv_get(std::string_view) override { return std::optional<std::string>(); }
  naos::Status kv_set(std::string_view, std::string_view) override { return naos::ok(); }
  naos::Result<sb::HttpResponse> http(const sb::HttpRequest& request, Clock::time_point) override {
    return naos::Error(naos::Code::kPermissionDenied, "no network in the benchmark", request.url);
  }
};

class NaosRunner {
 public:
  NaosRunner(const std::string& wasm, const sb::SandboxOptions& options) {
    auto created = sb::Sandbox::create(options);
    if (!created) die("naos: Sandbox::create: " + created.error().to_string());
    sandbox_ = std::move(*created);
    auto loaded = sandbox_->load(wasm);
    if (!loaded) die("naos: load: " + loaded.error().to_string());
    module_ = *loaded;
    request_.agent_name = "bench";
  }

  const sb::EngineOptions& engine_options() { return sandbox_->engine_options(); }

  void run_once() {
    auto outcome = sandbox_->run(*module_, request_, calls_);
    if (!outcome) die("naos: run: " + outcome.error().to_string());
    if (!outcome->ok()) {
      die("naos: run ended with " + std::string(sb::failure_name(outcome->failure)) + ": " + outcome->message);
    }
  }

 private:
  std::unique_ptr<sb::Sandbox> sandbox_;
  std::shared_ptr<const sb::AgentModule> module_;
  sb::RunRequest request_;
  NoopCalls calls_;
};

// ---------------------------------------------------------------------------

struct Stats {
  double mean_us = 0, p50_us = 0, p99_us = 0, min_us = 0, max_us = 0;
  size_t count = 0;
};

Stats summarize(std::vector<double> samples_ns) {
  Stats s;
  s.count = samples_ns.size();
  if (samples_ns.empty()) return s;
  std::sort(samples_ns.begin(), samples_ns.end());
  double sum = 0;
  for (double v : samples_ns) sum += v;
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_ns.size()))) - 1;
    return samples_ns[std::min(i, samples_ns.size() - 1)];
  };
  s.mean_us = sum / static_cast<double>(samples_ns.size()) / 1000.0;
  s.p50_us = at(0.50) / 1000.0;
  s.p99_us = at(0.99) / 1000.0;
  s.min_us = samples_ns.front() / 1000.0;
  s.max_us = samples_ns.back() / 1000.0;
  return s;
}

void time_block(const std::function<void()>& run, int count, std::vector<double>& out) {
  for (int i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    run();
    auto t1 = Clock::now();
    out.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
}

int parse_count(const char* flag, const char* value) {
  if (value == nullptr) die(std::string(flag) + " needs a value");
  char* end = nullptr;
  long n = std::strtol(value, &end, 10);
  if (*end != '\0' || n < 0 || n > 100'000'000) die(std::string("bad value for ") + flag + ": " + value);
  return static_cast<int>(n);
}

void usage() {
  std::printf(
      "usage: bench_instantiate [agent.wasm] [--iterations N] [--warmup N] [--rounds N] [--json]\n"
      "  agent.wasm    agent to run (default %s)\n"
      "  --iterations  timed runs of each side (default 5000)\n"
      "  --warmup      untimed runs of each side first (default 200)\n"
      "  --rounds      alternating blocks the iterations are split into (default 10)\n"
      "  --json        print the results as JSON\n"
      "  --pool-instances N, --pool-memory-mib N\n"
      "                engine pool size for both sides (default naos's: 100, 4096);\n"
      "                use e.g. 4 and 256 under valgrind\n",
      NAOS_BENCH_DEFAULT_AGENT);
}

}  // namespace

int main(int argc, char** argv) {
  // Wasmtime captures a Rust backtrace for every error otherwise.
  setenv("RUST_LIB_BACKTRACE", "0", 0);

  std::string agent = NAOS_BENCH_DEFAULT_AGENT;
  int iterations = 5000, warmup = 200, rounds = 10;
  bool json = false;
  // Defaults are naos's own; smaller pools let the benchmark run under valgrind,
  // which cannot map the default pool (100 slots x 4 GiB of address space).
  sb::SandboxOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--iterations") iterations = parse_count("--iterations", i + 1 < argc ? argv[++i] : nullptr);
    else if (arg == "--warmup") warmup = parse_count("--warmup", i + 1 < argc ? argv[++i] : nullptr);
    else if (arg == "--rounds") rounds = parse_count("--rounds", i + 1 < argc ? argv[++i] : nullptr);
    else if (arg == "--pool-instances") {
      options.engine.max_instances = static_cast<uint32_t>(parse_count("--pool-instances", i + 1 < argc ? argv[++i] : nullptr));
    } else if (arg == "--pool-memory-mib") {
      options.engine.max_memory_bytes = sb::kMiB * static_cast<uint64_t>(parse_count("--pool-memory-mib", i + 1 < argc ? argv[++i] : nullptr));
    } else if (arg == "--json") json = true;
    else if (arg == "-h" || arg == "--help") { usage(); return 0; }
    else if (!arg.empty() && arg[0] == '-') { usage(); die("unknown option " + arg); }
    else agent = arg;
  }
  if (iterations < 1) die("--iterations must be at least 1");
  rounds = std::clamp(rounds, 1, iterations);

  std::string wasm = read_file(agent);
  NaosRunner naos_runner(wasm, options);
  BareWasmtime bare(wasm, naos_runner.engine_options());
  auto run_naos = [&] { naos_runner.run_once(); };
  auto run_bare = [&] { bare.run_once(); };

  std::vector<double> scratch, naos_ns, bare_ns;
  scratch.reserve(static_cast<size_t>(warmup));
  time_block(run_bare, warmup, scratch);
  time_block(run_naos, warmup, scratch);
  naos_ns.reserve(static_cast<size_t>(iterations));
  bare_ns.reserve(static_cast<size_t>(iterations));

  // Alternate blocks (and which side goes first) so drift and noise hit both.
  for (int r = 0; r < rounds; ++r) {
    int n = iterations / rounds + (r < iterations % rounds ? 1 : 0);
    if (r % 2 == 0) {
      time_block(run_bare, n, bare_ns);
      time_block(run_naos, n, naos_ns);
    } else {
      time_block(run_naos, n, naos_ns);
      time_block(run_bare, n, bare_ns);
    }
  }

  Stats b = summarize(bare_ns), s = summarize(naos_ns);
  double ratio_mean = s.mean_us / b.mean_us, ratio_p50 = s.p50_us / b.p50_us;
  bool ratio_ok = ratio_p50 <= 2.0, absolute_ok = s.p50_us < 50.0;

  if (json) {
    auto stats_json = [](const Stats& x) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "{\"runs\": %zu, \"mean_us\": %.3f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"min_us\": %.3f, "
                    "\"max_us\": %.3f}",
                    x.count, x.mean_us, x.p50_us, x.p99_us, x.min_us, x.max_us);
      return std::string(buf);
    };
    std::string escaped;
    for (char c : agent) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    std::printf(
        "{\n  \"benchmark\": \"instantiate\",\n  \"agent\": \"%s\",\n  \"wasmtime\": \"%s\",\n"
        "  \"iterations\": %d,\n  \"warmup\": %d,\n  \"rounds\": %d,\n"
        "  \"pool_instances\": %u,\n  \"pool_memory_mib\": %llu,\n"
        "  \"bare\": %s,\n  \"naos\": %s,\n"
        "  \"ratio_mean\": %.3f,\n  \"ratio_p50\": %.3f,\n"
        "  \"target_ratio_p50_max\": 2.0,\n  \"target_naos_p50_us_max\": 50.0,\n"
        "  \"ratio_pass\": %s,\n  \"absolute_pass\": %s\n}\n",
        escaped.c_str(), std::string(sb::wasmtime_version()).c_str(), iterations, warmup, rounds,
        options.engine.max_instances, static_cast<unsigned long long>(options.engine.max_memory_bytes / sb::kMiB),
        stats_json(b).c_str(), stats_json(s).c_str(), ratio_mean, ratio_p50, ratio_ok ? "true" : "false",
        absolute_ok ? "true" : "false");
    return 0;
  }

  std::printf("bench_instantiate: %s (Wasmtime %s)\n", agent.c_str(), std::string(sb::wasmtime_version()).c_str());
  std::printf("%d timed runs each, %d warmup, %d alternating rounds; engine pool %u instances x %llu MiB\n\n",
              iterations, warmup, rounds, options.engine.max_instances,
              static_cast<unsigned long long>(options.engine.max_memory_bytes / sb::kMiB));
  std::printf("%-6s %10s %10s %10s %10s %10s   (microseconds per run)\n", "", "mean", "p50", "p99", "min", "max");
  for (auto [name, x] : {std::pair<const char*, Stats>{"bare", b}, {"naos", s}}) {
    std::printf("%-6s %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, x.mean_us, x.p50_us, x.p99_us, x.min_us, x.max_us);
  }
  std::printf("\nratio naos/bare: mean %.2fx, p50 %.2fx\n", ratio_mean, ratio_p50);
  std::printf("%s: naos p50 within 2x of bare Wasmtime (%.2fx)\n", ratio_ok ? "PASS" : "FAIL", ratio_p50);
  std::printf("%s: naos p50 under 50 us per run (%.2f us)\n", absolute_ok ? "PASS" : "FAIL", s.p50_us);
  return 0;
}
