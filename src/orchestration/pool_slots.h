// WorkerSlots — the worker slots of one pool run: one thread per slot, each
// running the jobs assigned to it one at a time, in the order assigned (a
// slot is one clone of the agent). The pool's `strategy` picks the slot for
// each new job:
//
//   round-robin  slots 0, 1, ..., size-1, 0, 1, ... whether busy or not (a
//                busy slot keeps the job in its backlog until it is free)
//   least-busy   the slot with the fewest unfinished jobs; ties go to the
//                slot that took fewer jobs so far, then the lowest index
//   random       any slot, uniformly
//
// The caller bounds the jobs in flight (the pool's window); with a window of
// `size`, least-busy always finds an idle slot, while round-robin and random
// may queue a job behind a slow one — the trade-off load balancers know.
//
// resize() changes the number of slots new jobs may go to; a slot taken away
// finishes its backlog and then idles (its thread ends with the object).
//
// Invariants (check_invariants): outstanding() is the sum of every slot's
// unfinished jobs; a slot's unfinished jobs are its backlog plus the one it
// runs; pick() returns a slot below size().
//
// Threading: pick(), assign(), resize() and the observers from one
// coordinating thread (or several, under the caller's lock); the jobs run on
// the slots' threads. The destructor waits for every assigned job to finish.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "project/config.h"

namespace naos::orchestration {

class WorkerSlots {
 public:
  using Job = std::function<void(int slot)>;
  // `on_free` runs on a slot's thread after each job, once the job no longer
  // counts as outstanding (so a coordinator it wakes sees the room).
  WorkerSlots(project::PoolStrategy strategy, uint32_t size, std::function<void()> on_free,
              uint64_t seed = std::random_device{}());
  ~WorkerSlots();
  WorkerSlots(const WorkerSlots&) = delete;
  WorkerSlots& operator=(const WorkerSlots&) = delete;

  // The slot the strategy gives the next job. Does not assign.
  int pick();
  void assign(int slot, Job job);
  void resize(uint32_t size);

  uint32_t size() const;
  size_t outstanding() const;
  // Unfinished jobs of each slot (every slot ever made, taken away or not).
  std::vector<size_t> outstanding_by_slot() const;
  // Jobs each slot took so far.
  std::vector<uint64_t> assigned_by_slot() const;

  // Debug builds: asserts the invariants above.
  void check_invariants() const;

 private:
  struct Slot {
    std::deque<Job> backlog;
    size_t unfinished = 0;  // backlog + the running job
    uint64_t assigned = 0;
    std::thread thread;
  };
  void serve(size_t index);
  void grow_to(size_t count);  // under mutex_

  const project::PoolStrategy strategy_;
  std::function<void()> on_free_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<Slot>> slots_;  // never shrinks: threads end with the object
  uint32_t size_;
  size_t cursor_ = 0;  // round-robin: the next slot
  std::mt19937_64 random_;
  bool stopping_ = false;
};

}  // namespace naos::orchestration
