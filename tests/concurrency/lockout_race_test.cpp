#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <thread>

#include "manager_fixture.hpp"

using namespace reverify;

TEST_CASE("concurrent wrong passwords: the lockout engages at the limit, and holds") {
  Policy policy;
  policy.lockout_failures = 20;
  test::ManagerFixture f(policy);
  const auto hash = f.hasher->hash(SecretString("right")).value();
  constexpr int threads = 16;
  constexpr int tries = 3;
  std::atomic<int> invalid{0};
  std::atomic<int> blocked{0};
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < tries; ++i) {
        PasswordVerificationRequest r;
        r.user_id = "u1";
        r.password = SecretString("wrong");
        r.stored_hash = hash;
        const auto result = f.manager.verify_password(r);
        if (!result && result.error() == Errc::invalid_credentials) invalid++;
        if (!result && result.error() == Errc::verification_blocked) blocked++;
      }
    });
  }
  for (auto& th : pool) th.join();
  // Failures 1..19 may answer invalid_credentials; the 20th and everything after answer blocked.
  CHECK(invalid <= 19);
  CHECK(invalid + blocked == threads * tries);
  PasswordVerificationRequest right;
  right.user_id = "u1";
  right.password = SecretString("right");
  right.stored_hash = hash;
  CHECK(f.manager.verify_password(right).error() == Errc::verification_blocked);
}
