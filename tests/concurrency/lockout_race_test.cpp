#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "manager_fixture.hpp"

using namespace reverify;

namespace {

/// Hashes through `inner`, then notes on the calling thread whether the user was already blocked
/// when the comparison ended (blocks are never lifted in these tests).
class WitnessHasher final : public PasswordHasher {
 public:
  WitnessHasher(std::shared_ptr<PasswordHasher> inner, std::shared_ptr<Store> store, std::shared_ptr<Clock> clock,
                std::string lock_key)
      : inner_(std::move(inner)), store_(std::move(store)), clock_(std::move(clock)), lock_key_(std::move(lock_key)) {}
  Result<std::string> hash(const SecretString& password) override { return inner_->hash(password); }
  Result<PasswordCheck> verify(const SecretString& password, std::optional<std::string_view> stored) override {
    if (std::exchange(hold_this_call, false)) hold();
    auto check = inner_->verify(password, stored);
    ended_blocked = store_->blocked_until(lock_key_, clock_->now()).value().has_value();
    return check;
  }
  static thread_local bool ended_blocked;
  /// Set by a thread before a call: that call's hash runs `hold` first (set before threads start).
  static thread_local bool hold_this_call;
  std::function<void()> hold;

 private:
  std::shared_ptr<PasswordHasher> inner_;
  std::shared_ptr<Store> store_;
  std::shared_ptr<Clock> clock_;
  std::string lock_key_;
};
thread_local bool WitnessHasher::ended_blocked = false;
thread_local bool WitnessHasher::hold_this_call = false;

PasswordVerificationRequest guess(const std::string& hash, const char* password) {
  PasswordVerificationRequest r;
  r.user_id = "u1";
  r.password = SecretString(password);
  r.stored_hash = hash;
  return r;
}

/// User u1 locked after 20 failures, the hash of "right", and a manager hashing through a
/// WitnessHasher that watches u1's password lock key (docs/backends.md).
struct RaceFixture {
  static Policy policy() {
    Policy p;
    p.lockout_failures = 20;
    return p;
  }
  test::ManagerFixture f{policy()};
  std::string hash = f.hasher->hash(SecretString("right")).value();
  std::shared_ptr<WitnessHasher> witness = std::make_shared<WitnessHasher>(f.hasher, f.store, f.clock, "lock:pw:u1");
  VerificationManager manager = f.with_hasher(policy(), witness);
};

/// `tries` wrong guesses for u1, one after another.
void guess_wrong(const VerificationManager& manager, const std::string& hash, int tries) {
  for (int i = 0; i < tries; ++i) (void)manager.verify_password(guess(hash, "wrong"));
}

}  // namespace

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
  // Every failure is counted, one at a time: failures 1..limit-1 answer invalid_credentials, the
  // one that reaches the limit and every later guess answer blocked.
  CHECK(invalid == static_cast<int>(policy.lockout_failures) - 1);
  CHECK(invalid + blocked == threads * tries);
  CHECK(f.store->blocked_until("lock:pw:u1", f.clock->now()).value().has_value());
  CHECK(f.manager.verify_password(guess(hash, "right")).error() == Errc::verification_blocked);
}

TEST_CASE("concurrent guesses: a right password compared after the block began is refused") {
  const RaceFixture race;
  const std::string& hash = race.hash;
  const VerificationManager& manager = race.manager;

  constexpr int guessers = 15;
  constexpr int tries = 3;
  std::atomic<int> guessing{guessers};
  std::atomic<int> compared{0};        // right passwords that passed the first block check
  std::atomic<int> refused_after{0};   // ... whose comparison ended after the block began
  std::atomic<int> accepted_after{0};  // ... and yet were accepted: must stay 0
  test::StartLine start(guessers + 1);
  std::vector<std::thread> pool;
  pool.reserve(guessers + 1);
  for (int t = 0; t < guessers; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      guess_wrong(manager, hash, tries);
      guessing--;
    });
  }
  pool.emplace_back([&] {
    start.arrive_and_wait();
    while (guessing > 0) {
      WitnessHasher::ended_blocked = false;
      const auto result = manager.verify_password(guess(hash, "right"));
      if (!result && result.error() == Errc::verification_blocked && !WitnessHasher::ended_blocked) continue;
      compared++;
      if (!WitnessHasher::ended_blocked) continue;
      if (result) {
        accepted_after++;
      } else if (result.error() == Errc::verification_blocked) {
        refused_after++;
      }
    }
  });
  for (auto& th : pool) th.join();
  CHECK(compared >= 1);
  INFO("right passwords whose comparison ended after the block began: " << refused_after.load());
  CHECK(accepted_after == 0);
  // The user ends blocked.
  CHECK(manager.verify_password(guess(hash, "right")).error() == Errc::verification_blocked);
}

TEST_CASE("concurrent guesses: a right password held in its hash while 15 threads lock the user is refused") {
  const RaceFixture race;
  const std::string& hash = race.hash;
  const VerificationManager& manager = race.manager;
  WitnessHasher& witness = *race.witness;
  constexpr int guessers = 15;
  constexpr int tries = 3;
  std::atomic<bool> right_hashing{false};
  std::atomic<int> guessing{guessers};
  // The right password passes the first block check, then waits inside its hash until every
  // guesser is done: its comparison ends after the block began, whatever the scheduling.
  witness.hold = [&] {
    right_hashing = true;
    while (guessing > 0) std::this_thread::yield();
  };
  std::vector<std::thread> pool;
  pool.reserve(guessers);
  for (int t = 0; t < guessers; ++t) {
    pool.emplace_back([&] {
      while (!right_hashing) std::this_thread::yield();
      guess_wrong(manager, hash, tries);
      guessing--;
    });
  }
  WitnessHasher::hold_this_call = true;
  const auto result = manager.verify_password(guess(hash, "right"));
  for (auto& th : pool) th.join();
  CHECK(WitnessHasher::ended_blocked);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error() == Errc::verification_blocked);
}
