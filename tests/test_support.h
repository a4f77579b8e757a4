// Shared helpers for the integration tests: temporary projects, the agents
// built from tests/agents and examples/agents, a real HTTP server on
// 127.0.0.1, and running the real `naos` binary.
#pragma once

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"

namespace naos::testing {

// A folder under /tmp removed (with its contents) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The path of an agent built by the build (${NAOS_AGENT_DIR}/<name>.wasm).
std::filesystem::path agent_path(const std::string& name);
std::string read_file(const std::filesystem::path& file);
void write_file(const std::filesystem::path& file, const std::string& text);

// An HTTP server on 127.0.0.1 with an ephemeral port, running on its own thread.
class LocalHttpServer {
 public:
  LocalHttpServer();
  ~LocalHttpServer();
  httplib::Server& server() { return server_; }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  // Starts serving; call after registering handlers.
  void start();

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

// Runs the real naos binary with `args` in `cwd`; stdin is `input`.
CommandResult run_naos(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                       const std::string& input = "", const std::map<std::string, std::string>& env = {});

// A helper process a test starts, with pipes for its stdin and stdout
// (stderr is inherited). Killed (SIGKILL) and reaped on destruction if it
// is still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  // The next line of its stdout without the newline; empty at the end.
  std::string read_line();
  // Closes its stdin: a child reading it sees the end.
  void close_input();
  // Sends SIGKILL, leaving the process a zombie until wait().
  void kill();
  // Waits for it to end; its wait status.
  int wait();

 private:
  int pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffered_;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t now_ms() override { return now_ms_; }
  void advance(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
};

// Resident set size of this process, in bytes.
uint64_t resident_bytes();

// Polls `reached` every few milliseconds until it holds or `limit` passes;
// whether it held. Tests wait for states with this, never for a fixed delay.
bool poll_until(const std::function<bool()>& reached, std::chrono::milliseconds limit);

}  // namespace naos::testing
