// bench_compile_bounded — the price of compiling new modules in a bounded
// child process (sandbox/module_compiler.h) and of authenticating cached
// artifacts (sandbox/module_cache.h).
//
// Timed, per sample, with Sandbox::load() of a small agent (by default
// examples/agents/echo, a C program of ~30 KB) whose bytes differ in a
// trailing custom section each time, so every load is a cold compile:
//   in-process  compiled by Cranelift in this process (no limits);
//   child       compiled by `naos __compile-module` under RLIMIT_AS and a
//               wall-clock kill: exec, engine set-up, compile, serialize,
//               and deserializing the artifact here;
//   warm        a new Sandbox loads the same module from the disk cache:
//               read, HMAC-SHA256 check, deserialize. No child.
//
// Usage: bench_compile_bounded [AGENT.wasm] [--samples N] [--json]
// Exits 0 whatever the numbers; non-zero only when something cannot be set up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "sandbox/sandbox.h"

namespace {

namespace sb = naos::sandbox;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_compile_bounded: %s\n", message.c_str());
  std::exit(1);
}

// The module with a custom section "n" holding `n`: a different hash,
// the same code.
std::string variant(const std::string& wasm, int n) {
  std::string payload = "\x01n" + std::to_string(n);
  return wasm + std::string(1, '\0') + static_cast<char>(payload.size()) + payload;
}

std::unique_ptr<sb::Sandbox> sandbox(const sb::SandboxOptions& options) {
  auto created = sb::Sandbox::create(options);
  if (!created) die("Sandbox::create: " + created.error().to_string());
  return std::move(*created);
}

double p50_ms(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string agent = NAOS_BENCH_ECHO;
  int samples = 20;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--samples" && i + 1 < argc) {
      samples = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--json") {
      json = true;
    } else {
      agent = arg;
    }
  }
  auto bytes = naos::read_file(agent, "agent");
  if (!bytes) die(bytes.error().to_string());

  auto cache = std::filesystem::temp_directory_path() / ("naos-bench-compile-" + std::to_string(::getpid()));
  sb::SandboxOptions here_options;
  sb::SandboxOptions child_options;
  child_options.compile.helper = NAOS_BENCH_NAOS;
  child_options.cache_dir = cache / "modules";
  child_options.cache_key_file = cache / "module_cache.key";
  auto in_process = sandbox(here_options);
  auto in_child = sandbox(child_options);

  std::vector<double> here, child, warm;
  for (int i = 0; i < samples; ++i) {
    std::string wasm = variant(*bytes, i);
    for (auto [box, out] : {std::pair{in_process.get(), &here}, std::pair{in_child.get(), &child}}) {
      auto start = Clock::now();
      auto loaded = box->load(wasm);
      out->push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (!loaded) die("load: " + loaded.error().to_string());
    }
    auto fresh = sandbox(child_options);  // nothing in memory: from disk
    auto start = Clock::now();
    auto loaded = fresh->load(wasm);
    warm.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!loaded) die("warm load: " + loaded.error().to_string());
    if (fresh->compiled_modules() != 0) die("the warm load compiled");
  }
  std::filesystem::remove_all(cache);

  double a = p50_ms(here), b = p50_ms(child), c = p50_ms(warm);
  if (json) {
    std::printf("%s\n", nlohmann::json{{"agent", agent},
                                       {"samples", samples},
                                       {"cold_in_process_p50_ms", a},
                                       {"cold_child_p50_ms", b},
                                       {"child_extra_p50_ms", b - a},
                                       {"warm_from_disk_p50_ms", c}}
                            .dump()
                            .c_str());
  } else {
    std::printf("agent %s, %d samples (p50)\n", agent.c_str(), samples);
    std::printf("  cold compile, in this process  %8.2f ms\n", a);
    std::printf("  cold compile, bounded child    %8.2f ms  (+%.2f ms)\n", b, b - a);
    std::printf("  warm load from disk (HMAC)     %8.2f ms  (no child)\n", c);
  }
  return 0;
}
