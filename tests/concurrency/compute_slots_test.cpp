// The password hashers' concurrency gate (src/common/compute_slots.hpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/compute_slots.hpp"

using reverify::detail::ComputeSlots;
using namespace std::chrono_literals;

// A host that sets max_wait to milliseconds::max() means "wait as long as it takes"; converted to
// a deadline in nanoseconds it overflowed, and such a caller was refused at once.
TEST_CASE("a compute slot wait of milliseconds::max() waits for the slot", "[concurrency]") {
  ComputeSlots slots(1);
  REQUIRE(slots.acquire(0ms));
  std::atomic<bool> started{false};
  std::atomic<int> answer{-1};  // -1 while waiting, then 1 (got the slot) or 0 (refused)
  std::thread waiter([&] {
    started = true;
    answer = slots.acquire(std::chrono::milliseconds::max()) ? 1 : 0;
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);  // a refusal would have come by now
  CHECK(answer == -1);
  slots.release();
  waiter.join();
  CHECK(answer == 1);
  slots.release();
}

TEST_CASE("a compute slot wait past its deadline is refused", "[concurrency]") {
  ComputeSlots slots(1);
  REQUIRE(slots.acquire(0ms));
  CHECK_FALSE(slots.acquire(0ms));
  CHECK_FALSE(slots.acquire(20ms));
  slots.release();
  CHECK(slots.acquire(0ms));
  slots.release();
}
