// The Redis store's per-thread buffer of random bytes (blinding nonces, window-event members):
// no byte is handed out twice, and a child process never hands out the bytes its parent would
// hand out next, whether it was made by fork() or by a raw clone() that runs no atfork handler.

#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include <catch2/catch.hpp>

#include <array>
#include <functional>
#include <set>
#include <string>

#include "child_processes.hpp"
#include "redis/redis_random.hpp"

using reverify::redis::detail::random_bytes;
using reverify::redis::detail::RandomBuffer;
using reverify::redis::detail::register_fork_handler;
using reverify::redis::detail::thread_random_buffer;

namespace {

using Chunk = std::array<unsigned char, 16>;

Chunk take() {
  Chunk out{};
  random_bytes(out.data(), out.size());
  return out;
}

/// One chunk taken by `take_chunk` in a child made by `spawn` (fork by default).
Chunk chunk_from_child(
    const std::function<Chunk()>& take_chunk = take, const reverify::test::Spawn& spawn = [] { return fork(); }) {
  const auto children = reverify::test::run_children<Chunk>(
      1, [&](int) { return take_chunk(); }, spawn);
  REQUIRE(children.failed_children == 0);
  REQUIRE(children.results.size() == 1);
  return children.results.front();
}

}  // namespace

TEST_CASE("redis random buffer: chunks never repeat, across refills", "[backends][redis]") {
  REQUIRE(sodium_init() >= 0);
  std::set<std::string> seen;
  const std::size_t chunks = 3 * RandomBuffer::capacity / Chunk{}.size();  // three refills
  for (std::size_t i = 0; i < chunks; ++i) {
    const Chunk c = take();
    CHECK(seen.insert(std::string(c.begin(), c.end())).second);
  }
}

TEST_CASE("redis random buffer: a forked child draws fresh bytes, not its parent's next ones", "[backends][redis]") {
  REQUIRE(sodium_init() >= 0);
  REQUIRE(register_fork_handler());
  (void)take();  // the buffer is full and partly used: its next bytes are known to both sides of a fork

  const Chunk from_child = chunk_from_child();
  // Without the wipe and the fork hook the child would have handed out exactly these bytes.
  const Chunk parents_next = take();
  CHECK(from_child != parents_next);
}

// A raw clone() (as some process supervisors and language runtimes make) runs no pthread_atfork
// handler, so only the kernel's MADV_WIPEONFORK keeps the child off its parent's bytes.
TEST_CASE("redis random buffer: a child of a raw clone() draws fresh bytes too", "[backends][redis]") {
  REQUIRE(sodium_init() >= 0);
  (void)take();
  if (!thread_random_buffer().wipes_on_fork()) {
    WARN("this kernel refuses MADV_WIPEONFORK (Linux < 4.14): a raw clone() child is not covered here");
    return;
  }
  const Chunk from_child = chunk_from_child(
      take, [] { return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr)); });
  const Chunk parents_next = take();
  CHECK(from_child != parents_next);
}

// Kernels before 4.14 keep the page in the child: the pthread_atfork generation alone must then
// make a forked child refill.
TEST_CASE("redis random buffer: without the kernel's wipe, the fork generation still refills a child",
          "[backends][redis]") {
  REQUIRE(sodium_init() >= 0);
  REQUIRE(register_fork_handler());
  RandomBuffer kept(RandomBuffer::Fork::keep);
  REQUIRE_FALSE(kept.wipes_on_fork());
  const auto take_kept = [&kept] {
    Chunk out{};
    kept.take(out.data(), out.size());
    return out;
  };
  (void)take_kept();

  const Chunk from_child = chunk_from_child(take_kept);
  const Chunk parents_next = take_kept();
  CHECK(from_child != parents_next);
}
