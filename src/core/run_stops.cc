#include "core/run_stops.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace naos {
namespace {

std::filesystem::path request_file(const std::filesystem::path& dir, const std::string& agent) {
  return dir / (agent + ".json");
}

// Agent names are checked when agents are made; a name that could leave the
// folder gets no request file rather than a surprising one.
bool usable_name(const std::string& agent) {
  return !agent.empty() && agent.find('/') == std::string::npos && agent != "." && agent != "..";
}

}  // namespace

int64_t stop_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status write_stop_request(const std::filesystem::path& dir, const StopRequest& request) {
  if (!usable_name(request.agent)) return Error(Code::kInvalidArgument, "not an agent name", request.agent);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Code::kUnavailable, "cannot make the stop request folder: " + ec.message(), dir.string());
  nlohmann::json body = {{"agent", request.agent},
                         {"requested_ms", request.requested_ms},
                         {"by_pid", request.by_pid},
                         {"no_restart", request.no_restart},
                         {"reason", request.reason}};
  auto file = request_file(dir, request.agent);
  auto temporary = file;
  temporary += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << body.dump();
    if (!out.flush()) return Error(Code::kUnavailable, "cannot write the stop request", temporary.string());
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return Error(Code::kUnavailable, "cannot write the stop request", file.string());
  }
  return ok();
}

std::optional<StopRequest> read_stop_request(const std::filesystem::path& dir, const std::string& agent) {
  if (!usable_name(agent)) return std::nullopt;
  std::ifstream in(request_file(dir, agent), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto body = nlohmann::json::parse(text.str(), nullptr, false);
  if (!body.is_object()) return std::nullopt;
  StopRequest request;
  request.agent = agent;
  request.requested_ms = body.value("requested_ms", int64_t{0});
  request.by_pid = body.value("by_pid", int64_t{0});
  request.no_restart = body.value("no_restart", false);
  request.reason = body.value("reason", "");
  return request;
}

void remove_stop_request(const std::filesystem::path& dir, const std::string& agent) {
  if (!usable_name(agent)) return;
  std::error_code ec;
  std::filesystem::remove(request_file(dir, agent), ec);
}

// ---- RunStops ---------------------------------------------------------------------

RunStops::RunStops(std::filesystem::path dir) : dir_(std::move(dir)) {}

RunStops::~RunStops() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RunStops::set_interrupt(const std::atomic<bool>* interrupt) {
  std::lock_guard lock(mutex_);
  interrupt_ = interrupt;
}

RunStops::Watch::Watch(RunStops& owner, std::string agent, const std::atomic<bool>* cancel)
    : owner_(owner), agent_(std::move(agent)), cancel_(cancel), started_ms_(stop_clock_ms()) {}

RunStops::Watch::~Watch() {
  std::lock_guard lock(owner_.mutex_);
  owner_.watches_.erase(this);
}

RunStops::Why RunStops::Watch::why() const {
  std::lock_guard lock(owner_.mutex_);
  return why_;
}

std::optional<StopRequest> RunStops::Watch::request() const {
  std::lock_guard lock(owner_.mutex_);
  return request_;
}

std::unique_ptr<RunStops::Watch> RunStops::watch(std::string agent, const std::atomic<bool>* cancel) {
  std::unique_ptr<Watch> watch(new Watch(*this, std::move(agent), cancel));
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = watches_.empty();
    watches_.insert(watch.get());
    if (!thread_.joinable()) thread_ = std::thread([this] { watch_loop(); });
  }
  // Only an idle watcher sleeps until told; a busy one looks again within kFlagPoll.
  if (was_idle) changed_.notify_all();
  return watch;
}

void RunStops::raise(Watch& watch, Why why, std::optional<StopRequest> request) {
  watch.why_ = why;
  watch.request_ = std::move(request);
  watch.flag_.store(true);
}

void RunStops::watch_loop() {
  std::unique_lock lock(mutex_);
  auto next_scan = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (watches_.empty()) {
      changed_.wait(lock);
      continue;
    }
    for (Watch* watch : watches_) {
      if (watch->flag_.load(std::memory_order_relaxed)) continue;
      if (interrupt_ != nullptr && interrupt_->load()) {
        raise(*watch, Why::kInterrupt, std::nullopt);
      } else if (watch->cancel_ != nullptr && watch->cancel_->load()) {
        raise(*watch, Why::kCaller, std::nullopt);
      }
    }
    if (!dir_.empty() && std::chrono::steady_clock::now() >= next_scan) {
      next_scan = std::chrono::steady_clock::now() + kRequestPoll;
      // Read the files without the lock: a run may start or end meanwhile.
      std::map<std::string, int64_t> oldest;  // agent -> its oldest watched run's start
      for (Watch* watch : watches_) {
        if (watch->flag_.load(std::memory_order_relaxed)) continue;
        auto [at, fresh] = oldest.emplace(watch->agent_, watch->started_ms_);
        if (!fresh) at->second = std::min(at->second, watch->started_ms_);
      }
      lock.unlock();
      std::vector<StopRequest> requests;
      std::error_code ec;
      if (!oldest.empty() && std::filesystem::exists(dir_, ec)) {
        for (const auto& [agent, started_ms] : oldest) {
          auto request = read_stop_request(dir_, agent);
          if (request && request->requested_ms >= started_ms) requests.push_back(std::move(*request));
        }
      }
      lock.lock();
      for (const auto& request : requests) {
        for (Watch* watch : watches_) {
          if (watch->agent_ != request.agent || watch->flag_.load(std::memory_order_relaxed)) continue;
          if (request.requested_ms >= watch->started_ms_) raise(*watch, Why::kStopRequest, request);
        }
      }
    }
    changed_.wait_for(lock, kFlagPoll);
  }
}

}  // namespace naos
