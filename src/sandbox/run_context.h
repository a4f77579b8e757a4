// RunContext — the per-run state a host function reaches through the store's
// data pointer. Internal to sandbox/.
//
// Lifetime: lives on Sandbox::run()'s stack and outlives the store it is
// attached to (the store is deleted before run() returns).
#pragma once

#include <chrono>
#include <string>

#include "sandbox/agent_calls.h"
#include "sandbox/run_outcome.h"
#include "sandbox/sandbox.h"

namespace naos::sandbox {

struct RunContext {
  const RunRequest& request;
  AgentCalls& calls;
  RunOutcome& outcome;
  const wasmtime_linker_t* wasi_linker;
  std::chrono::steady_clock::time_point deadline;
  // stderr bytes not yet ended by a newline.
  std::string stderr_partial;
  // Set by fd_write just before it traps, so the trap is reported as output_too_large.
  bool output_overflowed = false;
};

inline RunContext& run_context(wasmtime_caller_t* caller) {
  return *static_cast<RunContext*>(wasmtime_context_get_data(wasmtime_caller_context(caller)));
}

// A view of the calling instance's exported `memory`, valid until the guest
// runs again (a memory.grow may move it).
class GuestMemory {
 public:
  explicit GuestMemory(wasmtime_caller_t* caller);

  bool present() const { return data_ != nullptr; }
  // The bytes [ptr, ptr+len) or nullptr when they are not all inside memory.
  uint8_t* span(uint32_t ptr, uint32_t len) const;
  bool read(uint32_t ptr, uint32_t len, std::string& out) const;
  bool write_u32(uint32_t ptr, uint32_t value) const;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Host functions defined by host_functions.cc on the agents' linker.
Status define_host_functions(wasmtime_linker_t* linker);

// Sends complete stderr lines (and, when `flush`, the rest) to the agent's log.
void flush_stderr(RunContext& context, bool flush);

}  // namespace naos::sandbox
