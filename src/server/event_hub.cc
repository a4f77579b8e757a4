#include "server/event_hub.h"

#include <algorithm>
#include <vector>

#include "base/bytes_json.h"
#include "governance/audit_log.h"
#include "views/audit.h"

namespace naos::server {
namespace {

std::string message(const governance::AuditEvent& event) {
  return "id: " + std::to_string(event.seq) + "\nevent: audit\ndata: " +
         dump_lossless(views::audit_event_json(event)) + "\n\n";
}

}  // namespace

Result<std::unique_ptr<EventHub>> EventHub::start(const std::filesystem::path& database_file) {
  NAOS_ASSIGN_OR_RETURN(auto poll_db, store::Database::open(database_file));
  NAOS_ASSIGN_OR_RETURN(auto catch_up_db, store::Database::open(database_file));
  NAOS_ASSIGN_OR_RETURN(auto newest, governance::query_audit(*poll_db, {.last = 1}));
  int64_t start = newest.empty() ? 0 : newest.back().seq;
  return std::unique_ptr<EventHub>(new EventHub(std::move(poll_db), std::move(catch_up_db), start));
}

EventHub::EventHub(std::unique_ptr<store::Database> poll_db, std::unique_ptr<store::Database> catch_up_db,
                   int64_t start)
    : poll_db_(std::move(poll_db)), catch_up_db_(std::move(catch_up_db)), covered_after_(start), newest_(start) {
  poller_ = std::thread([this] { poll(); });
}

EventHub::~EventHub() {
  stop();
  if (poller_.joinable()) poller_.join();
}

void EventHub::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

bool EventHub::stopped() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

int64_t EventHub::newest() const {
  std::lock_guard lock(mutex_);
  return newest_;
}

void EventHub::poll() {
  int64_t after = newest();
  bool more = false;  // the last read was a full batch: read again at once
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (!more && changed_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; })) return;
      if (stopping_) return;
    }
    auto events = governance::query_audit(*poll_db_, {.after_seq = after, .first = kBatch});
    // A database busy for longer than its timeout: the next tick tries again.
    more = events && static_cast<int64_t>(events->size()) == kBatch;
    if (!events || events->empty()) continue;
    std::vector<std::pair<int64_t, std::string>> fresh;
    fresh.reserve(events->size());
    for (const auto& event : *events) fresh.emplace_back(event.seq, message(event));
    {
      std::lock_guard lock(mutex_);
      for (auto& item : fresh) window_.push_back(std::move(item));
      newest_ = after = events->back().seq;
      while (window_.size() > kWindow) {
        covered_after_ = window_.front().first;
        window_.pop_front();
      }
    }
    changed_.notify_all();
  }
}

Result<std::string> EventHub::next(int64_t& after, std::chrono::milliseconds wait) {
  {
    std::unique_lock lock(mutex_);
    if (after >= covered_after_) {
      changed_.wait_for(lock, wait, [&] { return stopping_ || newest_ > after; });
      if (stopping_ || newest_ <= after) return std::string();
      auto it = std::upper_bound(window_.begin(), window_.end(), after,
                                 [](int64_t seq, const auto& item) { return seq < item.first; });
      std::string out;
      for (int64_t n = 0; it != window_.end() && n < kBatch; ++it, ++n) {
        out += it->second;
        after = it->first;
      }
      return out;
    }
  }
  return catch_up(after);
}

Result<std::string> EventHub::catch_up(int64_t& after) {
  int64_t covered;
  {
    std::lock_guard lock(mutex_);
    covered = covered_after_;
  }
  std::lock_guard lock(catch_up_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto events, governance::query_audit(*catch_up_db_, {.after_seq = after, .first = kBatch}));
  std::string out;
  for (const auto& event : events) {
    out += message(event);
    after = event.seq;
  }
  // Nothing between `after` and the window (a log the retention trimmed):
  // the window is next.
  if (events.empty()) after = std::max(after, covered);
  return out;
}

}  // namespace naos::server
