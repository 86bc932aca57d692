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
    const auto free = [this] { return in_use_ < capacity_; };
    // wait_for adds max_wait to the clock in nanoseconds: a host's "forever" (milliseconds::max())
    // would overflow into the past and never wait at all. Anything from a year on is forever.
    if (max_wait >= std::chrono::hours(24 * 365)) {
      freed_.wait(lock, free);
    } else if (!freed_.wait_for(lock, max_wait, free)) {
      return false;
    }
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
