// RunStops — how a stop reaches a run, wherever the run is.
//
// Every run of Naos::run is watched while it lasts. The flag the sandbox
// checks (RunRequest::cancel, on every epoch tick and while the guest
// sleeps) becomes true when
//   - the run's caller's own cancel flag does (a workflow or pool stopping, a
//     supervisor stopping a child): Why::kCaller;
//   - this process is interrupted (Ctrl-C, SIGTERM; Naos::set_interrupt):
//     Why::kInterrupt;
//   - a stop request for the run's agent appears that was made at or after
//     the run started (`naos stop NAME`, from any process): Why::kStopRequest.
// One thread per RunStops watches, and only while some run is watched: it
// checks the flags every kFlagPoll and the stop requests every
// kRequestPoll, so a stop from another process ends a run within about
// kRequestPoll plus an epoch tick.
//
// A stop request is the file data/stops/<agent>.json, written whole (a
// temporary file renamed over it, so a reader sees all of one or none):
//   {"agent": NAME, "requested_ms": wall-clock ms (system clock, shared by
//    processes), "by_pid": the stopping process, "no_restart": whether its
//    supervisor is to leave the agent stopped, "reason": text for the audit}
// It stops only runs that started at or before requested_ms, so a request
// left behind by a stopper that died stops nothing new; the stopper removes
// it when it is done waiting.
//
// Threading: watch() and Watch's accessors from any thread. Ownership: a
// Watch must not outlive its RunStops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/result.h"

namespace naos {

struct StopRequest {
  std::string agent;
  int64_t requested_ms = 0;
  int64_t by_pid = 0;
  bool no_restart = false;
  std::string reason;
};

// The wall clock stop requests and watched runs are compared by (every
// process reads the same one; an injected test Clock would not be).
int64_t stop_clock_ms();

// Writes the request to dir/<agent>.json atomically (the folder is made).
Status write_stop_request(const std::filesystem::path& dir, const StopRequest& request);
// The request for `agent`, if there is a readable one.
std::optional<StopRequest> read_stop_request(const std::filesystem::path& dir, const std::string& agent);
void remove_stop_request(const std::filesystem::path& dir, const std::string& agent);

class RunStops {
 public:
  static constexpr std::chrono::milliseconds kFlagPoll{10};
  static constexpr std::chrono::milliseconds kRequestPoll{50};

  // `dir`: where stop requests live; empty outside a project (then only
  // callers and interrupts stop runs).
  explicit RunStops(std::filesystem::path dir);
  ~RunStops();
  RunStops(const RunStops&) = delete;
  RunStops& operator=(const RunStops&) = delete;

  // Every run watched from now on also stops when `*interrupt` becomes true
  // (nullable; must outlive this).
  void set_interrupt(const std::atomic<bool>* interrupt);

  enum class Why { kNone, kCaller, kInterrupt, kStopRequest };

  class Watch {
   public:
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    // The flag to hand the sandbox; outlives the run with this Watch.
    const std::atomic<bool>* flag() const { return &flag_; }
    // Why the flag went up (kNone while it has not).
    Why why() const;
    // The stop request that stopped the run (why() == kStopRequest).
    std::optional<StopRequest> request() const;

   private:
    friend class RunStops;
    Watch(RunStops& owner, std::string agent, const std::atomic<bool>* cancel);
    RunStops& owner_;
    const std::string agent_;
    const std::atomic<bool>* const cancel_;
    const int64_t started_ms_;
    std::atomic<bool> flag_{false};
    Why why_ = Why::kNone;                // under owner_.mutex_
    std::optional<StopRequest> request_;  // under owner_.mutex_
  };

  // Watches a run of `agent` until the Watch dies. `cancel`: the caller's
  // own flag (nullable; must outlive the Watch).
  std::unique_ptr<Watch> watch(std::string agent, const std::atomic<bool>* cancel);

 private:
  void watch_loop();
  void raise(Watch& watch, Why why, std::optional<StopRequest> request);

  const std::filesystem::path dir_;
  mutable std::mutex mutex_;
  const std::atomic<bool>* interrupt_ = nullptr;  // under mutex_
  std::condition_variable changed_;
  std::set<Watch*> watches_;
  bool stopping_ = false;
  std::thread thread_;  // started with the first watch
};

}  // namespace naos
