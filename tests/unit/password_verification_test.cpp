#include <catch2/catch.hpp>
#include <cstddef>
#include <functional>
#include <utility>

#include "manager_fixture.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {
PasswordVerificationRequest password_request(std::optional<std::string> hash, const std::string& password,
                                             std::string user = "u1") {
  PasswordVerificationRequest r;
  r.user_id = std::move(user);
  r.password = SecretString(password);
  r.stored_hash = std::move(hash);
  return r;
}

/// Runs `during` once, inside the first verify, before comparing: what other requests for the
/// same user do while this one waits for its hash.
class HookedHasher final : public PasswordHasher {
 public:
  explicit HookedHasher(std::shared_ptr<PasswordHasher> inner) : inner_(std::move(inner)) {}
  Result<std::string> hash(const SecretString& password) override { return inner_->hash(password); }
  Result<PasswordCheck> verify(const SecretString& password, std::optional<std::string_view> stored) override {
    if (auto hook = std::exchange(during, nullptr)) hook();
    return inner_->verify(password, stored);
  }
  std::function<void()> during;

 private:
  std::shared_ptr<PasswordHasher> inner_;
};

/// A fixture, the hash of "right", and a second manager hashing through a HookedHasher.
struct HookedFixture {
  explicit HookedFixture(const Policy& policy) : f(policy), manager(f.with_hasher(policy, hooked)) {}
  test::ManagerFixture f;
  std::string hash = f.hasher->hash(SecretString("right")).value();
  std::shared_ptr<HookedHasher> hooked = std::make_shared<HookedHasher>(f.hasher);
  VerificationManager manager;
};
}  // namespace

TEST_CASE("a right password opens a verified Password record") {
  test::ManagerFixture f;
  const auto hash = f.hasher->hash(SecretString("correct horse")).value();
  const auto result = f.manager.verify_password(password_request(hash, "correct horse"));
  REQUIRE(result.has_value());
  CHECK(result->record_id.size() == record_id_length);
  CHECK(result->expires_at == f.clock->now() + 600s);
  CHECK_FALSE(result->new_password_hash.has_value());
  const auto record = f.store->find(result->record_id, f.clock->now()).value();
  REQUIRE(record.has_value());
  CHECK(record->verified);
  CHECK(record->kind == RecordKind::password);
  CHECK(record->user_id == "u1");
}

TEST_CASE("a wrong or missing password is invalid_credentials") {
  test::ManagerFixture f;
  const auto hash = f.hasher->hash(SecretString("correct horse")).value();
  CHECK(f.manager.verify_password(password_request(hash, "wrong horse")).error() == Errc::invalid_credentials);
  CHECK(f.manager.verify_password(password_request(std::nullopt, "anything")).error() == Errc::invalid_credentials);
  CHECK(f.manager.verify_password(password_request("not-a-hash", "anything")).error() == Errc::invalid_credentials);
  CHECK(f.events->count(EventType::password_hash_malformed) == 1);
}

TEST_CASE("empty user id or password is invalid input and costs no failure") {
  test::ManagerFixture f;
  CHECK(f.manager.verify_password(password_request(std::nullopt, "")).error() == Errc::invalid_input);
  CHECK(f.manager.verify_password(password_request(std::nullopt, "x", "")).error() == Errc::invalid_input);
  CHECK(f.events->count(EventType::failed) == 0);
}

TEST_CASE("a hash weaker than current parameters comes back upgraded") {
  test::ManagerFixture f;
  Argon2idParams weaker;
  weaker.ops_limit = 1;
  weaker.mem_limit = std::size_t{4} * 1024 * 1024;
  const auto old_hash = Argon2idHasher::create(weaker).value()->hash(SecretString("pw")).value();
  const auto result = f.manager.verify_password(password_request(old_hash, "pw"));
  REQUIRE(result.has_value());
  REQUIRE(result->new_password_hash.has_value());
  CHECK(*result->new_password_hash != old_hash);
  const auto recheck = f.hasher->verify(SecretString("pw"), *result->new_password_hash).value();
  CHECK(recheck.result == PasswordMatch::match);
  CHECK_FALSE(recheck.needs_rehash);
}

TEST_CASE("password lockout: the failure that reaches the limit is answered blocked") {
  Policy policy;
  policy.lockout_failures = 3;
  test::ManagerFixture f(policy);
  const auto hash = f.hasher->hash(SecretString("right")).value();
  CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  const auto third = f.manager.verify_password(password_request(hash, "wrong"));
  REQUIRE(third.error() == Errc::verification_blocked);
  CHECK(third.error().retry_after() == std::chrono::seconds(3600));
  CHECK(f.events->count(EventType::locked) == 1);

  SECTION("while blocked even the right password is refused") {
    CHECK(f.manager.verify_password(password_request(hash, "right")).error() == Errc::verification_blocked);
    f.clock->advance(3599s);
    CHECK(f.manager.verify_password(password_request(hash, "right")).error() == Errc::verification_blocked);
  }
  SECTION("the block ends after the lockout duration") {
    f.clock->advance(3600s);
    CHECK(f.manager.verify_password(password_request(hash, "right")).has_value());
  }
  SECTION("an operator can unblock; another user was never blocked") {
    CHECK(f.manager.verify_password(password_request(hash, "right", "u2")).has_value());
    REQUIRE(f.manager.unblock_user("u1").has_value());
    CHECK(f.events->count(EventType::unblocked) == 1);
    CHECK(f.manager.verify_password(password_request(hash, "right")).has_value());
    // Unblocking also forgot the failures: two more wrong answers do not lock again.
    CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
    CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  }
}

TEST_CASE("password failures roll out of the window and are not reset by a success") {
  Policy policy;
  policy.lockout_failures = 3;
  policy.lockout_window = 60s;
  test::ManagerFixture f(policy);
  const auto hash = f.hasher->hash(SecretString("right")).value();
  CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  CHECK(f.manager.verify_password(password_request(hash, "right")).has_value());
  CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  SECTION("a third failure inside the window locks") {
    CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::verification_blocked);
  }
  SECTION("after the first failure leaves the window, the third does not lock") {
    f.clock->advance(61s);
    CHECK(f.manager.verify_password(password_request(hash, "wrong")).error() == Errc::invalid_credentials);
  }
}

TEST_CASE("a record bound to a purpose carries it") {
  test::ManagerFixture f;
  const auto hash = f.hasher->hash(SecretString("pw")).value();
  auto request = password_request(hash, "pw");
  request.action = ActionBinding{"payment", "payee=ACME;amount=100.00EUR"};
  const auto result = f.manager.verify_password(request);
  REQUIRE(result.has_value());
  const auto record = f.store->find(result->record_id, f.clock->now()).value();
  CHECK(record->purpose == "payment");
  CHECK(record->binding_digest.has_value());
}

TEST_CASE("a right password whose hash ends after the block began is refused") {
  Policy policy;
  policy.lockout_failures = 3;
  HookedFixture h(policy);
  // The right guess passes the block check before hashing; while it waits, three wrong guesses
  // from other requests lock the user.
  h.hooked->during = [&] {
    for (int i = 0; i < 3; ++i) (void)h.f.manager.verify_password(password_request(h.hash, "wrong"));
  };
  const auto result = h.manager.verify_password(password_request(h.hash, "right"));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error() == Errc::verification_blocked);
  CHECK(result.error().retry_after() == std::chrono::seconds(3600));
  CHECK(h.f.events->count(EventType::record_created) == 0);
  CHECK(h.f.events->count(EventType::locked) == 1);
}

TEST_CASE("a password failure counts at the time its comparison ended") {
  Policy policy;
  policy.lockout_failures = 2;
  policy.lockout_window = 60s;
  HookedFixture h(policy);
  CHECK(h.f.manager.verify_password(password_request(h.hash, "wrong")).error() == Errc::invalid_credentials);
  // This hash waits 61 s: the first failure has left the window when the second is counted.
  h.hooked->during = [&] { h.f.clock->advance(61s); };
  CHECK(h.manager.verify_password(password_request(h.hash, "wrong")).error() == Errc::invalid_credentials);
  CHECK(h.f.events->count(EventType::locked) == 0);
}

TEST_CASE("a wrong password whose hash ends during a block gets no answer of its own") {
  // Were it counted instead, a lockout window shorter than the wait would let it answer
  // invalid_credentials while a right password answers blocked: an oracle through the block.
  Policy policy;
  policy.lockout_failures = 3;
  policy.lockout_window = 60s;
  HookedFixture h(policy);
  const auto guess = GENERATE(std::string("wrong"), std::string("right"));
  // While this guess hashes, three others lock the user; its hash ends after they left the window.
  h.hooked->during = [&] {
    for (int i = 0; i < 3; ++i) (void)h.f.manager.verify_password(password_request(h.hash, "wrong"));
    h.f.clock->advance(61s);
  };
  const auto result = h.manager.verify_password(password_request(h.hash, guess));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error() == Errc::verification_blocked);
  CHECK(h.f.events->count(EventType::record_created) == 0);
}

TEST_CASE("a clock that fails after the hash: a wrong password still counts, a right one is refused") {
  Policy policy;
  policy.lockout_failures = 3;
  HookedFixture h(policy);
  const Timestamp start = h.f.clock->now();
  const auto break_clock = [&] { h.f.clock->set(from_unix_ms(253'402'300'800'000)); };  // 9999-01-01: refused

  h.hooked->during = break_clock;
  CHECK(h.manager.verify_password(password_request(h.hash, "right")).error() == Errc::clock_unavailable);
  h.f.clock->set(start);
  CHECK(h.f.events->count(EventType::record_created) == 0);

  h.hooked->during = break_clock;
  CHECK(h.manager.verify_password(password_request(h.hash, "wrong")).error() == Errc::invalid_credentials);
  h.f.clock->set(start);
  // That failure was counted (at the time read before the hash): two more reach the limit of 3.
  CHECK(h.f.manager.verify_password(password_request(h.hash, "wrong")).error() == Errc::invalid_credentials);
  CHECK(h.f.manager.verify_password(password_request(h.hash, "wrong")).error() == Errc::verification_blocked);
}
