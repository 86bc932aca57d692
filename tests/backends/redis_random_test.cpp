// The Redis store's per-thread buffer of random bytes (blinding nonces, window-event members):
// no byte is handed out twice, and a forked child never hands out the bytes its parent would
// hand out next.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>

#include "redis/redis_random.hpp"

using reverify::redis::detail::random_bytes;
using reverify::redis::detail::RandomBuffer;
using reverify::redis::detail::register_fork_handler;

namespace {

using Chunk = std::array<unsigned char, 16>;

Chunk take() {
  Chunk out{};
  random_bytes(out.data(), out.size());
  return out;
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

  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const Chunk c = take();
    const bool written = write(pipe_fds[1], c.data(), c.size()) == static_cast<ssize_t>(c.size());
    _exit(written ? 0 : 1);
  }
  close(pipe_fds[1]);
  Chunk from_child{};
  REQUIRE(read(pipe_fds[0], from_child.data(), from_child.size()) == static_cast<ssize_t>(from_child.size()));
  close(pipe_fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // Without the fork hook the child would have handed out exactly these bytes.
  const Chunk parents_next = take();
  CHECK(from_child != parents_next);
}
