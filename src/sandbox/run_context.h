// RunContext — the per-run state a host function reaches through the store's
// data pointer. Internal to sandbox/.
//
// Lifetime: lives on Sandbox::run()'s stack and outlives the store it is
// attached to (the store is deleted before run() returns).
#pragma once

#include <chrono>
#include <string>

#include "sandbox/agent_calls.h"
#include "sandbox/mem_file.h"
#include "sandbox/wasm_handle.h"
#include "sandbox/run_outcome.h"
#include "sandbox/sandbox.h"

namespace naos::sandbox {

struct RunContext {
  const RunRequest& request;
  AgentCalls& calls;
  RunOutcome& outcome;
  std::chrono::steady_clock::time_point deadline;
  // The in-memory stdout and stderr files of an agent that writes files
  // (Sandbox::run); both null when naos's fd_write captures them.
  const MemFile* stdout_file = nullptr;
  const MemFile* stderr_file = nullptr;
  uint64_t stderr_read = 0;  // bytes of stderr_file already logged
  // stderr bytes not yet ended by a newline.
  std::string stderr_partial;
  // Set just before naos traps the guest, so the trap is classified right.
  bool output_overflowed = false;
  bool log_overflowed = false;
  bool timed_out = false;
  bool cancelled = false;
  // Set by the store's memory limiter when it refuses a memory.grow for
  // memoryLimit (sandbox/memory_limiter.h): the run's later failure is then
  // memory_limit_exceeded, however far below the limit its memory stopped.
  bool memory_refused = false;
  // nexus.kv_get and kv_set calls so far (kMaxKvCallsPerRun).
  uint32_t kv_calls = 0;

  bool cancel_requested() const {
    return request.cancel != nullptr && request.cancel->load(std::memory_order_relaxed);
  }

  // True once the run must end: it was cancelled, or its deadline (a
  // monotonic time, not a count of epoch ticks) has passed; records which,
  // so the trap that follows is classified right. The epoch callback asks
  // at every tick, and every host function before and during work that
  // could take long, so no call outlives the deadline by more than one step.
  bool stop_due() {
    if (cancel_requested()) return cancelled = true;
    if (std::chrono::steady_clock::now() >= deadline) return timed_out = true;
    return false;
  }
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
  bool write_i64(uint32_t ptr, int64_t value) const;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

enum class CaptureStdio : bool { kNo = false, kYes = true };

// Defines the `nexus` functions and naos's poll_oneoff on a linker that
// already has WASI (and allows shadowing), and with kYes also naos's
// fd_write in place of WASI's (see Sandbox).
Status define_host_functions(wasmtime_linker_t* linker, CaptureStdio capture);

// How writing to the agent's log went.
enum class LogWrite {
  kWritten,
  kLogFull,  // maxLog would be crossed: nothing more is written, the run must end
  kStopDue,  // the run is past its deadline or cancelled (RunContext::stop_due)
};

// Writes one line to the agent's log as one event, made printable (a newline
// or an escape in it cannot forge another line), and counts it against maxLog.
LogWrite log_line(RunContext& context, LogLevel level, std::string_view line);

// Sends complete stderr lines (and, when `flush`, the rest) to the agent's log.
// Stops at the first line that is not written.
LogWrite flush_stderr(RunContext& context, bool flush);

}  // namespace naos::sandbox
