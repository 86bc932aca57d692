#pragma once
/// @file
/// The memory store's shard lock: spins briefly before it sleeps.

#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace reverify::detail {

/// Tells the CPU this thread is busy-waiting (frees the core's other hyperthread, saves power).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// A `std::mutex` that retries for a short while before it blocks. Shard critical sections last
/// well under a microsecond, but a plain mutex puts a waiter to sleep at once and waking it costs
/// several microseconds (far more on a virtual machine), so two threads meeting on one of 256
/// shards lost most of their second core (bench/cycle_bench: 1.2x with 2 threads; see
/// docs/benchmarks.md). Spinning covers the common, short hold; a long one (a table rehash) still
/// ends in the kernel's wait, so no thread burns a core for long.
class ShardMutex {
 public:
  void lock() {
    for (unsigned pauses = 1; pauses <= max_pauses; pauses *= 2) {
      if (mutex_.try_lock()) return;
      for (unsigned i = 0; i < pauses; ++i) cpu_relax();
    }
    mutex_.lock();
  }
  [[nodiscard]] bool try_lock() noexcept { return mutex_.try_lock(); }
  void unlock() noexcept { mutex_.unlock(); }

 private:
  // 127 pauses in all: about 1.5 us on this project's Xeon (12 ns a pause), up to ~6 us where a
  // pause is ~140 cycles. Spinning up to 64, 256 or 1024 in the last round scaled alike (two
  // threads 1.71-1.79x, 1.65-1.71x, 1.63-1.86x one thread, four alternating runs each), so the
  // shortest wastes least when the holder is slow.
  static constexpr unsigned max_pauses = 64;
  std::mutex mutex_;
};

}  // namespace reverify::detail
