#pragma once

// Random bytes for the Redis store's blinding nonces and window-event members (never for codes
// or record ids, which the manager draws fresh for each send).

#include <pthread.h>
#include <sodium.h>
#include <sys/mman.h>

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
// is wiped when the thread ends.
//
// A child process must never hand out bytes its parent drew. The buffer lives in a page of its own
// marked MADV_WIPEONFORK: the kernel hands any child (fork(), or a raw clone() that runs no
// pthread_atfork handler) that page zeroed, and a zeroed page reads as "not armed", so the child
// draws afresh. On kernels older than 4.14, which refuse the advice, the fork generation covers
// fork() only: a raw clone() child there can hand out its parent's next bytes. The page is also
// MADV_DONTDUMP, so a core dump does not carry it.
class RandomBuffer {
 public:
  static constexpr std::size_t capacity = 1024;

  /// How the buffer's page is advised; tests build one without the wipe to check the fallback.
  enum class Fork { wipe, keep };

  explicit RandomBuffer(Fork fork = Fork::wipe) noexcept {
    void* page = mmap(nullptr, sizeof(State), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;  // no buffer: every take() draws straight from the CSPRNG
    state_ = static_cast<State*>(page);
#ifdef MADV_WIPEONFORK
    wipes_on_fork_ = fork == Fork::wipe && madvise(page, sizeof(State), MADV_WIPEONFORK) == 0;
#else
    (void)fork;
#endif
#ifdef MADV_DONTDUMP
    (void)madvise(page, sizeof(State), MADV_DONTDUMP);
#endif
  }
  RandomBuffer(const RandomBuffer&) = delete;
  RandomBuffer& operator=(const RandomBuffer&) = delete;
  ~RandomBuffer() {
    if (state_ == nullptr) return;
    sodium_memzero(state_, sizeof(State));
    munmap(state_, sizeof(State));
    state_ = nullptr;  // a late take() during thread teardown draws straight from the CSPRNG
  }

  /// Whether the kernel zeroes this thread's buffer in a child process (Linux 4.14 and later).
  [[nodiscard]] bool wipes_on_fork() const noexcept { return wipes_on_fork_; }

  /// Fills `out` with `size` fresh bytes; a request larger than the buffer (or a buffer that could
  /// not be mapped) is drawn straight from the CSPRNG.
  void take(unsigned char* out, std::size_t size) noexcept {
    if (state_ == nullptr || size > capacity) {
      randombytes_buf(out, size);
      return;
    }
    State& s = *state_;
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (s.armed == 0 || generation != s.generation || capacity - s.used < size) {
      randombytes_buf(s.bytes.data(), s.bytes.size());
      s.used = 0;
      s.generation = generation;
      s.armed = 1;
    }
    std::memcpy(out, s.bytes.data() + s.used, size);
    sodium_memzero(s.bytes.data() + s.used, size);
    s.used += size;
  }

 private:
  // Everything a child must not reuse is in the page, so the kernel's wipe resets all of it.
  struct State {
    std::array<unsigned char, capacity> bytes;
    std::size_t used;
    unsigned generation;
    unsigned armed;  // 0 in a fresh or wiped page: refill before handing anything out
  };
  static_assert(sizeof(State) <= 4096, "one page on every Linux target");

  State* state_ = nullptr;
  bool wipes_on_fork_ = false;
};

/// This thread's buffer.
inline RandomBuffer& thread_random_buffer() noexcept {
  thread_local RandomBuffer buffer;
  return buffer;
}

/// Fills `out` with `size` fresh random bytes.
inline void random_bytes(unsigned char* out, std::size_t size) noexcept { thread_random_buffer().take(out, size); }

}  // namespace reverify::redis::detail
