#include "test_support.h"
#include "test_env.h"

#include "core/naos.h"
#include "project/project.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace naos::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "naos-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

// Before main(): a test binary run by hand must not write evidence into the
// home of whoever runs it.
[[maybe_unused]] const bool kStateDirSet = [] {
  const char* set = std::getenv("NAOS_STATE_DIR");
  if (set == nullptr || *set == '\0') {
    auto dir = std::filesystem::temp_directory_path() / ("naos-test-state-" + std::to_string(getuid()));
    setenv("NAOS_STATE_DIR", dir.c_str(), 1);
  }
  return true;
}();

}  // namespace

std::filesystem::path state_dir() { return std::getenv("NAOS_STATE_DIR"); }

std::function<std::optional<std::string>(const std::string&)> env_lookup(std::map<std::string, std::string> vars) {
  vars.emplace("NAOS_STATE_DIR", state_dir().string());
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
}

Result<std::unique_ptr<Naos>> open_project(const std::filesystem::path& dir, const std::string& config, Clock& clock,
                                           std::map<std::string, std::string> env) {
  write_file(dir / "nexus.config.yaml", config);
  std::filesystem::create_directories(dir / "data");
  NAOS_ASSIGN_OR_RETURN(project::Project project, project::Project::open(dir));
  return Naos::open(std::move(project), clock, env_lookup(std::move(env)));
}

std::filesystem::path agent_path(const std::string& name) {
  return std::filesystem::path(NAOS_AGENT_DIR) / (name + ".wasm");
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

LocalHttpServer::LocalHttpServer() = default;

void LocalHttpServer::start() {
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LocalHttpServer::~LocalHttpServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

CommandResult run_naos(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                       const std::string& input, const std::map<std::string, std::string>& env) {
  // stdout and stderr go to files so a large output cannot deadlock the pipes.
  TempDir scratch;
  auto out_file = scratch.path() / "out", err_file = scratch.path() / "err", in_file = scratch.path() / "in";
  write_file(in_file, input);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    int in = open(in_file.c_str(), O_RDONLY);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = NAOS_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copies = args;
    for (auto& arg : copies) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return;
  std::vector<std::string> copies = argv;
  std::vector<char*> args;
  for (auto& arg : copies) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  in_ = in[1];
  out_ = out[0];
}

ChildProcess::~ChildProcess() {
  close_input();
  if (out_ >= 0) close(out_);
  if (pid_ > 0) {
    kill();
    wait();
  }
}

std::string ChildProcess::read_line() {
  char chunk[256];
  while (buffered_.find('\n') == std::string::npos) {
    ssize_t n = out_ < 0 ? 0 : read(out_, chunk, sizeof chunk);
    if (n <= 0) break;
    buffered_.append(chunk, static_cast<size_t>(n));
  }
  auto end = buffered_.find('\n');
  std::string line = buffered_.substr(0, end);
  buffered_.erase(0, end == std::string::npos ? std::string::npos : end + 1);
  return line;
}

void ChildProcess::close_input() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

void ChildProcess::kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

int ChildProcess::wait() {
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_) pid_ = -1;
  return status;
}

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

bool poll_until(const std::function<bool()>& reached, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!reached()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace naos::testing
