#pragma once
// A counting semaphore with a deadline (C++17 has none): at most N password hashes at once, so a
// burst of verifications cannot exhaust memory. Shared by the core and the legacy hashers.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace reverify::detail {

class ComputeSlots {
 public:
  explicit ComputeSlots(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] bool acquire(std::chrono::milliseconds max_wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!freed_.wait_for(lock, max_wait, [this] { return in_use_ < capacity_; })) return false;
    ++in_use_;
    return true;
  }
  void release() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      --in_use_;
    }
    freed_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t capacity_;
  std::size_t in_use_ = 0;
};

class SlotGuard {
 public:
  SlotGuard(ComputeSlots& slots, std::chrono::milliseconds max_wait) : slots_(slots), held_(slots.acquire(max_wait)) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() {
    if (held_) slots_.release();
  }
  [[nodiscard]] bool held() const noexcept { return held_; }

 private:
  ComputeSlots& slots_;
  bool held_;
};

}  // namespace reverify::detail
