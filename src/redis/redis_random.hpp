#pragma once

// Random bytes for the Redis store's blinding nonces and window-event members (never for codes
// or record ids, which the manager draws fresh for each send).

#include <pthread.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>

namespace reverify::redis::detail {

// Bumped in a forked child (pthread_atfork; a lock-free atomic is async-signal-safe), so that a
// child never hands out random bytes its parent drew before the fork.
inline std::atomic<unsigned> fork_generation{0};

/// Registers the fork hook once per process; false if pthread_atfork failed.
inline bool register_fork_handler() noexcept {
  static const bool registered =
      pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); }) == 0;
  return registered;
}

// Nonces and event members come from libsodium's CSPRNG, drawn 1 KiB at a time into a per-thread
// buffer: one getrandom() per ~40 check_code calls instead of one each (about 1 µs of client time
// per call on a VM). Every byte is handed out once and wiped from the buffer as it is; the rest
// is wiped when the thread ends. The fork generation discards a buffer inherited across fork().
class RandomBuffer {
 public:
  RandomBuffer() = default;
  RandomBuffer(const RandomBuffer&) = delete;
  RandomBuffer& operator=(const RandomBuffer&) = delete;
  ~RandomBuffer() { sodium_memzero(bytes_.data(), bytes_.size()); }

  void take(unsigned char* out, std::size_t size) noexcept {
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_ || bytes_.size() - used_ < size) {
      randombytes_buf(bytes_.data(), bytes_.size());
      used_ = 0;
      generation_ = generation;
    }
    std::memcpy(out, bytes_.data() + used_, size);
    sodium_memzero(bytes_.data() + used_, size);
    used_ += size;
  }
  static constexpr std::size_t capacity = 1024;

 private:
  std::array<unsigned char, capacity> bytes_{};
  std::size_t used_ = capacity;
  unsigned generation_ = 0;
};

/// Fills `out` with `size` (at most RandomBuffer::capacity) fresh random bytes.
inline void random_bytes(unsigned char* out, std::size_t size) noexcept {
  thread_local RandomBuffer buffer;
  buffer.take(out, size);
}

}  // namespace reverify::redis::detail
