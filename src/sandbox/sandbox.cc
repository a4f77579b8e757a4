#include "sandbox/sandbox.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/file.h"
#include "base/key_file.h"
#include "base/sha256.h"
#include "base/units.h"
#include "sandbox/engine.h"
#include "sandbox/instance_slots.h"
#include "sandbox/memory_limiter.h"
#include "sandbox/module_cache.h"
#include "sandbox/nexus_abi.h"
#include "sandbox/run_context.h"
#include "sandbox/wasm_handle.h"

namespace naos::sandbox {

std::string_view failure_name(Failure failure) {
  switch (failure) {
    case Failure::kNone: return "ok";
    case Failure::kExitStatus: return "exit_status";
    case Failure::kTrap: return "trap";
    case Failure::kTimeout: return "timeout";
    case Failure::kCancelled: return "cancelled";
    case Failure::kFuelExhausted: return "fuel_exhausted";
    case Failure::kMemoryLimitExceeded: return "memory_limit_exceeded";
    case Failure::kOutputTooLarge: return "output_too_large";
    case Failure::kLogTooLarge: return "log_too_large";
    case Failure::kStackOverflow: return "stack_overflow";
    case Failure::kImportDenied: return "import_denied";
    case Failure::kInvalidModule: return "invalid_module";
    case Failure::kModuleTooComplex: return "module_too_complex";
  }
  return "trap";
}

struct AgentModule::Compiled {
  std::unique_ptr<CompiledModule> module;
  InstancePreHandle captured_pre;  // against the linker with naos's fd_write
  InstancePreHandle wasi_pre;      // against plain WASI
};

AgentModule::AgentModule() = default;
AgentModule::~AgentModule() = default;

struct Sandbox::Linkers {
  // WASI with naos's fd_write, and the `nexus` functions.
  LinkerHandle captured;
  // WASI's own fd_write, and the `nexus` functions: for agents that write files.
  LinkerHandle wasi;
};

Result<std::unique_ptr<Sandbox>> Sandbox::create(const SandboxOptions& options) {
  NAOS_ASSIGN_OR_RETURN(auto engine, Engine::create(options.engine));
  ModuleCacheOptions cache{options.cache_dir, {}, options.on_cache_rejected};
  if (!cache.dir.empty()) {
    NAOS_ASSIGN_OR_RETURN(cache.key, load_or_create_key(options.cache_key_file, crypto_auth_hmacsha256_KEYBYTES,
                                                        "module cache key"));
  }
  auto module_cache = std::make_unique<ModuleCache>(*engine, std::move(cache), options.compile);
  std::unique_ptr<Sandbox> sandbox(new Sandbox(std::move(engine), std::move(module_cache)));
  NAOS_TRY(sandbox->define_imports());
  return sandbox;
}

Sandbox::Sandbox(std::unique_ptr<Engine> engine, std::unique_ptr<ModuleCache> cache)
    : engine_(std::move(engine)),
      cache_(std::move(cache)),
      linkers_(std::make_unique<Linkers>()),
      slots_(std::make_unique<InstanceSlots>(engine_->options().max_instances)) {}

// Modules (and their pre-instances) go before the linkers and the engine.
Sandbox::~Sandbox() {
  files_.clear();
  modules_.clear();
  linkers_.reset();
  cache_.reset();
}

const EngineOptions& Sandbox::engine_options() const { return engine_->options(); }

uint64_t Sandbox::compiled_modules() const { return cache_->stats().compiled.load(); }

uint64_t Sandbox::rejected_artifacts() const { return cache_->stats().rejected.load(); }

Status Sandbox::define_imports() {
  linkers_->captured = LinkerHandle(wasmtime_linker_new(engine_->raw()));
  linkers_->wasi = LinkerHandle(wasmtime_linker_new(engine_->raw()));
  for (auto* linker : {linkers_->captured.raw(), linkers_->wasi.raw()}) {
    if (wasmtime_error_t* error = wasmtime_linker_define_wasi(linker)) {
      return Error(Code::kInternal, "cannot define WASI: " + take_error_message(error));
    }
  }
  wasmtime_linker_allow_shadowing(linkers_->captured.raw(), true);
  wasmtime_linker_allow_shadowing(linkers_->wasi.raw(), true);
  NAOS_TRY(define_host_functions(linkers_->captured.raw(), CaptureStdio::kYes));
  return define_host_functions(linkers_->wasi.raw(), CaptureStdio::kNo);
}

void Sandbox::inspect_imports(AgentModule& module) const {
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(module.compiled_->module->module.raw(), &imports);
  for (size_t i = 0; i < imports.size && module.refusal_ == Failure::kNone; ++i) {
    const wasm_name_t* from = wasm_importtype_module(imports.data[i]);
    const wasm_name_t* what = wasm_importtype_name(imports.data[i]);
    std::string_view module_name(from->data, from->size);
    std::string_view name(what->data, what->size);
    std::string full = std::string(module_name) + "." + std::string(name);
    if (module_name == kNexusModule) {
      if (find_nexus_function(name) == nullptr) {
        module.refusal_ = Failure::kImportDenied;
        module.refusal_message_ = full + " is not a naos host function (ABI v" + std::to_string(kAbiVersion) + ")";
      } else {
        module.nexus_imports_.emplace_back(name);
      }
    } else if (module_name == kWasiModule) {
      module.wasi_imports_.emplace_back(name);
    } else {
      module.refusal_ = Failure::kImportDenied;
      module.refusal_message_ = full + " is not provided: agents may import only from \"nexus\" and \"" +
                                std::string(kWasiModule) + "\"";
    }
  }
  wasm_importtype_vec_delete(&imports);
}

namespace {

// The module's own linear memory (not imported): its initial size in bytes,
// and whether `_start` is exported.
void inspect_exports(const wasmtime_module_t* module, uint64_t& initial_memory_bytes, bool& has_start) {
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(module, &exports);
  for (size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(exports.data[i]);
    const wasm_externtype_t* type = wasm_exporttype_type(exports.data[i]);
    std::string_view export_name(name->data, name->size);
    if (export_name == "_start" && wasm_externtype_kind(type) == WASM_EXTERN_FUNC) has_start = true;
    if (wasm_externtype_kind(type) == WASM_EXTERN_MEMORY) {
      const wasm_memorytype_t* memory = wasm_externtype_as_memorytype_const(type);
      initial_memory_bytes = std::max<uint64_t>(initial_memory_bytes, wasmtime_memorytype_minimum(memory) * 65536);
    }
  }
  wasm_exporttype_vec_delete(&exports);
}

}  // namespace

Result<std::shared_ptr<const AgentModule>> Sandbox::load(std::string_view wasm) {
  std::string hash = sha256_hex(wasm);
  {
    std::unique_lock lock(modules_mutex_);
    for (;;) {
      if (auto found = modules_.find(hash); found != modules_.end()) return found->second;
      // Another caller compiles these bytes: wait for it rather than compile
      // them again (64 runs arriving together cost 50x one compile's CPU).
      if (compiling_.insert(hash).second) break;
      compiled_.wait(lock);
    }
  }
  auto module = compile_and_link(wasm, hash);
  {
    std::lock_guard lock(modules_mutex_);
    compiling_.erase(hash);
    if (module) modules_.emplace(hash, *module);
  }
  // A failed compile wakes the waiters too: each then tries, and reports, its own.
  compiled_.notify_all();
  return module;
}

std::optional<Sandbox::FileIdentity> Sandbox::identify(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return std::nullopt;
  return FileIdentity{static_cast<uint64_t>(info.st_dev), static_cast<uint64_t>(info.st_ino),
                      static_cast<uint64_t>(info.st_size),
                      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

Result<std::shared_ptr<const AgentModule>> Sandbox::load_file(const std::filesystem::path& file) {
  std::optional<FileIdentity> before = identify(file);
  if (before) {
    std::lock_guard lock(modules_mutex_);
    if (auto found = files_.find(file.string()); found != files_.end() && found->second.identity == *before) {
      return found->second.module;
    }
  }
  NAOS_ASSIGN_OR_RETURN(std::string bytes, read_file(file, "module file"));
  NAOS_ASSIGN_OR_RETURN(auto module, load(bytes));
  // Remembered only when the file did not change while it was read.
  if (before && identify(file) == before) {
    std::lock_guard lock(modules_mutex_);
    files_[file.string()] = LoadedFile{*before, module};
  }
  return module;
}

Result<std::shared_ptr<const AgentModule>> Sandbox::compile_and_link(std::string_view wasm, const std::string& hash) {
  std::shared_ptr<AgentModule> module(new AgentModule());
  module->hash_ = hash;
  module->compiled_ = std::make_unique<AgentModule::Compiled>();
  auto compiled = cache_->compile(wasm, hash);
  if (!compiled && compiled.error().code() == Code::kResourceExhausted) {
    // Wasm, but more than the compile limits allow: refused, like a module
    // without _start, and remembered so the next run does not compile again.
    module->refusal_ = Failure::kModuleTooComplex;
    module->refusal_message_ = compiled.error().message();
    return std::shared_ptr<const AgentModule>(std::move(module));
  }
  if (!compiled) return compiled.error();
  module->compiled_->module = std::move(*compiled);
  inspect_imports(*module);
  bool has_start = false;
  inspect_exports(module->compiled_->module->module.raw(), module->initial_memory_bytes_, has_start);
  if (module->refusal_ == Failure::kNone && !has_start) {
    module->refusal_ = Failure::kInvalidModule;
    module->refusal_message_ = "the module exports no _start function (an agent is a WASI command module)";
  }
  for (auto [linker, pre] : {std::pair{linkers_->captured.raw(), &module->compiled_->captured_pre},
                              std::pair{linkers_->wasi.raw(), &module->compiled_->wasi_pre}}) {
    if (module->refusal_ != Failure::kNone) break;
    wasmtime_instance_pre_t* raw = nullptr;
    if (wasmtime_error_t* error = wasmtime_linker_instantiate_pre(linker, module->compiled_->module->module.raw(), &raw)) {
      // An import whose name exists but whose type does not match the ABI.
      module->refusal_ = Failure::kImportDenied;
      module->refusal_message_ = take_error_message(error);
    } else {
      *pre = InstancePreHandle(raw);
    }
  }
  return std::shared_ptr<const AgentModule>(std::move(module));
}

namespace {

bool has_grant(const Grants& grants, Capability capability) {
  switch (capability) {
    case Capability::kAlways: return true;
    case Capability::kKv: return grants.kv;
    case Capability::kNetwork: return grants.network != NetworkAccess::kNone;
  }
  return false;
}

uint64_t memory_size(wasmtime_context_t* context, const wasmtime_instance_t& instance) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, &instance, "memory", 6, &item)) return 0;
  uint64_t size = item.kind == WASMTIME_EXTERN_MEMORY ? wasmtime_memory_data_size(context, &item.of.memory) : 0;
  wasmtime_extern_delete(&item);
  return size;
}

// Builds the WASI context: argv = [agent name], stdin = input, the granted
// environment and folders, and nothing else.
Result<wasi_config_t*> make_wasi(const RunRequest& request, const MemFile* stdout_file, const MemFile* stderr_file) {
  WasiConfigHandle wasi(wasi_config_new());
  const char* argv[] = {request.agent_name.c_str()};
  wasi_config_set_argv(wasi.raw(), 1, argv);
  std::vector<const char*> names, values;
  for (const auto& [name, value] : request.grants.env) {
    names.push_back(name.c_str());
    values.push_back(value.c_str());
  }
  wasi_config_set_env(wasi.raw(), names.size(), names.data(), values.data());
  wasm_byte_vec_t input;
  wasm_byte_vec_new(&input, request.input.size(), request.input.data());
  wasi_config_set_stdin_bytes(wasi.raw(), &input);  // takes the bytes
  if (stdout_file != nullptr && (!wasi_config_set_stdout_file(wasi.raw(), stdout_file->path().c_str()) ||
                                 !wasi_config_set_stderr_file(wasi.raw(), stderr_file->path().c_str()))) {
    return Error(Code::kUnavailable, "cannot attach stdout/stderr files", request.agent_name);
  }
  for (const auto& preopen : request.grants.preopens) {
    bool writable = preopen.writable == Writable::kYes;
    wasi_dir_perms dir = WASMTIME_WASI_DIR_PERMS_READ | (writable ? WASMTIME_WASI_DIR_PERMS_WRITE : 0);
    wasi_file_perms file = WASMTIME_WASI_FILE_PERMS_READ | (writable ? WASMTIME_WASI_FILE_PERMS_WRITE : 0);
    if (!wasi_config_preopen_dir(wasi.raw(), preopen.host_path.c_str(), preopen.guest_path.c_str(), dir, file)) {
      return Error(Code::kNotFound, "cannot open the granted folder " + preopen.host_path.string(),
                   request.agent_name);
    }
  }
  return wasi.release();
}

// Wasmtime's message for a trap is "error while executing at wasm backtrace:
// <frames> Caused by: <reason> [Stack backtrace: ...]". The reason is what a
// person needs; the frames go to the log at debug level only if asked.
std::string trap_reason(const std::string& text) {
  const std::string marker = "Caused by:\n";
  size_t at = text.find(marker);
  if (at == std::string::npos) return text.substr(0, text.find('\n'));
  std::string reason;
  size_t line_start = at + marker.size();
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    std::string line = text.substr(line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
    size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) break;  // a blank line ends the causes
    reason += (reason.empty() ? "" : "; ") + line.substr(first);
    if (line_end == std::string::npos) break;
    line_start = line_end + 1;
  }
  return reason;
}

std::string log_too_large_message(const Limits& limits) {
  return "the log went over maxLog (" + format_size(limits.max_log_bytes) + ")";
}

// How a call to _start ended. A trap raised by wasm arrives as `trap`, one
// raised by a host function (or proc_exit) as `error`; both are classified
// the same way.
void classify(wasmtime_error_t* error, wasm_trap_t* trap, const RunContext& context, RunOutcome& outcome) {
  if (error == nullptr && trap == nullptr) return;
  std::optional<wasmtime_trap_code_t> code;
  std::string text;
  if (error != nullptr) {
    int status = 0;
    if (wasmtime_error_exit_status(error, &status)) {
      take_error_message(error);
      outcome.exit_status = status;
      if (status != 0) {
        outcome.failure = Failure::kExitStatus;
        outcome.message = "exited with status " + std::to_string(status);
      }
      return;
    }
    text = take_error_message(error);
  } else {
    TrapHandle owned(trap);
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    size_t size = message.size > 0 && message.data[message.size - 1] == '\0' ? message.size - 1 : message.size;
    text.assign(message.data, size);
    wasm_byte_vec_delete(&message);
    wasmtime_trap_code_t raw_code;
    if (wasmtime_trap_code(trap, &raw_code)) code = raw_code;
  }
  outcome.message = trap_reason(text);
  const Limits& limits = context.request.limits;
  if (context.output_overflowed) {
    outcome.failure = Failure::kOutputTooLarge;
  } else if (context.log_overflowed) {
    outcome.failure = Failure::kLogTooLarge;
    outcome.message = log_too_large_message(limits);
  } else if (context.cancelled) {
    outcome.failure = Failure::kCancelled;
    outcome.message = "stopped by naos";
  } else if (context.timed_out || code == WASMTIME_TRAP_CODE_INTERRUPT) {
    outcome.failure = Failure::kTimeout;
    outcome.message = "ran past its timeout of " + format_duration(limits.timeout);
  } else if (code == WASMTIME_TRAP_CODE_OUT_OF_FUEL) {
    outcome.failure = Failure::kFuelExhausted;
    outcome.message = "used all of its fuel (" + std::to_string(limits.fuel) + " units)";
  } else if (code == WASMTIME_TRAP_CODE_STACK_OVERFLOW) {
    outcome.failure = Failure::kStackOverflow;
  } else if (context.memory_refused) {
    // Wasmtime answers a refused memory.grow with -1, as the spec says, not a
    // trap; an agent that then fails had asked for more than its limit, so it
    // failed because of the limit (the limiter recorded the refusal).
    outcome.failure = Failure::kMemoryLimitExceeded;
    outcome.message = "a memory.grow past memoryLimit (" + format_size(limits.memory_bytes) +
                      ") was refused, then: " + outcome.message;
  } else {
    outcome.failure = Failure::kTrap;
  }
}

// Logs the stderr bytes written to the in-memory file since the last call.
// Reads no more than could still fit under maxLog (plus one byte, to know it
// would not), however much the guest wrote.
LogWrite drain_stderr_file(RunContext& context, bool flush) {
  uint64_t max_log = context.request.limits.max_log_bytes;
  uint64_t room = max_log > context.outcome.log_bytes ? max_log - context.outcome.log_bytes : 0;
  std::string fresh = context.stderr_file->read(context.stderr_read, room + 1);
  context.stderr_read += fresh.size();
  context.stderr_partial += fresh;
  return flush_stderr(context, flush);
}

// Every epoch tick: the deadline is the wall clock (a monotonic clock
// compared with the run's deadline); ticks only wake this check, so a
// ticker that oversleeps on a busy machine delays the stop by one late
// tick, never by a share of the whole timeout.
wasmtime_error_t* check_deadline_and_cancel(RunContext& context, uint64_t* delta,
                                            wasmtime_update_deadline_kind_t* kind) {
  if (context.stop_due()) return wasmtime_error_new(context.cancelled ? "cancelled" : "timeout");
  *delta = 1;
  *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
  return nullptr;
}

// Every epoch tick of an agent whose stdio is on in-memory files: stream its
// log, stop it once stdout or the log is over its limit or its time is up.
wasmtime_error_t* watch_stdio_files(wasmtime_context_t*, void* data, uint64_t* delta,
                                    wasmtime_update_deadline_kind_t* kind) {
  auto& context = *static_cast<RunContext*>(data);
  try {
    if (drain_stderr_file(context, false) == LogWrite::kLogFull) return wasmtime_error_new("the log went over maxLog");
    if (context.stdout_file->size() > context.request.limits.max_output_bytes) {
      context.output_overflowed = true;
      return wasmtime_error_new("stdout went over maxOutput");
    }
  } catch (...) {
    return wasmtime_error_new("naos internal error while reading agent output");
  }
  return check_deadline_and_cancel(context, delta, kind);
}

// Every epoch tick of a run whose stdio naos captures: stop it once
// cancelled or past its deadline.
wasmtime_error_t* watch_deadline(wasmtime_context_t*, void* data, uint64_t* delta,
                                 wasmtime_update_deadline_kind_t* kind) {
  return check_deadline_and_cancel(*static_cast<RunContext*>(data), delta, kind);
}

}  // namespace

Result<RunOutcome> Sandbox::run(const AgentModule& module, const RunRequest& request, AgentCalls& calls) {
  auto started = std::chrono::steady_clock::now();
  RunOutcome outcome;
  if (module.refusal_ != Failure::kNone) {
    outcome.failure = module.refusal_;
    outcome.message = module.refusal_message_;
    return outcome;
  }
  for (const auto& name : module.nexus_imports_) {
    Capability needs = find_nexus_function(name)->needs;
    if (!has_grant(request.grants, needs)) {
      outcome.failure = Failure::kImportDenied;
      outcome.message = "nexus." + name + " (capability " + std::string(capability_name(needs)) + " not granted)";
      outcome.denials.push_back({std::string(capability_name(needs)), "import of nexus." + name});
      return outcome;
    }
  }
  if (module.initial_memory_bytes_ > request.limits.memory_bytes) {
    outcome.failure = Failure::kMemoryLimitExceeded;
    outcome.message = "the module starts with " + std::to_string(module.initial_memory_bytes_) +
                      " bytes of memory, over memoryLimit (" + std::to_string(request.limits.memory_bytes) + ")";
    return outcome;
  }

  bool writes_files = std::any_of(request.grants.preopens.begin(), request.grants.preopens.end(),
                                  [](const Preopen& p) { return p.writable == Writable::kYes; });
  std::optional<MemFile> stdout_file, stderr_file;
  if (writes_files) {
    NAOS_ASSIGN_OR_RETURN(auto out, MemFile::create("naos-stdout"));
    NAOS_ASSIGN_OR_RETURN(auto err, MemFile::create("naos-stderr"));
    stdout_file.emplace(std::move(out));
    stderr_file.emplace(std::move(err));
  }

  // Held until the store is gone: declared before it, destroyed after it.
  InstanceSlots::Slot slot = slots_->acquire(started + request.limits.timeout, request.cancel);
  if (!slot) {
    bool cancelled = request.cancel != nullptr && request.cancel->load();
    outcome.failure = cancelled ? Failure::kCancelled : Failure::kTimeout;
    outcome.message = (cancelled ? "cancelled" : "timed out") +
                      std::string(" while waiting for a free instance slot (execution.maxInstances = ") +
                      std::to_string(engine_->options().max_instances) + " run at once)";
    outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    return outcome;
  }
  RunContext context{request, calls, outcome, started + request.limits.timeout};
  context.stdout_file = writes_files ? &*stdout_file : nullptr;
  context.stderr_file = writes_files ? &*stderr_file : nullptr;
  StoreHandle store(wasmtime_store_new(engine_->raw(), &context, nullptr));
  wasmtime_context_t* ctx = wasmtime_store_context(store.raw());
  naos_store_memory_limiter(store.raw(), request.limits.memory_bytes, &context.memory_refused);
  uint64_t fuel = request.limits.fuel > 0 ? request.limits.fuel : UINT64_MAX;
  if (wasmtime_error_t* error = wasmtime_context_set_fuel(ctx, fuel)) {
    return Error(Code::kInternal, take_error_message(error));
  }
  wasmtime_context_set_epoch_deadline(ctx, 1);
  wasmtime_store_epoch_deadline_callback(store.raw(), writes_files ? watch_stdio_files : watch_deadline, &context,
                                         nullptr);
  NAOS_ASSIGN_OR_RETURN(wasi_config_t * wasi, make_wasi(request, context.stdout_file, context.stderr_file));
  if (wasmtime_error_t* error = wasmtime_context_set_wasi(ctx, wasi)) {
    return Error(Code::kInternal, "cannot set up WASI: " + take_error_message(error));
  }

  wasmtime_instance_t instance;
  wasm_trap_t* trap = nullptr;
  const auto& pre = writes_files ? module.compiled_->wasi_pre : module.compiled_->captured_pre;
  wasmtime_error_t* error = wasmtime_instance_pre_instantiate(pre.raw(), ctx, &instance, &trap);
  if (error == nullptr && trap == nullptr) {
    wasmtime_extern_t start;
    wasmtime_instance_export_get(ctx, &instance, "_start", 6, &start);
    error = wasmtime_func_call(ctx, &start.of.func, nullptr, 0, nullptr, 0, &trap);
    wasmtime_extern_delete(&start);
    outcome.memory_bytes = memory_size(ctx, instance);
  }
  if (writes_files) {
    // The exact checks the ticks only approximate.
    uint64_t limit = request.limits.max_output_bytes;
    outcome.output = stdout_file->read(0, limit);
    if (stdout_file->size() > limit) context.output_overflowed = true;
    drain_stderr_file(context, true);
  } else {
    flush_stderr(context, true);  // the last line, if it had no newline
  }
  classify(error, trap, context, outcome);
  if (context.output_overflowed && outcome.failure == Failure::kNone) {
    // Finished normally, but wrote more than allowed into its stdout file.
    outcome.failure = Failure::kOutputTooLarge;
    outcome.message = "stdout went over maxOutput (" + std::to_string(request.limits.max_output_bytes) + " bytes)";
  } else if (context.log_overflowed && outcome.failure == Failure::kNone) {
    // Finished normally, but its last stderr bytes went over maxLog.
    outcome.failure = Failure::kLogTooLarge;
    outcome.message = log_too_large_message(request.limits);
  }
  uint64_t remaining = 0;
  if (wasmtime_context_get_fuel(ctx, &remaining) == nullptr) outcome.fuel_consumed = fuel - remaining;
  outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  return outcome;
}

}  // namespace naos::sandbox
