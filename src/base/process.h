// Processes on this host, as owners of durable state: a run's driver, a
// supervisor tree, a budget reservation. State owned by a process that is no
// longer alive is orphaned, and whoever finds it may take it over.
#pragma once

#include <cstdint>

namespace naos {

// A process, named so that a pid the kernel has handed to a newer process
// is a different process: `start_ticks` is its start time in clock ticks
// since boot (field 22 of /proc/PID/stat), 0 when unknown.
struct ProcessIdentity {
  int64_t pid = 0;
  int64_t start_ticks = 0;
  bool operator==(const ProcessIdentity&) const = default;
};

// This process. Its start time is read once per pid, so a forked child is
// itself, not its parent.
ProcessIdentity this_process();

// Whether `pid` is a running process: it exists and is not a zombie (exited,
// not yet reaped by its parent, so running nothing). This process is alive.
bool process_alive(int64_t pid);
// The same, and it is still the process that had the pid at `start_ticks`
// (when known): a dead owner's reused pid does not keep its state alive.
bool process_alive(const ProcessIdentity& process);

}  // namespace naos
