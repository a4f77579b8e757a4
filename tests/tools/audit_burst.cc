// audit_burst DB KEY THREADS EVENTS_PER_THREAD
// Appends events from several threads and prints "THREAD INDEX SEQ" for each
// one as soon as AuditLog acknowledges it. tests/audit_crash_test.cc kills it
// with SIGKILL mid-burst and checks that every printed event survived.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "governance/audit_log.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: audit_burst DB KEY THREADS EVENTS_PER_THREAD\n");
    return 2;
  }
  naos::SystemClock clock;
  auto log = naos::governance::AuditLog::open(argv[1], argv[2], clock);
  if (!log) {
    std::fprintf(stderr, "audit_burst: %s\n", log.error().to_string().c_str());
    return 1;
  }
  int threads = std::stoi(argv[3]), events = std::stoi(argv[4]);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < events; ++i) {
        auto seq = (*log)->append({"burst", "agent-" + std::to_string(t), "agent.started",
                                   {{"id", std::to_string(t) + "-" + std::to_string(i)}}});
        if (!seq) _exit(1);
        // One write(2) per line: lines from different threads never interleave.
        std::string line = std::to_string(t) + " " + std::to_string(i) + " " + std::to_string(*seq) + "\n";
        if (::write(1, line.data(), line.size()) < 0) _exit(1);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return 0;
}
