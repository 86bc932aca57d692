#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "shard_mutex.hpp"

using reverify::detail::ShardMutex;

TEST_CASE("the memory store's spinning shard lock still excludes: no increment is lost") {
  // A plain counter, not an atomic: a lost update (or, under TSan, a reported race) means two
  // threads were inside at once. Half the threads take the lock, half only try it.
  ShardMutex mutex;
  long counter = 0;
  long tried = 0;
  constexpr int threads = 8;
  constexpr int rounds = 20'000;
  reverify::test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds; ++i) {
        if (t % 2 == 0) {
          const std::lock_guard<ShardMutex> lock(mutex);
          ++counter;
        } else if (mutex.try_lock()) {
          ++counter;
          ++tried;
          mutex.unlock();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(counter == static_cast<long>(threads / 2) * rounds + tried);
  CHECK(tried <= static_cast<long>(threads / 2) * rounds);
}

TEST_CASE("a waiter on a long-held shard lock blocks until it is released, then gets it") {
  ShardMutex mutex;
  mutex.lock();
  std::atomic<bool> started{false};
  std::atomic<bool> inside{false};
  std::thread waiter([&] {
    started = true;
    const std::lock_guard<ShardMutex> lock(mutex);  // outlasts the spin: ends in the kernel's wait
    inside = true;
  });
  // Only once the waiter is about to lock does the pause give it time to get (wrongly) inside.
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(inside);
  mutex.unlock();
  waiter.join();
  CHECK(inside);
}
