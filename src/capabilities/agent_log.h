// AgentLog — an agent's log: its stderr lines and nexus.log calls, appended
// to `data/logs/<agent>.log` as `<ISO time> <level> <line>`, one line each.
// An optional echo (the CLI's stderr) sees every line too.
//
// Threading: safe from any thread (one mutex). The file is opened at the
// first line. Lines are flushed as written, so a crash loses at most the line
// being written.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string_view>

#include "base/clock.h"
#include "sandbox/agent_calls.h"

namespace naos::capabilities {

class AgentLog {
 public:
  using Echo = std::function<void(sandbox::LogLevel, std::string_view)>;

  // `file` empty: keep nothing on disk (a run outside a project).
  AgentLog(std::filesystem::path file, Clock& clock, Echo echo = nullptr);

  void write(sandbox::LogLevel level, std::string_view line);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  Clock& clock_;
  Echo echo_;
  std::mutex mutex_;
  bool opened_ = false;
  std::ofstream out_;
};

}  // namespace naos::capabilities
