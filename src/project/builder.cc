#include "project/builder.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/sha256.h"
#include "project/templates.h"

extern char** environ;

namespace naos::project {
namespace {

constexpr const char* kClangPackages = "apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32";
constexpr const char* kGoAdvice =
    "Go >= 1.21 is needed for GOOS=wasip1 (Debian 12's golang-go is too old); install it from "
    "https://go.dev/dl and put its bin/ on PATH";
// Compiler output kept in an error or result; the first errors matter most.
constexpr size_t kMaxToolOutput = 64 * 1024;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string env_value(const std::vector<std::string>& environment, std::string_view name) {
  for (const auto& entry : environment) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return "";
}

// `environment` with each "NAME=value" of `overrides` replacing its NAME.
std::vector<std::string> with_overrides(std::vector<std::string> environment,
                                        const std::vector<std::string>& overrides) {
  for (const auto& override : overrides) {
    auto name = override.substr(0, override.find('=') + 1);
    std::erase_if(environment, [&name](const std::string& entry) { return entry.starts_with(name); });
    environment.push_back(override);
  }
  return environment;
}

std::filesystem::path find_executable(std::string_view path_list, std::string_view name) {
  size_t at = 0;
  while (at <= path_list.size()) {
    size_t colon = path_list.find(':', at);
    if (colon == std::string_view::npos) colon = path_list.size();
    std::string dir(path_list.substr(at, colon - at));
    at = colon + 1;
    if (dir.empty()) continue;  // an empty entry means ".", which a build tool should not come from
    auto candidate = std::filesystem::path(dir) / std::string(name);
    std::error_code ec;
    // Absolute, since the tools run in the agent's folder.
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return std::filesystem::absolute(candidate, ec);
    }
  }
  return {};
}

struct ToolRun {
  int exit_status = -1;
  std::string output;  // stdout and stderr, interleaved, at most kMaxToolOutput bytes
};

// Runs argv[0] (a path) in `cwd` with stdin from /dev/null; stdout and stderr
// are captured together.
// TODO(security): no time limit; a hung compiler hangs `naos build`.
Result<ToolRun> run_tool(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                         const std::vector<std::string>& environment) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error(Code::kUnavailable, std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args, envp;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Error(Code::kUnavailable, "cannot run " + argv[0] + ": " + std::strerror(rc), cwd.string());
  }
  ToolRun run;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size_t room = kMaxToolOutput - std::min(kMaxToolOutput, run.output.size());
    run.output.append(buf, std::min(static_cast<size_t>(n), room));
  }
  ::close(fds[0]);
  if (run.output.size() >= kMaxToolOutput) run.output += "\n[... output cut at 64 KiB]";
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error(Code::kInternal, std::string("waitpid: ") + std::strerror(errno));
  }
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

Result<std::string> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "cannot read the file", file.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

bool is_wasm(std::string_view bytes) { return bytes.size() >= 8 && bytes.substr(0, 4) == std::string_view("\0asm", 4); }

// A folder under the system's temporary folder, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "naos-build-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Removes the compiler's temporary output unless it was renamed into place.
class TemporaryOutput {
 public:
  explicit TemporaryOutput(std::filesystem::path path) : path_(std::move(path)) {}
  ~TemporaryOutput() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TemporaryOutput(const TemporaryOutput&) = delete;
  TemporaryOutput& operator=(const TemporaryOutput&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> c_sources(const std::filesystem::path& agent_dir) {
  std::vector<std::string> sources;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(agent_dir, ec)) {
    if (entry.path().extension() == ".c" && entry.is_regular_file(ec)) sources.push_back(entry.path().filename());
  }
  std::sort(sources.begin(), sources.end());
  return sources;
}

// clang's output names a missing wasm32-wasi piece: say which packages bring it.
std::string clang_hint(std::string_view output) {
  for (std::string_view sign : {"wasm-ld", "libclang_rt", "wasi-sysroot", "stdio.h' file not found",
                                "stdlib.h' file not found", "string.h' file not found", "crt1"}) {
    if (output.find(sign) != std::string_view::npos) {
      return std::string("\n(this clang cannot build wasm32-wasi programs; on Debian: ") + kClangPackages + ")";
    }
  }
  return "";
}

Status check_go_version(const BuildTools& tools, const std::filesystem::path& agent_dir) {
  auto env = with_overrides(tools.environment, {"GOTOOLCHAIN=local"});
  NAOS_ASSIGN_OR_RETURN(ToolRun run, run_tool({tools.go.string(), "env", "GOVERSION"}, agent_dir, env));
  if (run.exit_status != 0) {
    return Error(Code::kFailedPrecondition, tools.go.string() + " env GOVERSION failed:\n" + run.output);
  }
  // "go1.22.3"; a development build ("devel go1.23-...") is let through.
  auto at = run.output.find("go1.");
  if (at == std::string::npos) return ok();
  int minor = std::atoi(run.output.c_str() + at + 4);
  if (minor < 21) {
    std::string version(run.output.substr(0, run.output.find_first_of("\r\n")));
    return Error(Code::kFailedPrecondition, tools.go.string() + " is " + version + "; " + kGoAdvice);
  }
  return ok();
}

}  // namespace

BuildTools BuildTools::find(std::vector<std::string> environment) {
  BuildTools tools;
  std::string path = env_value(environment, "PATH");
  for (const char* name : {"clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14"}) {
    tools.clang = find_executable(path, name);
    if (!tools.clang.empty()) break;
  }
  tools.go = find_executable(path + ":/usr/local/go/bin", "go");
  tools.environment = std::move(environment);
  return tools;
}

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) out.emplace_back(*entry);
  return out;
}

std::string_view source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::kC: return "c";
    case SourceKind::kGo: return "go";
    case SourceKind::kWasm: return "wasm";
  }
  return "?";
}

Result<SourceKind> detect_sources(const std::filesystem::path& agent_dir, std::string_view name) {
  if (!valid_name(name)) {
    return Error(Code::kInvalidArgument,
                 "an agent name is 1-64 letters, digits, '-' or '_', starting with a letter or digit",
                 std::string(name));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(agent_dir, ec)) {
    return Error(Code::kNotFound, "no agent folder", agent_dir.string());
  }
  bool go = std::filesystem::is_regular_file(agent_dir / "go.mod", ec);
  bool c = !c_sources(agent_dir).empty();
  if (go && c) {
    return Error(Code::kInvalidArgument,
                 "the folder has both go.mod and .c files; Go agents cannot use cgo (GOOS=wasip1), so keep one",
                 agent_dir.string());
  }
  if (go) return SourceKind::kGo;
  if (c) return SourceKind::kC;
  if (std::filesystem::is_regular_file(agent_dir / (std::string(name) + ".wasm"), ec)) return SourceKind::kWasm;
  return Error(Code::kNotFound,
               "no sources (*.c, or go.mod) and no " + std::string(name) + ".wasm in the agent folder",
               agent_dir.string());
}

Result<BuildResult> build_agent(const std::filesystem::path& agent_dir, std::string_view name,
                                const BuildTools& tools) {
  auto started = std::chrono::steady_clock::now();
  NAOS_ASSIGN_OR_RETURN(SourceKind kind, detect_sources(agent_dir, name));
  BuildResult result;
  result.name = std::string(name);
  result.kind = kind;
  result.module_file = agent_dir / (result.name + ".wasm");
  auto finish = [&](std::string bytes) -> Result<BuildResult> {
    result.module_hash = sha256_hex(bytes);
    result.module_bytes = bytes.size();
    result.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return result;
  };

  if (kind == SourceKind::kWasm) {
    NAOS_ASSIGN_OR_RETURN(std::string bytes, read_bytes(result.module_file));
    if (!is_wasm(bytes)) {
      return Error(Code::kInvalidArgument, "not a WebAssembly module (no \\0asm header)", result.module_file.string());
    }
    return finish(std::move(bytes));
  }

  std::error_code ec;
  auto absolute_dir = std::filesystem::absolute(agent_dir, ec);
  TemporaryOutput output(absolute_dir / ("." + result.name + ".wasm." + std::to_string(::getpid()) + ".tmp"));
  std::vector<std::string> argv;
  std::vector<std::string> environment = tools.environment;
  std::optional<ScratchDir> sdk;  // for a C agent without its own nexus.h
  std::string tool_name;

  if (kind == SourceKind::kC) {
    if (tools.clang.empty()) {
      return Error(Code::kFailedPrecondition,
                   std::string("clang not found on PATH; it builds C agents for wasm32-wasi. On Debian: ") +
                       kClangPackages,
                   result.name);
    }
    tool_name = "clang";
    argv = {tools.clang.string(), "--target=wasm32-wasi", "-O2", "-Wall", "-Wl,--strip-debug"};
    if (!std::filesystem::exists(absolute_dir / "nexus.h", ec)) {
      auto header = std::find_if(embedded_sdk_files().begin(), embedded_sdk_files().end(),
                                 [](const EmbeddedFile& f) { return f.path == "c/nexus.h"; });
      sdk.emplace();
      if (sdk->path().empty() || header == embedded_sdk_files().end()) {
        return Error(Code::kUnavailable, "cannot prepare the SDK header for the build", result.name);
      }
      std::ofstream out(sdk->path() / "nexus.h", std::ios::binary);
      out.write(header->bytes.data(), static_cast<std::streamsize>(header->bytes.size()));
      out.close();
      if (!out) return Error(Code::kUnavailable, "cannot write the SDK header", sdk->path().string());
      argv.push_back("-I" + sdk->path().string());
    }
    for (auto& source : c_sources(absolute_dir)) argv.push_back(std::move(source));
    argv.insert(argv.end(), {"-o", output.path().string()});
  } else {
    if (tools.go.empty()) {
      return Error(Code::kFailedPrecondition, std::string("go not found on PATH; ") + kGoAdvice, result.name);
    }
    NAOS_TRY(check_go_version(tools, absolute_dir));
    tool_name = "go build";
    argv = {tools.go.string(), "build", "-o", output.path().string(), "."};
    environment = with_overrides(std::move(environment),
                                 {"GOOS=wasip1", "GOARCH=wasm", "GOTOOLCHAIN=local",
                                  "GOFLAGS=-trimpath -buildvcs=false", "GOWORK=off"});
  }

  NAOS_ASSIGN_OR_RETURN(ToolRun run, run_tool(argv, absolute_dir, environment));
  if (run.exit_status != 0) {
    std::string message = tool_name + " failed (exit status " + std::to_string(run.exit_status) + "):\n" + run.output;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (kind == SourceKind::kC) message += clang_hint(run.output);
    return Error(Code::kInvalidArgument, message, agent_dir.string());
  }
  auto bytes = read_bytes(output.path());
  if (!bytes || !is_wasm(*bytes)) {
    return Error(Code::kInternal, tool_name + " succeeded but wrote no WebAssembly module", output.path().string());
  }
  std::filesystem::rename(output.path(), result.module_file, ec);
  if (ec) return Error(Code::kUnavailable, "cannot move the module into place: " + ec.message(), result.module_file.string());
  result.compiled = true;
  result.compiler_output = std::move(run.output);
  return finish(std::move(*bytes));
}

}  // namespace naos::project
