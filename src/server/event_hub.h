// EventHub — the audit log as a stream for many readers at once
// (GET /api/v1/events).
//
// One thread reads the events appended to the log (by any process) every
// 20 ms and formats each as a Server-Sent Events message once; readers take
// messages from its window of the newest kWindow events, so a hundred
// clients cost one query and one JSON encoding per event, not a hundred. A
// reader further behind than the window (it resumed from an old id) reads
// the log itself, kBatch events at a time, until it reaches the window.
//
// A message is `id: SEQ\nevent: audit\ndata: JSON\n\n`, JSON as
// views::audit_event_json: the id is the event's seq, so a client that
// resumes with Last-Event-ID continues exactly after what it saw.
//
// Ownership: owns its thread and two connections to the project's database
// (the poller's, and one the readers that catch up share).
// Threading: next() from any number of threads; stop() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "base/result.h"
#include "store/database.h"

namespace naos::server {

class EventHub {
 public:
  static constexpr size_t kWindow = 16384;
  static constexpr int64_t kBatch = 1000;

  // Starts reading after the newest event now in the log.
  static Result<std::unique_ptr<EventHub>> start(const std::filesystem::path& database_file);
  ~EventHub();  // stop(), then joins the thread
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The seq of the newest event the hub has read.
  int64_t newest() const;

  // The messages of the events after `after` (at most kBatch), advancing
  // `after` past them; waits up to `wait` for one when there is none yet.
  // Empty when `wait` passed with nothing new, or the hub stopped.
  // Errors: the database's (a reader catching up).
  Result<std::string> next(int64_t& after, std::chrono::milliseconds wait);

  void stop();
  bool stopped() const;

 private:
  EventHub(std::unique_ptr<store::Database> poll_db, std::unique_ptr<store::Database> catch_up_db, int64_t start);
  void poll();
  Result<std::string> catch_up(int64_t& after);

  std::unique_ptr<store::Database> poll_db_;  // the poller's thread only

  std::mutex catch_up_mutex_;
  std::unique_ptr<store::Database> catch_up_db_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Every event with seq > covered_after_ that the hub has read, oldest first.
  std::deque<std::pair<int64_t, std::string>> window_;
  int64_t covered_after_ = 0;
  int64_t newest_ = 0;
  bool stopping_ = false;

  std::thread poller_;
};

}  // namespace naos::server
