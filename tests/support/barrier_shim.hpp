#pragma once
// A one-shot start line (C++17 has no std::barrier): threads wait until all have arrived, so the
// racing part starts together.

#include <condition_variable>
#include <mutex>

namespace reverify::test {

class StartLine {
 public:
  explicit StartLine(int count) : remaining_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--remaining_ == 0) {
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [this] { return remaining_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int remaining_;
};

}  // namespace reverify::test
