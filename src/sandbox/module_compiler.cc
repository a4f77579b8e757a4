#include "sandbox/module_compiler.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/units.h"

#if defined(__SANITIZE_ADDRESS__)
#define NAOS_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NAOS_ADDRESS_SANITIZER 1
#endif
#endif

namespace naos::sandbox {
namespace {

// AddressSanitizer reserves terabytes of shadow address space at start-up,
// so a sanitizer build cannot run under RLIMIT_AS; there the compile is
// bounded by time only.
#ifdef NAOS_ADDRESS_SANITIZER
constexpr bool kCanLimitAddressSpace = false;
#else
constexpr bool kCanLimitAddressSpace = true;
#endif

// A file descriptor, closed when it goes.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Everything from the start of `fd` (a memfd), up to `max` bytes.
std::string read_all(int fd, size_t max = SIZE_MAX) {
  std::string out;
  char buffer[65536];
  off_t offset = 0;
  while (out.size() < max) {
    ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  if (out.size() > max) out.resize(max);
  return out;
}

Result<std::string> serialize(const ModuleHandle& module) {
  wasm_byte_vec_t bytes;
  if (wasmtime_error_t* error = wasmtime_module_serialize(module.raw(), &bytes)) {
    return Error(Code::kInternal, "cannot serialize the compiled module: " + take_error_message(error));
  }
  std::string out(bytes.data, bytes.size);
  wasm_byte_vec_delete(&bytes);
  return out;
}

// The first line of a child's stderr, for a message.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

// Waits until `pid` ends or `deadline` passes; true when it ended. Reaps
// nothing: the caller's waitpid() does.
bool wait_for_exit(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (pidfd.get() >= 0) {
      pollfd watch{pidfd.get(), POLLIN, 0};
      int ready = ::poll(&watch, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (ready > 0) return true;
      if (ready == 0) return false;
      if (errno != EINTR) return false;
      continue;
    }
    // No pidfd (a kernel before 5.3): look every few milliseconds.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      return true;
    }
    if (left.count() <= 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(5, left.count())));
  }
}

}  // namespace

Result<ModuleHandle> compile_unbounded(wasm_engine_t* engine, std::string_view wasm) {
  wasmtime_module_t* raw = nullptr;
  wasmtime_error_t* error = nullptr;
  bool looks_binary = wasm.size() >= 4 && wasm.substr(0, 4) == std::string_view("\0asm", 4);
  if (looks_binary) {
    error = wasmtime_module_new(engine, reinterpret_cast<const uint8_t*>(wasm.data()), wasm.size(), &raw);
  } else {
    wasm_byte_vec_t binary;
    error = wasmtime_wat2wasm(wasm.data(), wasm.size(), &binary);
    if (error != nullptr) {
      take_error_message(error);
      return Error(Code::kInvalidArgument, "not a WebAssembly module (no \\0asm header, and not valid WAT text)");
    }
    error = wasmtime_module_new(engine, reinterpret_cast<const uint8_t*>(binary.data), binary.size, &raw);
    wasm_byte_vec_delete(&binary);
  }
  if (error != nullptr) {
    return Error(Code::kInvalidArgument, "invalid WebAssembly module: " + take_error_message(error));
  }
  return ModuleHandle(raw);
}

Result<CompileOutput> ModuleCompiler::compile(std::string_view wasm) const {
  return limits_.helper.empty() ? compile_here(wasm) : compile_in_child(wasm);
}

Result<CompileOutput> ModuleCompiler::compile_here(std::string_view wasm) const {
  CompileOutput out;
  NAOS_ASSIGN_OR_RETURN(out.module, compile_unbounded(engine_.raw(), wasm));
  NAOS_ASSIGN_OR_RETURN(out.artifact, serialize(out.module));
  return out;
}

Result<CompileOutput> ModuleCompiler::compile_in_child(std::string_view wasm) const {
  Fd input(::memfd_create("naos-compile-in", MFD_CLOEXEC));
  Fd output(::memfd_create("naos-compile-out", MFD_CLOEXEC));
  Fd errors(::memfd_create("naos-compile-err", MFD_CLOEXEC));
  if (input.get() < 0 || output.get() < 0 || errors.get() < 0 || !write_all(input.get(), wasm) ||
      ::lseek(input.get(), 0, SEEK_SET) != 0) {
    return Error(Code::kUnavailable, std::string("cannot make the compile child's files: ") + std::strerror(errno));
  }
  // RLIMIT_CPU counts every thread: Cranelift may use each core for the
  // whole timeout. The wall-clock kill below is the real bound; this one
  // holds if naos itself is killed first.
  uint64_t cores = std::max(1u, std::thread::hardware_concurrency());
  uint64_t cpu_seconds = (static_cast<uint64_t>(limits_.timeout.count()) + 999) / 1000 * cores + 1;
  const EngineOptions& options = engine_.options();
  std::vector<std::string> args = {limits_.helper.string(),
                                   kCompileModuleCommand,
                                   std::to_string(options.max_stack_bytes),
                                   std::to_string(options.max_instances),
                                   std::to_string(options.max_memory_bytes),
                                   std::to_string(limits_.memory_bytes),
                                   std::to_string(cpu_seconds),
                                   std::to_string(::getpid())};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Few malloc arenas: each reserves 64 MiB of address space, which counts
  // against RLIMIT_AS. No backtraces: Wasmtime's capture costs time.
  std::string arenas = "MALLOC_ARENA_MAX=2", backtrace = "RUST_LIB_BACKTRACE=0";
  char* envp[] = {arenas.data(), backtrace.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, output.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, errors.get(), 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  auto started = std::chrono::steady_clock::now();
  int spawned = ::posix_spawn(&pid, limits_.helper.c_str(), &actions, &attributes, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return Error(Code::kUnavailable, "cannot start the compile child " + limits_.helper.string() + ": " +
                                         std::strerror(spawned));
  }
  bool ended = wait_for_exit(pid, started + limits_.timeout);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (!ended) {
    return Error(Code::kResourceExhausted,
                 "compiling the module took longer than compileTimeout (" + format_duration(limits_.timeout) + ")");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    CompileOutput out;
    out.artifact = read_all(output.get());
    wasmtime_module_t* raw = nullptr;
    if (wasmtime_error_t* error = wasmtime_module_deserialize(
            engine_.raw(), reinterpret_cast<const uint8_t*>(out.artifact.data()), out.artifact.size(), &raw)) {
      return Error(Code::kInternal, "the compile child's artifact does not load: " + take_error_message(error));
    }
    out.module = ModuleHandle(raw);
    return out;
  }
  std::string said = read_all(errors.get(), 64 * 1024);
  while (!said.empty() && said.back() == '\n') said.pop_back();
  // Wasmtime's whole message, as an in-process compile would give it.
  if (WIFEXITED(status) && WEXITSTATUS(status) == kInvalidModuleExit) return Error(Code::kInvalidArgument, said);
  said = first_line(said);
  if (WIFEXITED(status)) {
    return Error(Code::kInternal, "the compile child failed (exit status " + std::to_string(WEXITSTATUS(status)) +
                                      (said.empty() ? std::string(")") : "): " + said));
  }
  // Killed by a limit: RLIMIT_CPU (SIGXCPU, then SIGKILL), or an allocation
  // refused under RLIMIT_AS (Rust and C++ abort).
  int signal = WTERMSIG(status);
  std::string why = signal == SIGXCPU || signal == SIGKILL
                        ? "used more CPU time than compileTimeout allows"
                        : "needed more memory than compileMemory (" + format_size(limits_.memory_bytes) + ")";
  return Error(Code::kResourceExhausted, "compiling the module " + why + " (the compiler ended with signal " +
                                             std::to_string(signal) + (said.empty() ? ")" : ": " + said + ")"));
}

int compile_module_child(const EngineOptions& options, uint64_t memory_bytes, uint64_t cpu_seconds,
                         int64_t parent_pid) {
  // Bounded before anything of the module is read.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(parent_pid)) return 1;  // the parent is gone already
  rlimit memory{memory_bytes, memory_bytes};
  rlimit cpu{cpu_seconds, cpu_seconds + 1};
  bool limited = ::setrlimit(RLIMIT_CPU, &cpu) == 0;
  if (kCanLimitAddressSpace) {
    limited = limited && ::setrlimit(RLIMIT_AS, &memory) == 0 && ::setrlimit(RLIMIT_DATA, &memory) == 0;
  }
  if (!limited) {
    std::string message = std::string("cannot limit the compile: ") + std::strerror(errno) + "\n";
    write_all(2, message);
    return 1;
  }
  std::string wasm = read_all(0);
  auto engine = Engine::create_compile_only(options);
  if (!engine) {
    write_all(2, engine.error().message() + "\n");
    return 1;
  }
  auto module = compile_unbounded(engine->raw(), wasm);
  if (!module) {
    write_all(2, module.error().message() + "\n");
    return kInvalidModuleExit;
  }
  auto artifact = serialize(*module);
  if (!artifact || !write_all(1, *artifact)) {
    write_all(2, artifact ? std::string("cannot write the artifact\n") : artifact.error().message() + "\n");
    return 1;
  }
  return 0;
}

}  // namespace naos::sandbox
