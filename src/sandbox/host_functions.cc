// The host side of every import naos defines for agents: the `nexus`
// functions and the capture of stdout/stderr through WASI's fd_write.
//
// Every callback catches all exceptions (style rule 6): an exception is a bug
// in naos, and it becomes a trap of that one run, never a crash of the host.

#include <cstring>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes_json.h"
#include "base/money.h"
#include "base/printable.h"
#include "base/units.h"
#include "sandbox/nexus_abi.h"
#include "sandbox/run_context.h"

namespace naos::sandbox {

std::string_view capability_name(Capability capability) {
  switch (capability) {
    case Capability::kAlways: return "base";
    case Capability::kKv: return "kv";
    case Capability::kNetwork: return "network";
  }
  return "base";
}

const NexusFunction* find_nexus_function(std::string_view name) {
  for (const auto& function : kNexusFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

int32_t nexus_code(Code code) {
  switch (code) {
    case Code::kPermissionDenied: return kNexusDenied;
    case Code::kNotFound: return kNexusNotFound;
    case Code::kInvalidArgument: return kNexusInvalid;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded: return kNexusNetwork;
    case Code::kResourceExhausted: return kNexusLimit;
    default: return kNexusInternal;
  }
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

GuestMemory::GuestMemory(wasmtime_caller_t* caller) {
  wasmtime_extern_t item;
  if (!wasmtime_caller_export_get(caller, "memory", 6, &item)) return;
  if (item.kind != WASMTIME_EXTERN_MEMORY) {
    wasmtime_extern_delete(&item);
    return;
  }
  wasmtime_context_t* context = wasmtime_caller_context(caller);
  data_ = wasmtime_memory_data(context, &item.of.memory);
  size_ = wasmtime_memory_data_size(context, &item.of.memory);
}

uint8_t* GuestMemory::span(uint32_t ptr, uint32_t len) const {
  if (data_ == nullptr || static_cast<uint64_t>(ptr) + len > size_) return nullptr;
  return data_ + ptr;
}

bool GuestMemory::read(uint32_t ptr, uint32_t len, std::string& out) const {
  const uint8_t* bytes = span(ptr, len);
  if (bytes == nullptr) return false;
  out.assign(reinterpret_cast<const char*>(bytes), len);
  return true;
}

bool GuestMemory::write_u32(uint32_t ptr, uint32_t value) const {
  uint8_t* bytes = span(ptr, 4);
  if (bytes == nullptr) return false;
  std::memcpy(bytes, &value, 4);  // wasm is little-endian, as is every host naos supports
  return true;
}

bool GuestMemory::write_i64(uint32_t ptr, int64_t value) const {
  uint8_t* bytes = span(ptr, 8);
  if (bytes == nullptr) return false;
  std::memcpy(bytes, &value, 8);
  return true;
}

LogWrite log_line(RunContext& context, LogLevel level, std::string_view line) {
  std::string text = printable(line);
  uint64_t cost = text.size() + kLogLineOverhead;
  uint64_t max_log = context.request.limits.max_log_bytes;
  if (context.log_overflowed || context.outcome.log_bytes > max_log || cost > max_log - context.outcome.log_bytes) {
    context.log_overflowed = true;
    return LogWrite::kLogFull;
  }
  context.outcome.log_bytes += cost;
  ++context.outcome.log_lines;
  context.calls.log(level, text);
  return LogWrite::kWritten;
}

LogWrite flush_stderr(RunContext& context, bool flush) {
  std::string& pending = context.stderr_partial;
  size_t start = 0;
  LogWrite result = LogWrite::kWritten;
  // Lines are written until one is refused. While the guest still runs
  // (!flush), the deadline is checked at every line: 64 KiB of newlines are
  // 65,536 lines, and one fd_write may hold many of them.
  for (size_t newline; result == LogWrite::kWritten && (newline = pending.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    if (!flush && context.stop_due()) {
      result = LogWrite::kStopDue;
      break;
    }
    result = log_line(context, LogLevel::kInfo, std::string_view(pending).substr(start, newline - start));
  }
  pending.erase(0, start);
  if (result != LogWrite::kWritten) return result;
  // A line longer than the cap is logged in pieces rather than buffered forever.
  while (pending.size() >= kMaxLogLineBytes || (flush && !pending.empty())) {
    size_t take = std::min<size_t>(pending.size(), kMaxLogLineBytes);
    result = log_line(context, LogLevel::kInfo, std::string_view(pending).substr(0, take));
    pending.erase(0, take);
    if (result != LogWrite::kWritten) return result;
  }
  return LogWrite::kWritten;
}

namespace {

uint32_t u32(const wasmtime_val_t& value) { return static_cast<uint32_t>(value.of.i32); }

// Sets the i32 result of a host function; returns "no trap".
wasm_trap_t* reply(wasmtime_val_t* results, int32_t value) {
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = value;
  return nullptr;
}

wasm_trap_t* trap(std::string_view message) { return wasmtime_trap_new(message.data(), message.size()); }

// The trap that ends a run once RunContext::stop_due() said so; the flag it
// set decides how the run is classified.
wasm_trap_t* stop_trap(const RunContext& context, std::string_view where) {
  return trap(std::string(context.cancelled ? "cancelled" : "timeout") + " in " + std::string(where));
}

// The trap for a log write that was refused.
wasm_trap_t* log_trap(const RunContext& context, LogWrite refused, std::string_view where) {
  if (refused == LogWrite::kStopDue) return stop_trap(context, where);
  return trap("the log went over maxLog (" + format_size(context.request.limits.max_log_bytes) + ") in " +
              std::string(where));
}

// Runs a callback body, turning any exception into a trap of this run only.
template <typename Body>
wasm_trap_t* guarded(Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return trap(std::string("naos internal error in host function: ") + e.what());
  } catch (...) {
    return trap("naos internal error in host function");
  }
}

// Records a denied call (it feeds the audit log) and gives the guest its code.
int32_t fail(RunContext& context, std::string_view capability, const Error& error) {
  if (error.code() == Code::kPermissionDenied) {
    context.outcome.denials.push_back({std::string(capability), error.to_string()});
  }
  return nexus_code(error.code());
}

// Copies `bytes` to the guest's (out, out_cap) and writes the full length to
// out_len. Returns false when out_len itself is out of bounds.
bool copy_out(const GuestMemory& memory, std::string_view bytes, uint32_t out, uint32_t out_cap, uint32_t out_len) {
  if (!memory.write_u32(out_len, static_cast<uint32_t>(bytes.size()))) return false;
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(bytes.size(), out_cap));
  uint8_t* target = memory.span(out, n);
  if (target == nullptr) return false;
  std::memcpy(target, bytes.data(), n);
  return true;
}

// WASI errno values used here (wasi_snapshot_preview1).
constexpr int32_t kWasiSuccess = 0;
constexpr int32_t kWasiFault = 21;
constexpr int32_t kWasiNotCapable = 76;

// ---- nexus.log(level, msg, msg_len) -> i32
wasm_trap_t* nexus_log(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t, wasmtime_val_t* results,
                       size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.log");
    GuestMemory memory(caller);
    int32_t level = args[0].of.i32;
    std::string line;
    if (level < 0 || level > 3 || !memory.read(u32(args[1]), u32(args[2]), line)) return reply(results, kNexusInvalid);
    if (line.size() > kMaxLogLineBytes) return reply(results, kNexusLimit);
    LogWrite written = log_line(context, static_cast<LogLevel>(level), line);
    if (written != LogWrite::kWritten) return log_trap(context, written, "nexus.log");
    return reply(results, kNexusOk);
  });
}

// ---- nexus.time_now() -> i64
wasm_trap_t* nexus_time_now(void*, wasmtime_caller_t* caller, const wasmtime_val_t*, size_t, wasmtime_val_t* results,
                            size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.time_now");
    results[0].kind = WASMTIME_I64;
    results[0].of.i64 = context.calls.time_now_ms();
    return nullptr;
  });
}

// ---- nexus.kv_get(key, key_len, out, out_cap, out_len) -> i32
wasm_trap_t* nexus_kv_get(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                          wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.kv_get");
    GuestMemory memory(caller);
    std::string key;
    if (!memory.read(u32(args[0]), u32(args[1]), key)) return reply(results, kNexusInvalid);
    if (key.empty() || key.size() > kMaxKeyBytes) return reply(results, kNexusLimit);
    if (!is_utf8(key)) return reply(results, kNexusInvalid);  // keys are UTF-8 text (docs/abi.md)
    if (!context.request.grants.kv) {
      return reply(results, fail(context, "kv", Error(Code::kPermissionDenied, "kv is not granted", key)));
    }
    if (++context.kv_calls > kMaxKvCallsPerRun) return reply(results, kNexusLimit);
    auto value = context.calls.kv_get(key);
    if (!value) return reply(results, fail(context, "kv", value.error()));
    if (!value->has_value()) return reply(results, kNexusNotFound);
    const std::string& bytes = **value;
    if (!memory.write_u32(u32(args[4]), static_cast<uint32_t>(bytes.size()))) {
      return reply(results, kNexusInvalid);
    }
    if (bytes.size() > u32(args[3])) return reply(results, kNexusTooSmall);
    if (!copy_out(memory, bytes, u32(args[2]), u32(args[3]), u32(args[4]))) return reply(results, kNexusInvalid);
    return reply(results, kNexusOk);
  });
}

// ---- nexus.kv_set(key, key_len, value, value_len) -> i32
wasm_trap_t* nexus_kv_set(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                          wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.kv_set");
    GuestMemory memory(caller);
    std::string key, value;
    if (!memory.read(u32(args[0]), u32(args[1]), key)) return reply(results, kNexusInvalid);
    if (key.empty() || key.size() > kMaxKeyBytes || u32(args[3]) > kMaxValueBytes) {
      return reply(results, kNexusLimit);
    }
    if (!memory.read(u32(args[2]), u32(args[3]), value)) return reply(results, kNexusInvalid);
    if (!is_utf8(key)) return reply(results, kNexusInvalid);  // keys are UTF-8 text; values are bytes
    if (!context.request.grants.kv) {
      return reply(results, fail(context, "kv", Error(Code::kPermissionDenied, "kv is not granted", key)));
    }
    if (++context.kv_calls > kMaxKvCallsPerRun) return reply(results, kNexusLimit);
    auto status = context.calls.kv_set(key, value);
    return reply(results, status ? kNexusOk : fail(context, "kv", status.error()));
  });
}

// ---- nexus.kv_cas(key, key_len, expected, expected_len, value, value_len) -> i32
// expected_len -1: store only if the key is absent. NEXUS_E_CONFLICT when the
// key holds anything else.
wasm_trap_t* nexus_kv_cas(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                          wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.kv_cas");
    GuestMemory memory(caller);
    std::string key, expected, value;
    const bool must_be_absent = args[3].of.i32 == -1;
    if (!memory.read(u32(args[0]), u32(args[1]), key)) return reply(results, kNexusInvalid);
    if (key.empty() || key.size() > kMaxKeyBytes || u32(args[5]) > kMaxValueBytes ||
        (!must_be_absent && u32(args[3]) > kMaxValueBytes)) {
      return reply(results, kNexusLimit);
    }
    if (!must_be_absent && !memory.read(u32(args[2]), u32(args[3]), expected)) return reply(results, kNexusInvalid);
    if (!memory.read(u32(args[4]), u32(args[5]), value)) return reply(results, kNexusInvalid);
    if (!is_utf8(key)) return reply(results, kNexusInvalid);  // keys are UTF-8 text
    if (!context.request.grants.kv) {
      return reply(results, fail(context, "kv", Error(Code::kPermissionDenied, "kv is not granted", key)));
    }
    if (++context.kv_calls > kMaxKvCallsPerRun) return reply(results, kNexusLimit);
    auto stored = context.calls.kv_cas(key, must_be_absent ? std::nullopt : std::optional<std::string_view>(expected),
                                       value);
    if (!stored) return reply(results, fail(context, "kv", stored.error()));
    return reply(results, *stored ? kNexusOk : kNexusConflict);
  });
}

// ---- nexus.kv_incr(key, key_len, delta: i64, out: i32) -> i32
// The new value goes to the i64 at `out`.
wasm_trap_t* nexus_kv_incr(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                           wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.kv_incr");
    GuestMemory memory(caller);
    std::string key;
    if (!memory.read(u32(args[0]), u32(args[1]), key)) return reply(results, kNexusInvalid);
    if (key.empty() || key.size() > kMaxKeyBytes) return reply(results, kNexusLimit);
    // Checked before the increment: a bad pointer must not leave a change
    // the guest cannot learn of.
    if (memory.span(u32(args[3]), 8) == nullptr || !is_utf8(key)) return reply(results, kNexusInvalid);
    if (!context.request.grants.kv) {
      return reply(results, fail(context, "kv", Error(Code::kPermissionDenied, "kv is not granted", key)));
    }
    if (++context.kv_calls > kMaxKvCallsPerRun) return reply(results, kNexusLimit);
    auto sum = context.calls.kv_incr(key, args[2].of.i64);
    if (!sum) return reply(results, fail(context, "kv", sum.error()));
    memory.write_i64(u32(args[3]), *sum);
    return reply(results, kNexusOk);
  });
}

// ---- nexus.cost_record(amount_microcents: i64, detail, detail_len) -> i32
// An agent-declared cost. A negative amount, or one above kMaxCostMicrocents
// ($10,000,000), is NEXUS_E_INVALID; a refused one (a budget would be
// crossed) NEXUS_E_LIMIT.
wasm_trap_t* nexus_cost_record(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                               wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.cost_record");
    GuestMemory memory(caller);
    int64_t amount = args[0].of.i64;
    if (u32(args[2]) > kMaxCostDetailBytes) return reply(results, kNexusLimit);
    std::string detail;
    if (amount < 0 || amount > kMaxCostMicrocents || !memory.read(u32(args[1]), u32(args[2]), detail)) {
      return reply(results, kNexusInvalid);
    }
    auto status = context.calls.cost_record(amount, detail);
    return reply(results, status ? kNexusOk : fail(context, "cost", status.error()));
  });
}

// Shared by http_get and http_post once the request is read from memory.
void do_http(RunContext& context, const GuestMemory& memory, const HttpRequest& request, uint32_t out,
             uint32_t out_cap, uint32_t out_len, wasmtime_val_t* results) {
  // A URL is text (docs/abi.md): invalid UTF-8 is a bad argument, refused
  // before it reaches the allow-list, curl or the audit log.
  if (!is_utf8(request.url) || !is_utf8(request.content_type)) {
    reply(results, kNexusInvalid);
    return;
  }
  if (context.request.grants.network == NetworkAccess::kNone) {
    reply(results, fail(context, "http", Error(Code::kPermissionDenied, "network is not granted", request.url)));
    return;
  }
  auto response = context.calls.http(request, context.deadline);
  if (!response) {
    reply(results, fail(context, "http", response.error()));
    return;
  }
  if (!copy_out(memory, response->body, out, out_cap, out_len)) {
    reply(results, kNexusInvalid);
    return;
  }
  reply(results, response->status);
}

// ---- nexus.http_get(url, url_len, out, out_cap, out_len) -> i32
wasm_trap_t* nexus_http_get(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                            wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.http_get");
    GuestMemory memory(caller);
    HttpRequest request{"GET", {}, {}, {}};
    if (u32(args[1]) > kMaxUrlBytes) return reply(results, kNexusLimit);
    if (!memory.read(u32(args[0]), u32(args[1]), request.url)) return reply(results, kNexusInvalid);
    do_http(context, memory, request, u32(args[2]), u32(args[3]), u32(args[4]), results);
    return nullptr;
  });
}

// ---- nexus.http_post(url, url_len, body, body_len, ct, ct_len, out, out_cap, out_len) -> i32
wasm_trap_t* nexus_http_post(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                             wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.http_post");
    GuestMemory memory(caller);
    HttpRequest request{"POST", {}, {}, {}};
    if (u32(args[1]) > kMaxUrlBytes || u32(args[3]) > kMaxValueBytes * 8 || u32(args[5]) > 256) {
      return reply(results, kNexusLimit);
    }
    if (!memory.read(u32(args[0]), u32(args[1]), request.url) || !memory.read(u32(args[2]), u32(args[3]), request.body) ||
        !memory.read(u32(args[4]), u32(args[5]), request.content_type)) {
      return reply(results, kNexusInvalid);
    }
    do_http(context, memory, request, u32(args[6]), u32(args[7]), u32(args[8]), results);
    return nullptr;
  });
}

// ---- nexus.llm_complete(request, request_len, out, out_cap, out_len) -> i32
// The request and the reply are JSON (docs/abi.md "llm_complete"). The reply
// goes out like an http body: up to out_cap bytes, the full length to
// out_len (a paid call is not repeated to fit a bigger buffer). A failed call
// writes {"error": {"code", "message"}} the same way, so the guest learns
// which provider error it was, and returns the NEXUS_E_* code.
wasm_trap_t* nexus_llm_complete(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "nexus.llm_complete");
    GuestMemory memory(caller);
    if (u32(args[1]) > kMaxLlmRequestBytes) return reply(results, kNexusLimit);
    std::string request;
    if (!memory.read(u32(args[0]), u32(args[1]), request)) return reply(results, kNexusInvalid);
    Result<std::string> response = Error(Code::kPermissionDenied, "llm is not granted");
    if (context.request.grants.llm) response = context.calls.llm_complete(request, context.deadline, context.request.cancel);
    std::string bytes;
    if (response) {
      bytes = std::move(*response);
    } else {
      nlohmann::json error = {{"error",
                               {{"code", std::string(code_name(response.error().code()))},
                                {"message", response.error().to_string()}}}};
      bytes = error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (!copy_out(memory, bytes, u32(args[2]), u32(args[3]), u32(args[4]))) return reply(results, kNexusInvalid);
    return reply(results, response ? kNexusOk : fail(context, "llm", response.error()));
  });
}

// ---- wasi_snapshot_preview1.fd_write(fd, iovs, iovs_len, nwritten) -> errno
// stdout is the result (bounded by maxOutput, checked before the bytes are
// kept), stderr is the log. An agent on this route has no writable folder, so
// every other descriptor is not writable (WASI would say the same).
wasm_trap_t* wasi_fd_write(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                           wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "fd_write");
    int32_t fd = args[0].of.i32;
    if (fd != 1 && fd != 2) return reply(results, kWasiNotCapable);
    GuestMemory memory(caller);
    uint32_t iovs = u32(args[1]);
    uint32_t count = u32(args[2]);
    uint64_t written = 0;
    for (uint32_t i = 0; i < count; ++i) {
      // Many iovecs may name the same large buffer: the deadline holds
      // between them as it does between the lines inside one.
      if (context.stop_due()) return stop_trap(context, "fd_write");
      const uint8_t* iov = memory.span(iovs + i * 8, 8);
      if (iov == nullptr) return reply(results, kWasiFault);
      uint32_t buf, len;
      std::memcpy(&buf, iov, 4);
      std::memcpy(&len, iov + 4, 4);
      const uint8_t* bytes = memory.span(buf, len);
      if (bytes == nullptr) return reply(results, kWasiFault);
      std::string_view chunk(reinterpret_cast<const char*>(bytes), len);
      if (fd == 1) {
        if (context.outcome.output.size() + len > context.request.limits.max_output_bytes) {
          context.output_overflowed = true;
          return trap("stdout went over maxOutput (" +
                      std::to_string(context.request.limits.max_output_bytes) + " bytes)");
        }
        context.outcome.output.append(chunk);
      } else {
        // In slices, so a huge buffer is never copied whole before the log
        // cap or the deadline can refuse it.
        for (size_t at = 0; at < chunk.size(); at += kMaxLogLineBytes) {
          context.stderr_partial.append(chunk.substr(at, kMaxLogLineBytes));
          LogWrite logged = flush_stderr(context, false);
          if (logged != LogWrite::kWritten) return log_trap(context, logged, "fd_write");
        }
      }
      written += len;
    }
    if (!memory.write_u32(u32(args[3]), static_cast<uint32_t>(written))) return reply(results, kWasiFault);
    return reply(results, kWasiSuccess);
  });
}

// ---- wasi_snapshot_preview1.poll_oneoff(in, out, nsubscriptions, nevents) -> errno
// WASI's own poll_oneoff blocks the thread for as long as the guest asks, and
// no epoch can interrupt a host call: an agent could sleep past its timeout
// and hold its slot for a year. naos's version sleeps at most until the run's
// deadline, then ends the run with `timeout`.
//
// Descriptors an agent can poll are always ready: stdin is in memory, stdout
// and stderr are captured, files are regular files (docs/abi.md). So a poll
// with any fd subscription returns at once with those ready; a poll of clocks
// alone sleeps until the earliest one.
constexpr int32_t kWasiInvalid = 28;
constexpr uint8_t kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
constexpr uint32_t kSubscriptionSize = 48, kEventSize = 32;
constexpr uint16_t kClockAbsolute = 1;
constexpr uint32_t kClockRealtime = 0;

template <typename T>
T load(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

wasm_trap_t* wasi_poll_oneoff(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                              wasmtime_val_t* results, size_t) {
  return guarded([&]() -> wasm_trap_t* {
    RunContext& context = run_context(caller);
    if (context.stop_due()) return stop_trap(context, "poll_oneoff");
    GuestMemory memory(caller);
    uint32_t count = u32(args[2]);
    if (count == 0) return reply(results, kWasiInvalid);
    const uint8_t* subscriptions = memory.span(u32(args[0]), count * kSubscriptionSize);
    uint8_t* events = memory.span(u32(args[1]), count * kEventSize);
    if (subscriptions == nullptr || events == nullptr || count > 4096) return reply(results, kWasiFault);

    using Clock = std::chrono::steady_clock;
    auto now = Clock::now();
    auto wake = Clock::time_point::max();
    bool any_fd = false;
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* sub = subscriptions + i * kSubscriptionSize;
      uint8_t tag = sub[8];
      if (tag == kEventFdRead || tag == kEventFdWrite) {
        any_fd = true;
      } else if (tag == kEventClock) {
        uint32_t clock_id = load<uint32_t>(sub + 16);
        uint64_t timeout_ns = load<uint64_t>(sub + 24);
        uint16_t flags = load<uint16_t>(sub + 40);
        std::chrono::nanoseconds delay(0);
        if (!(flags & kClockAbsolute)) {
          delay = std::chrono::nanoseconds(std::min<uint64_t>(timeout_ns, INT64_MAX));
        } else if (clock_id == kClockRealtime) {
          auto target = std::chrono::system_clock::time_point(
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  std::chrono::nanoseconds(std::min<uint64_t>(timeout_ns, INT64_MAX))));
          delay = std::max(std::chrono::nanoseconds(0), target - std::chrono::system_clock::now());
        }  // an absolute monotonic time has WASI's private origin: treated as due now
        auto at = delay > std::chrono::hours(24 * 365) ? Clock::time_point::max() : now + delay;
        wake = std::min(wake, at);
      } else {
        return reply(results, kWasiInvalid);
      }
    }
    if (!any_fd && wake > now) {
      // Sleep in slices so a cancelled run does not outsleep its stop.
      auto until = std::min(wake, context.deadline);
      while (Clock::now() < until) {
        if (context.cancel_requested()) {
          context.cancelled = true;
          return trap("cancelled while sleeping in poll_oneoff");
        }
        std::this_thread::sleep_until(std::min(until, Clock::now() + std::chrono::milliseconds(10)));
      }
      if (wake >= context.deadline) {
        context.timed_out = true;
        return trap("timeout while sleeping in poll_oneoff");
      }
      now = Clock::now();
    }
    uint32_t ready = 0;
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* sub = subscriptions + i * kSubscriptionSize;
      uint8_t tag = sub[8];
      if (tag == kEventClock && (any_fd || wake > now)) continue;  // not yet due
      uint8_t* event = events + ready * kEventSize;
      std::memset(event, 0, kEventSize);
      std::memcpy(event, sub, 8);  // userdata
      event[10] = tag;
      ++ready;
    }
    if (!memory.write_u32(u32(args[3]), ready)) return reply(results, kWasiFault);
    return reply(results, kWasiSuccess);
  });
}

struct HostFunction {
  std::string_view module;
  std::string_view name;
  std::vector<wasm_valkind_t> params;
  std::vector<wasm_valkind_t> results;
  wasmtime_func_callback_t callback;
};

wasm_functype_t* make_functype(const std::vector<wasm_valkind_t>& params, const std::vector<wasm_valkind_t>& results) {
  auto to_vec = [](const std::vector<wasm_valkind_t>& kinds, wasm_valtype_vec_t* out) {
    wasm_valtype_vec_new_uninitialized(out, kinds.size());
    for (size_t i = 0; i < kinds.size(); ++i) out->data[i] = wasm_valtype_new(kinds[i]);
  };
  wasm_valtype_vec_t p, r;
  to_vec(params, &p);
  to_vec(results, &r);
  return wasm_functype_new(&p, &r);
}

}  // namespace

Status define_host_functions(wasmtime_linker_t* linker, CaptureStdio capture) {
  constexpr wasm_valkind_t I32 = WASM_I32, I64 = WASM_I64;
  const HostFunction functions[] = {
      {kNexusModule, "log", {I32, I32, I32}, {I32}, nexus_log},
      {kNexusModule, "time_now", {}, {I64}, nexus_time_now},
      {kNexusModule, "kv_get", {I32, I32, I32, I32, I32}, {I32}, nexus_kv_get},
      {kNexusModule, "kv_set", {I32, I32, I32, I32}, {I32}, nexus_kv_set},
      {kNexusModule, "kv_cas", {I32, I32, I32, I32, I32, I32}, {I32}, nexus_kv_cas},
      {kNexusModule, "kv_incr", {I32, I32, I64, I32}, {I32}, nexus_kv_incr},
      {kNexusModule, "http_get", {I32, I32, I32, I32, I32}, {I32}, nexus_http_get},
      {kNexusModule, "http_post", {I32, I32, I32, I32, I32, I32, I32, I32, I32}, {I32}, nexus_http_post},
      {kNexusModule, "cost_record", {I64, I32, I32}, {I32}, nexus_cost_record},
      {kNexusModule, "llm_complete", {I32, I32, I32, I32, I32}, {I32}, nexus_llm_complete},
      {kWasiModule, "fd_write", {I32, I32, I32, I32}, {I32}, wasi_fd_write},
      {kWasiModule, "poll_oneoff", {I32, I32, I32, I32}, {I32}, wasi_poll_oneoff},
  };
  for (const auto& function : functions) {
    if (function.name == "fd_write" && capture == CaptureStdio::kNo) continue;
    wasm_functype_t* type = make_functype(function.params, function.results);
    wasmtime_error_t* error =
        wasmtime_linker_define_func(linker, function.module.data(), function.module.size(), function.name.data(),
                                    function.name.size(), type, function.callback, nullptr, nullptr);
    wasm_functype_delete(type);
    if (error != nullptr) {
      return Error(Code::kInternal, "cannot define " + std::string(function.name) + ": " + take_error_message(error));
    }
  }
  return ok();
}

}  // namespace naos::sandbox
