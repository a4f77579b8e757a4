// ApiMetrics — GET /metrics in the Prometheus text format (version 0.0.4).
//
// Counted here, since this server started: the runs it started or resumed,
// by kind and how they ended, and their durations as a histogram. Read when
// scraped: agents by lifecycle status, audit events in the log, and per
// cost target the spending in the budget's current period, all time, and
// what its budget has left. Money stays integer: micro-cents, as the ledger
// keeps it (1 cent = 1,000,000).
//
// Threading: run_ended() and render() from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/naos.h"

namespace naos::server {

class ApiMetrics {
 public:
  // A run this server drove ended in `state` after `seconds`.
  void run_ended(const std::string& kind, const std::string& state, double seconds);

  // The exposition text. `audit_events`: the newest seq in the log;
  // `runs_in_flight`: runs this server is driving now.
  std::string render(Naos& naos, int64_t audit_events, int64_t runs_in_flight) const;

  // The histogram's upper bounds, in seconds (then +Inf).
  static const std::vector<double>& buckets();

 private:
  struct Durations {
    std::vector<uint64_t> counts;  // one per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, uint64_t> runs_;  // (kind, state) -> count
  std::map<std::string, Durations> durations_;                    // by kind
};

}  // namespace naos::server
