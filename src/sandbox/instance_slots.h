// InstanceSlots — at most `execution.maxInstances` agent instances alive at
// once, the size of Wasmtime's pooling allocator (engine.cc). A run past that
// waits for a slot instead of failing: Wasmtime itself would refuse the
// instantiation with a trap ("maximum concurrent limit ... reached"), which a
// busy pool or a burst of workflow steps must not see as the agent failing.
//
// Threading: acquire() from any thread; a Slot gives its slot back when destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace naos::sandbox {

class InstanceSlots {
 public:
  explicit InstanceSlots(uint32_t slots) : free_(slots) {}
  InstanceSlots(const InstanceSlots&) = delete;
  InstanceSlots& operator=(const InstanceSlots&) = delete;

  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_ != nullptr) owner_->release();
    }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class InstanceSlots;
    explicit Slot(InstanceSlots* owner) : owner_(owner) {}
    InstanceSlots* owner_ = nullptr;
  };

  // A slot, or an empty Slot once `deadline` passes or `cancel` becomes true
  // (checked every few milliseconds while waiting).
  Slot acquire(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel) {
    std::unique_lock lock(mutex_);
    while (free_ == 0) {
      if (cancel != nullptr && cancel->load()) return Slot();
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return Slot();
      auto wake = std::min(deadline, now + std::chrono::milliseconds(10));
      freed_.wait_until(lock, wake);
    }
    --free_;
    return Slot(this);
  }

 private:
  void release() {
    {
      std::lock_guard lock(mutex_);
      ++free_;
    }
    freed_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable freed_;
  uint32_t free_;
};

}  // namespace naos::sandbox
