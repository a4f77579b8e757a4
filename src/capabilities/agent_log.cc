#include "capabilities/agent_log.h"

#include "base/printable.h"

namespace naos::capabilities {

AgentLog::AgentLog(std::filesystem::path file, Clock& clock, Echo echo)
    : file_(std::move(file)), clock_(clock), echo_(std::move(echo)) {}

void AgentLog::write(sandbox::LogLevel level, std::string_view raw) {
  // The sandbox hands over printable lines already; this keeps the file's
  // one-event-per-line format true for any other writer (escaping twice
  // changes nothing).
  std::string line = printable(raw);
  std::lock_guard lock(mutex_);
  if (!opened_ && !file_.empty()) {
    // Opened at the first line: most runs of a busy agent log nothing, and
    // the folder check, open and close were a tenth of a short run's syscalls.
    opened_ = true;
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    out_.open(file_, std::ios::app | std::ios::binary);
  }
  if (out_.is_open()) {
    out_ << format_utc_ms(clock_.now_ms()) << ' ' << sandbox::log_level_name(level) << ' ' << line << '\n';
    out_.flush();
  }
  if (echo_) echo_(level, line);
}

}  // namespace naos::capabilities
