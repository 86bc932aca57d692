// Invariant 1: across all threads, a record answers at most max_attempts comparisons.
#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <map>
#include <thread>

#include "manager_fixture.hpp"

using namespace reverify;

namespace {
constexpr int threads = 16;
constexpr int tries_per_thread = 8;
}  // namespace

// Lockouts are tested elsewhere; here they must not mask the per-code attempt limit.
Policy without_lockout() {
  Policy policy;
  policy.lockout_failures = 1'000'000;
  return policy;
}

TEST_CASE("16 threads hammer one record with wrong codes and the right one") {
  test::ManagerFixture f(without_lockout());
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();

  std::mutex mutex;
  std::map<std::string, int> answers;  // string code, or "verified"
  int right_code_answers_compared = 0;
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < tries_per_thread; ++i) {
        // Thread 0 sends the right code on its third try; everyone else is wrong.
        const bool right = t == 0 && i == 2;
        const auto result = f.verify(id, right ? code : test::wrong_code(code));
        const std::lock_guard<std::mutex> lock(mutex);
        if (result) {
          answers["verified"]++;
        } else {
          answers[std::string(result.error().string_code())]++;
          if (right && result.error() == Errc::code_mismatch) right_code_answers_compared++;
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  const int max_attempts = static_cast<int>(f.manager.policy().max_code_attempts);
  CHECK(right_code_answers_compared == 0);
  const int compared = answers["verification_code.code_mismatch"] + answers["verified"];
  CHECK(compared <= max_attempts);
  CHECK(answers["verified"] <= 1);
  CHECK(answers["verification_code.code_mismatch"] + answers["verification_code.exceed_max_try"] +
            answers["verification_code.not_found"] + answers["verified"] ==
        threads * tries_per_thread);
  const auto record = f.store->find(id, f.clock->now()).value().value();
  CHECK(static_cast<int>(record.attempts) <= max_attempts);
  if (answers["verified"] == 0) {
    // The right code arrived after the attempts ran out: exactly max_attempts were compared, and
    // nothing was verified, so no answer may say "already used" (code not found).
    CHECK(compared == max_attempts);
    CHECK(static_cast<int>(record.attempts) == max_attempts);
    CHECK(answers["verification_code.not_found"] == 0);
  } else {
    CHECK(record.verified);
    CHECK(compared == static_cast<int>(record.attempts));
  }
}

TEST_CASE("16 threads with only wrong codes: exactly max_attempts comparisons, every other answer exceed_max_try") {
  Policy policy = without_lockout();
  policy.max_code_attempts = 7;
  test::ManagerFixture f(policy);
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  std::atomic<int> mismatches{0};
  std::atomic<int> exceeded{0};
  std::atomic<int> other{0};
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < tries_per_thread; ++i) {
        const auto result = f.verify(id, test::wrong_code(code));
        if (!result && result.error() == Errc::code_mismatch) {
          mismatches++;
        } else if (!result && result.error() == Errc::code_exceed_max_try) {
          exceeded++;
        } else {
          other++;  // a success or any other error: neither may happen for a wrong code
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const int max_attempts = static_cast<int>(policy.max_code_attempts);
  CHECK(mismatches == max_attempts);
  CHECK(exceeded == threads * tries_per_thread - max_attempts);
  CHECK(other == 0);
}

TEST_CASE("16 threads with the right code: exactly one verifies") {
  test::ManagerFixture f(without_lockout());
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  std::atomic<int> verified{0};
  std::atomic<int> not_found{0};
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      const auto result = f.verify(id, code);
      if (result) {
        verified++;
      } else if (result.error() == Errc::code_not_found) {
        not_found++;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(verified == 1);
  CHECK(not_found == threads - 1);
}
