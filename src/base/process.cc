#include "base/process.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace naos {

namespace {

struct ProcessStat {
  bool readable = false;
  char state = '?';
  int64_t start_ticks = 0;
};

// /proc/PID/stat: "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so the fields are counted from the last ')'.
ProcessStat read_stat(int64_t pid) {
  ProcessStat out;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return out;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return out;
  out.readable = true;
  out.state = line[close + 2];
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // After ')' come fields 3 (state) onwards; starttime is field 22.
  for (int number = 3; number <= 22 && (fields >> field); ++number) {
    if (number == 22) out.start_ticks = std::strtoll(field.c_str(), nullptr, 10);
  }
  return out;
}

}  // namespace

ProcessIdentity this_process() {
  // Atomics rather than a mutex: a child forked while another thread held
  // a mutex would find it locked forever. Two threads filling the cache at
  // once store the same values.
  static std::atomic<int64_t> cached_pid{0}, cached_start{0};
  const int64_t pid = ::getpid();
  if (cached_pid.load(std::memory_order_acquire) != pid) {
    cached_start.store(read_stat(pid).start_ticks, std::memory_order_relaxed);
    cached_pid.store(pid, std::memory_order_release);
  }
  return {pid, cached_start.load(std::memory_order_relaxed)};
}

bool process_alive(int64_t pid) { return process_alive(ProcessIdentity{pid, 0}); }

bool process_alive(const ProcessIdentity& process) {
  if (process.pid <= 0) return false;
  if (process == this_process()) return true;
  if (::kill(static_cast<pid_t>(process.pid), 0) != 0 && errno != EPERM) return false;
  ProcessStat stat = read_stat(process.pid);
  // Without /proc there is only kill(0) to go by.
  if (!stat.readable) return true;
  if (stat.state == 'Z' || stat.state == 'X') return false;
  return process.start_ticks == 0 || stat.start_ticks == 0 || stat.start_ticks == process.start_ticks;
}

}  // namespace naos
