#include "orchestration/pool_slots.h"

#include <cassert>
#include <numeric>

namespace naos::orchestration {

WorkerSlots::WorkerSlots(project::PoolStrategy strategy, uint32_t size, std::function<void()> on_free,
                         uint64_t seed)
    : strategy_(strategy), on_free_(std::move(on_free)), size_(std::max<uint32_t>(size, 1)), random_(seed) {
  std::lock_guard lock(mutex_);
  grow_to(size_);
}

WorkerSlots::~WorkerSlots() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& slot : slots_) slot->thread.join();
}

void WorkerSlots::grow_to(size_t count) {
  while (slots_.size() < count) {
    slots_.push_back(std::make_unique<Slot>());
    size_t index = slots_.size() - 1;
    slots_.back()->thread = std::thread([this, index] { serve(index); });
  }
}

int WorkerSlots::pick() {
  std::lock_guard lock(mutex_);
  size_t chosen = 0;
  switch (strategy_) {
    case project::PoolStrategy::kRoundRobin:
      chosen = cursor_ % size_;
      break;
    case project::PoolStrategy::kLeastBusy:
      for (size_t i = 1; i < size_; ++i) {
        const Slot& a = *slots_[i];
        const Slot& best = *slots_[chosen];
        if (a.unfinished < best.unfinished || (a.unfinished == best.unfinished && a.assigned < best.assigned)) {
          chosen = i;
        }
      }
      break;
    case project::PoolStrategy::kRandom:
      chosen = std::uniform_int_distribution<size_t>(0, size_ - 1)(random_);
      break;
  }
  return static_cast<int>(chosen);
}

void WorkerSlots::assign(int slot, Job job) {
  {
    std::lock_guard lock(mutex_);
    assert(slot >= 0 && static_cast<size_t>(slot) < slots_.size());
    Slot& target = *slots_[static_cast<size_t>(slot)];
    target.backlog.push_back(std::move(job));
    target.unfinished += 1;
    target.assigned += 1;
    cursor_ = static_cast<size_t>(slot) + 1;
  }
  wake_.notify_all();
}

void WorkerSlots::resize(uint32_t size) {
  std::lock_guard lock(mutex_);
  size_ = std::max<uint32_t>(size, 1);
  grow_to(size_);
}

uint32_t WorkerSlots::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

size_t WorkerSlots::outstanding() const {
  std::lock_guard lock(mutex_);
  size_t total = 0;
  for (const auto& slot : slots_) total += slot->unfinished;
  return total;
}

std::vector<size_t> WorkerSlots::outstanding_by_slot() const {
  std::lock_guard lock(mutex_);
  std::vector<size_t> out;
  for (const auto& slot : slots_) out.push_back(slot->unfinished);
  return out;
}

std::vector<uint64_t> WorkerSlots::assigned_by_slot() const {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> out;
  for (const auto& slot : slots_) out.push_back(slot->assigned);
  return out;
}

void WorkerSlots::check_invariants() const {
#ifndef NDEBUG
  std::lock_guard lock(mutex_);
  // "pick() returns a slot below size()": every slot below size_ exists.
  assert(size_ >= 1 && slots_.size() >= size_);
  for (const auto& slot : slots_) {
    // "a slot's unfinished jobs are its backlog plus the one it runs".
    assert(slot->unfinished == slot->backlog.size() || slot->unfinished == slot->backlog.size() + 1);
    assert(slot->unfinished <= slot->assigned);
  }
#endif
}

void WorkerSlots::serve(size_t index) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      Slot& slot = *slots_[index];
      wake_.wait(lock, [&] { return stopping_ || !slot.backlog.empty(); });
      if (slot.backlog.empty()) return;  // stopping, and the backlog is done
      job = std::move(slot.backlog.front());
      slot.backlog.pop_front();
    }
    job(static_cast<int>(index));
    {
      std::lock_guard lock(mutex_);
      slots_[index]->unfinished -= 1;
    }
    if (on_free_) on_free_();
  }
}

}  // namespace naos::orchestration
