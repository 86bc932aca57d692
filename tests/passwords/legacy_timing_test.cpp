// Timing parity of LegacyHasher, checked by its decisions rather than by the clock: which
// answers run a decoy (the estimate records one more sample), which are padded and to what
// deadline (an observing wait_until), and that padding holds no concurrency slot. How close the
// times come is measured by bench/password_timing_bench.cpp, not here.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cheap_argon2.hpp"
#include "reverify/legacy/legacy_hasher.hpp"
#include "reverify/legacy/verify_time_estimate.hpp"

namespace {

using namespace std::chrono_literals;
using reverify::Errc;
using reverify::PasswordMatch;
using reverify::SecretString;
using reverify::legacy::LegacyHasher;
using reverify::legacy::LegacyTimingOptions;
using reverify::legacy::VerifyTimeEstimate;
using reverify::test::cheap_params;
using Clock = std::chrono::steady_clock;

SecretString secret(std::string_view text) { return SecretString(text); }

std::shared_ptr<VerifyTimeEstimate> fixed_estimate(VerifyTimeEstimate::Duration target) {
  auto estimate = VerifyTimeEstimate::create(target, target);
  REQUIRE(estimate);
  return *estimate;
}

// Records every deadline it is asked to wait for, and returns at once.
struct WaitLog {
  std::mutex mutex;
  std::vector<Clock::time_point> deadlines;

  std::function<void(Clock::time_point)> hook() {
    return [this](Clock::time_point deadline) {
      const std::lock_guard<std::mutex> lock(mutex);
      deadlines.push_back(deadline);
    };
  }
  std::size_t count() {
    const std::lock_guard<std::mutex> lock(mutex);
    return deadlines.size();
  }
};

std::shared_ptr<LegacyHasher> make(LegacyTimingOptions timing, reverify::Argon2idParams p = cheap_params()) {
  auto current = reverify::Argon2idHasher::create(p);
  REQUIRE(current);
  auto legacy = LegacyHasher::create(*current, std::move(timing));
  REQUIRE(legacy);
  return *legacy;
}

const std::string md5_password = "{MD5}5f4dcc3b5aa765d61d8327deb882cf99";                          // MD5("password")
const std::string bcrypt_staple = "$2b$04$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktOu";  // bcryptjs
const std::string pbkdf2_rfc6070 =  // RFC 6070: "password", "salt", 2 iterations, 20 bytes
    R"({LEGACY}["pbkdf2", ["salt", 2, 20, "sha1", "@"], "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"])";

}  // namespace

TEST_CASE("VerifyTimeEstimate: invalid bounds and windows are refused", "[passwords][legacy][timing]") {
  CHECK(VerifyTimeEstimate::create(0ns, 1s).error() == Errc::invalid_configuration);
  CHECK(VerifyTimeEstimate::create(-1ns, 1s).error() == Errc::invalid_configuration);
  CHECK(VerifyTimeEstimate::create(2s, 1s).error() == Errc::invalid_configuration);
  CHECK(VerifyTimeEstimate::create(1ms, 1s, 0).error() == Errc::invalid_configuration);
  CHECK(VerifyTimeEstimate::create(1ms, 1s, 1025).error() == Errc::invalid_configuration);
  CHECK(VerifyTimeEstimate::create(1ms, 1ms, 1));
}

TEST_CASE("VerifyTimeEstimate: the median of the recent window, clamped", "[passwords][legacy][timing]") {
  auto created = VerifyTimeEstimate::create(10ms, 100ms, 5);
  REQUIRE(created);
  auto& estimate = **created;
  CHECK(estimate.target() == 10ms);  // nothing recorded: the floor
  CHECK(estimate.floor() == 10ms);
  CHECK(estimate.ceiling() == 100ms);

  for (auto sample : {40ms, 20ms, 60ms}) estimate.record(sample);
  CHECK(estimate.target() == 40ms);
  estimate.record(30ms);  // 20 30 40 60: the lower middle one
  CHECK(estimate.target() == 30ms);
  estimate.record(-5ms);  // ignored
  CHECK(estimate.recorded() == 4);

  // A burst of quick samples fills the window but cannot go below the floor.
  for (int i = 0; i < 5; ++i) estimate.record(1ms);
  CHECK(estimate.target() == 10ms);
  // The window slides: five slow samples replace the quick ones, and the ceiling holds.
  for (int i = 0; i < 5; ++i) estimate.record(5s);
  CHECK(estimate.target() == 100ms);
  for (auto sample : {50ms, 50ms, 70ms}) estimate.record(sample);
  CHECK(estimate.target() == 70ms);  // 50 50 70 5s 5s
  CHECK(estimate.recorded() == 17);
}

TEST_CASE("VerifyTimeEstimate: concurrent record and target", "[passwords][legacy][timing][concurrency]") {
  auto created = VerifyTimeEstimate::create(1ms, 1s, 31);
  REQUIRE(created);
  auto estimate = *created;
  std::vector<std::thread> pool;
  pool.reserve(4);
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([estimate, t] {
      for (int i = 0; i < 2000; ++i) {
        estimate->record(std::chrono::milliseconds(10 + t));
        const auto target = estimate->target();
        if (target < 10ms || target > 13ms) FAIL_CHECK("target outside the recorded range");
      }
    });
  }
  for (auto& thread : pool) thread.join();
  CHECK(estimate->recorded() == 8000);
}

TEST_CASE("LegacyHasher::create refuses a decoy fraction outside [0, 1]", "[passwords][legacy][timing]") {
  auto current = reverify::Argon2idHasher::create(cheap_params());
  REQUIRE(current);
  for (const double bad : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    LegacyTimingOptions timing;
    timing.estimate = fixed_estimate(1s);
    timing.decoy_below = bad;
    auto hasher = LegacyHasher::create(*current, timing);
    REQUIRE_FALSE(hasher);
    CHECK(hasher.error() == Errc::invalid_configuration);
  }
}

TEST_CASE("LegacyHasher::create seeds its estimate from timed decoys", "[passwords][legacy][timing]") {
  auto hasher = make({});
  const auto& estimate = hasher->timing_estimate();
  REQUIRE(estimate);
  CHECK(estimate->recorded() == 3);
  CHECK(estimate->floor() > 0ns);
  CHECK(estimate->ceiling() >= estimate->floor() * 16);  // half and eight times the seed median
  CHECK(estimate->target() >= estimate->floor());
  CHECK(estimate->target() <= estimate->ceiling());

  // A given estimate is used as it is, without seeding.
  auto given = fixed_estimate(1s);
  CHECK(make({given, 0.02, {}})->timing_estimate() == given);
  CHECK(given->recorded() == 0);
}

TEST_CASE("LegacyHasher pads a non-match to the target once its slot is free", "[passwords][legacy][timing]") {
  WaitLog waits;
  auto estimate = fixed_estimate(1h);
  auto hasher = make({estimate, 0.0, waits.hook()});  // 0: always pad, never decoy
  const std::vector<std::pair<std::string, PasswordMatch>> cases = {
      {md5_password, PasswordMatch::mismatch},
      {bcrypt_staple, PasswordMatch::mismatch},
      {pbkdf2_rfc6070, PasswordMatch::mismatch},
      {"$argon2i$v=19$m=8192,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
       PasswordMatch::mismatch},
      {"not a hash", PasswordMatch::malformed},
      {R"({LEGACY}["sha256", ["salt"], "00"])", PasswordMatch::malformed},
  };
  for (const auto& [stored, expected] : cases) {
    CAPTURE(stored);
    const std::size_t before_count = waits.count();
    const auto before = Clock::now();
    auto check = hasher->verify(secret("wrong password"), stored);
    const auto after = Clock::now();
    REQUIRE(check);
    CHECK(check->result == expected);
    REQUIRE(waits.count() == before_count + 1);
    // The deadline is the call's start plus the target.
    CHECK(waits.deadlines.back() >= before + 1h);
    CHECK(waits.deadlines.back() <= after + 1h);
  }
  CHECK(estimate->recorded() == 0);  // no decoy ran
}

TEST_CASE("LegacyHasher runs a decoy, not a pad, after a check far cheaper than the target",
          "[passwords][legacy][timing]") {
  WaitLog waits;
  auto estimate = fixed_estimate(1h);
  auto hasher = make({estimate, 0.02, waits.hook()});  // cheaper than 72 s: decoy
  std::uint64_t decoys = 0;
  for (const std::string& stored : {md5_password, bcrypt_staple, std::string("not a hash"), std::string("{SHA1}zz")}) {
    CAPTURE(stored);
    auto check = hasher->verify(secret("wrong password"), stored);
    REQUIRE(check);
    CHECK(check->result != PasswordMatch::match);
    CHECK(estimate->recorded() == ++decoys);  // the decoy's time was recorded
  }
  CHECK(waits.count() == 0);
}

TEST_CASE("LegacyHasher leaves a non-match slower than the target as it is", "[passwords][legacy][timing]") {
  WaitLog waits;
  auto estimate = fixed_estimate(1ns);  // every real check takes longer
  auto hasher = make({estimate, 0.02, waits.hook()});
  for (const std::string& stored : {bcrypt_staple, pbkdf2_rfc6070}) {
    auto check = hasher->verify(secret("wrong password"), stored);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::mismatch);
  }
  CHECK(waits.count() == 0);         // no wait
  CHECK(estimate->recorded() == 0);  // and no decoy on top
}

TEST_CASE("LegacyHasher never pads a right password, a current Argon2id hash or a missing hash",
          "[passwords][legacy][timing]") {
  WaitLog waits;
  auto estimate = fixed_estimate(1h);
  auto hasher = make({estimate, 0.0, waits.hook()});
  for (const auto& [stored, password] : {std::pair<std::string, std::string>{md5_password, "password"},
                                         {bcrypt_staple, "correct horse battery staple"},
                                         {pbkdf2_rfc6070, "password"}}) {
    CAPTURE(stored);
    auto check = hasher->verify(secret(password), stored);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::match);
    CHECK(check->needs_rehash);
  }
  CHECK(estimate->recorded() == 0);

  // Current Argon2id (right or wrong) and no hash are the wrapped hasher's own work: timed, not padded.
  auto stored = hasher->hash(secret("fresh"));
  REQUIRE(stored);
  auto right = hasher->verify(secret("fresh"), *stored);
  REQUIRE(right);
  CHECK(right->result == PasswordMatch::match);
  auto wrong = hasher->verify(secret("fresh!"), *stored);
  REQUIRE(wrong);
  CHECK(wrong->result == PasswordMatch::mismatch);
  auto none = hasher->verify(secret("fresh"), std::nullopt);
  REQUIRE(none);
  CHECK(none->result == PasswordMatch::no_hash);
  CHECK(estimate->recorded() == 3);
  CHECK(waits.count() == 0);
}

TEST_CASE("LegacyHasher: padded callers do not hold the concurrency slot", "[passwords][legacy][timing][concurrency]") {
  // One slot. Every caller's pad waits until all callers are padding at once, which can only
  // happen if each released its slot before padding; otherwise the second caller would wait for
  // the first, who waits for it (until the fail-safe below gives up).
  constexpr int callers = 4;
  std::mutex mutex;
  std::condition_variable all_in;
  int padding = 0;
  int saw_all = 0;
  auto rendezvous = [&](Clock::time_point) {
    std::unique_lock<std::mutex> lock(mutex);
    ++padding;
    all_in.notify_all();
    if (all_in.wait_for(lock, 30s, [&] { return padding == callers; })) ++saw_all;
  };
  auto p = cheap_params();
  p.max_concurrent = 1;
  p.max_wait = std::chrono::milliseconds(60'000);
  auto hasher = make({fixed_estimate(1h), 0.0, rendezvous}, p);

  std::vector<PasswordMatch> results(callers, PasswordMatch::match);
  std::vector<std::thread> pool;
  pool.reserve(callers);
  for (int i = 0; i < callers; ++i) {
    pool.emplace_back([&, i] {
      auto check = hasher->verify(secret("wrong password"), bcrypt_staple);
      if (check) results[static_cast<std::size_t>(i)] = check->result;
    });
  }
  for (auto& thread : pool) thread.join();
  CHECK(saw_all == callers);
  for (const auto result : results) CHECK(result == PasswordMatch::mismatch);
}
