#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "memory_store_events.hpp"

using reverify::detail::EventLog;

TEST_CASE("an event log keeps events sorted and forgets the oldest first") {
  EventLog log;
  log.add(10);
  log.add(30);
  log.add(20);  // late arrival: goes between
  log.add(30);  // same millisecond: both count
  CHECK(log.size() == 4);
  CHECK(log.front() == 10);
  CHECK(log.back() == 30);
  CHECK(log.forget_up_to(20) == 2);
  CHECK(log.size() == 2);
  CHECK(log.front() == 30);
  log.remove(30);
  CHECK(log.size() == 1);
  log.remove(99);  // absent: nothing happens
  CHECK(log.size() == 1);
  CHECK(log.forget_up_to(30) == 1);
  CHECK(log.empty());
}

TEST_CASE("an event log's forgetting respects its limit") {
  EventLog log;
  for (std::int64_t t = 1; t <= 5; ++t) log.add(t);
  CHECK(log.forget_up_to(5, 2) == 2);
  CHECK(log.front() == 3);
  CHECK(log.forget_up_to(5, 0) == 0);
  CHECK(log.size() == 3);
}

TEST_CASE("an event log matches a sorted vector through a long random history") {
  // Exercises compaction (many forgets) and out-of-order adds against the obvious model.
  std::mt19937_64 rng(20261126);
  EventLog log;
  std::vector<std::int64_t> model;
  std::int64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    now += static_cast<std::int64_t>(rng() % 3);
    const auto choice = rng() % 10;
    if (choice < 6) {
      const std::int64_t at = now - static_cast<std::int64_t>(rng() % 4);  // sometimes a little late
      log.add(at);
      model.insert(std::upper_bound(model.begin(), model.end(), at), at);
    } else if (choice < 9) {
      const std::int64_t cutoff = now - 40;
      const std::size_t limit = rng() % 8;
      std::size_t expected = 0;
      while (expected < limit && expected < model.size() && model[expected] <= cutoff) ++expected;
      CHECK(log.forget_up_to(cutoff, limit) == expected);
      model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(expected));
    } else if (!model.empty()) {
      const std::int64_t at = model[rng() % model.size()];
      log.remove(at);
      model.erase(std::lower_bound(model.begin(), model.end(), at));
    }
    REQUIRE(log.size() == model.size());
    if (!model.empty()) {
      REQUIRE(log.front() == model.front());
      REQUIRE(log.back() == model.back());
    }
  }
}
