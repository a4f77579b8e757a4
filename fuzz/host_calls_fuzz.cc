// libFuzzer target: the host side of the `nexus` ABI (sandbox/host_functions.cc)
// under random guest memory and arguments. The guest is tests/agents/host_caller.c,
// a real wasm agent whose input is a script of calls with chosen or raw
// pointers and lengths (its header says how). Each input is one sandboxed run
// with every capability granted; the host answers through fake capabilities
// that check what they are handed.
//
// A finding is a crash, a sanitizer report, or a run the sandbox could not
// set up. A guest that traps is fine (the ABI allows it only for its own
// faults); what must never happen is the host reading or writing outside the
// guest's memory, which AddressSanitizer sees.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "base/printable.h"
#include "sandbox/sandbox.h"

namespace {

using namespace naos;
using namespace naos::sandbox;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "host_calls_fuzz: %s\n", why.c_str());
  std::abort();
}

// Capabilities that keep what they are given in memory and reach nothing.
// Each checks the sizes the ABI promises were enforced before it was called.
class FakeCalls final : public AgentCalls {
 public:
  // A line reaches the log made printable (base/printable.h): one line,
  // and at most four bytes (\xNN) for each byte the guest may send.
  void log(LogLevel, std::string_view line) override {
    if (line.size() > 4 * kLogLineLimit) fail("a log line over the ABI's limit reached the host");
    if (!is_printable(line)) fail("a log line that is not printable reached the host");
  }
  int64_t time_now_ms() override { return 1'700'000'000'000; }
  Result<std::optional<std::string>> kv_get(std::string_view key) override {
    auto found = kv_.find(std::string(key));
    if (found == kv_.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  Status kv_set(std::string_view key, std::string_view value) override {
    if (key.empty() || key.size() > 256 || value.size() > 1024 * 1024) fail("kv_set got a key or value over the limits");
    kv_[std::string(key)] = std::string(value);
    return ok();
  }
  Result<HttpResponse> http(const HttpRequest& request, std::chrono::steady_clock::time_point) override {
    if (request.url.size() > 8 * 1024) fail("a url over the ABI's limit reached the host");
    return HttpResponse{200, std::string(request.url.size() % 300, 'r')};
  }
  Status cost_record(int64_t amount, std::string_view detail) override {
    if (amount < 0 || detail.size() > 256) fail("cost_record got a negative amount or a long detail");
    return ok();
  }
  Result<std::string> llm_complete(std::string_view request, std::chrono::steady_clock::time_point,
                                   const std::atomic<bool>*) override {
    return std::string(R"({"text":")") + std::string(request.size() % 100, 'w') + "\"}";
  }

 private:
  static constexpr size_t kLogLineLimit = 64 * 1024;
  std::map<std::string, std::string> kv_;
};

struct Harness {
  std::unique_ptr<Sandbox> sandbox;
  std::shared_ptr<const AgentModule> module;
};

Harness make_harness() {
  auto sandbox = Sandbox::create({});
  if (!sandbox) fail(sandbox.error().to_string());
  std::ifstream in(std::string(NAOS_AGENT_DIR) + "/host_caller.wasm", std::ios::binary);
  std::string wasm(std::istreambuf_iterator<char>(in), {});
  auto module = (*sandbox)->load(wasm);
  if (!module) fail(module.error().to_string());
  return Harness{std::move(*sandbox), std::move(*module)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness harness = make_harness();
  RunRequest request;
  request.agent_name = "host-caller";
  request.input.assign(reinterpret_cast<const char*>(data), size);
  request.limits.timeout = std::chrono::seconds(5);
  request.limits.memory_bytes = 16 * 1024 * 1024;
  request.grants.kv = true;
  request.grants.llm = true;
  request.grants.network = NetworkAccess::kOpen;
  FakeCalls calls;
  auto outcome = harness.sandbox->run(*harness.module, request, calls);
  if (!outcome) fail("the run could not be set up: " + outcome.error().to_string());
  return 0;
}
