// Invariant 2: a store, hasher, clock or sender error never yields "verified" or "authorized".
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "manager_fixture.hpp"
#include "reverify/testing/faulty_store.hpp"

using namespace reverify;
using reverify::testing::FaultMode;
using reverify::testing::FaultyStore;
using reverify::testing::StoreOp;

namespace {

bool is_typed_failure(const Error& e) {
  switch (e.code()) {
    case Errc::store_unavailable:
    case Errc::record_not_found:
    case Errc::code_not_found:
    case Errc::permission_denied:
      return true;
    default:
      return false;
  }
}

PasswordVerificationRequest password_request(const char* user, const char* password, const std::string& hash,
                                             ActionBinding action = {}) {
  PasswordVerificationRequest request;
  request.user_id = user;
  request.password = SecretString(password);
  request.stored_hash = hash;
  request.action = std::move(action);
  return request;
}

}  // namespace

TEST_CASE("every store operation failing, one at a time, never yields verified or authorized") {
  for (const auto op : FaultyStore::all_ops) {
    for (const auto mode : {FaultMode::error, FaultMode::throw_exception}) {
      auto faulty = std::make_shared<FaultyStore>(std::make_shared<MemoryStore>());
      Policy policy;
      policy.max_record_uses = 5;   // so that authorize calls use as well as find
      policy.lockout_failures = 3;  // so that locking u2 out costs few hashes
      test::ManagerFixture f(policy, faulty);

      // Prepare, fault-free: a sent code; a verified code for a new identifier; a verified
      // password record, and one bound to an action; and user u2 locked out by wrong passwords.
      const auto code_record = f.send_email_code();
      const auto code = f.sender->code_for(code_record);
      const auto new_identifier_record = f.send_email_code("u1", "new@example.com", false);
      REQUIRE(f.verify(new_identifier_record, f.sender->code_for(new_identifier_record), "u1", "new@example.com"));
      const std::string hash = f.hasher->hash(SecretString("pw")).value();
      const auto password_record = f.manager.verify_password(password_request("u1", "pw", hash)).value().record_id;
      const ActionBinding payment{"payment", "payee=acme;amount=10"};
      const auto bound_record =
          f.manager.verify_password(password_request("u1", "pw", hash, payment)).value().record_id;
      for (std::uint32_t i = 0; i < policy.lockout_failures; ++i) {
        (void)f.manager.verify_password(password_request("u2", "wrong", hash));
      }
      REQUIRE(f.store->blocked_until("lock:pw:u2", f.clock->now()).value().has_value());

      faulty->reset_calls();
      faulty->set_fault(op, mode);
      INFO("operation " << reverify::testing::to_string(op) << " mode " << static_cast<int>(mode));

      // A wrong code is refused whatever fails (the store counts its failure inside check_code).
      const auto mistyped = f.verify(code_record, test::wrong_code(code));
      REQUIRE_FALSE(mistyped.has_value());
      CHECK(mistyped.error() == (op == StoreOp::check_code ? Errc::store_unavailable : Errc::code_mismatch));

      faulty->reset_calls();
      const auto verified = f.verify(code_record, code);
      // The ops each path cannot do without must make it fail (so the loop proves something).
      if (op == StoreOp::check_code) CHECK_FALSE(verified.has_value());
      if (verified) {
        // Only an operation the verify path does not use may fail without effect.
        CHECK(faulty->calls(op) == 0);
      } else {
        CHECK(is_typed_failure(verified.error()));
      }
      faulty->reset_calls();
      const auto authorized = f.manager.authorize(AuthorizeRequest{password_record, "u1", std::nullopt});
      if (op == StoreOp::find || op == StoreOp::use) CHECK_FALSE(authorized.has_value());
      if (authorized) {
        CHECK(faulty->calls(op) == 0);
      } else {
        CHECK(is_typed_failure(authorized.error()));
      }
      faulty->reset_calls();
      const auto bound = f.manager.authorize(AuthorizeRequest{bound_record, "u1", payment});
      if (op == StoreOp::find || op == StoreOp::use) CHECK_FALSE(bound.has_value());
      if (bound) {
        CHECK(faulty->calls(op) == 0);
      } else {
        CHECK(bound.error() == Errc::store_unavailable);
      }
      faulty->reset_calls();
      const auto identified = f.manager.check_identifier_record(
          AuthorizeRequest{new_identifier_record, "u1", std::nullopt}, Identifier::email("new@example.com"));
      if (op == StoreOp::find) CHECK_FALSE(identified.has_value());
      if (identified) {
        CHECK(faulty->calls(op) == 0);
      } else {
        CHECK(identified.error() == Errc::store_unavailable);
      }

      // Passwords: a right one reads blocked_until and inserts; a wrong one also counts a failure.
      faulty->reset_calls();
      const auto opened = f.manager.verify_password(password_request("u1", "pw", hash));
      if (op == StoreOp::blocked_until || op == StoreOp::insert) CHECK_FALSE(opened.has_value());
      if (opened) {
        CHECK(faulty->calls(op) == 0);
      } else {
        CHECK(opened.error() == Errc::store_unavailable);
      }
      // u2 is blocked: a manager that took a failing blocked_until for "not blocked" would verify.
      const auto blocked = f.manager.verify_password(password_request("u2", "pw", hash));
      REQUIRE_FALSE(blocked.has_value());
      CHECK(blocked.error() == (op == StoreOp::blocked_until ? Errc::store_unavailable : Errc::verification_blocked));
      const auto guessed = f.manager.verify_password(password_request("u1", "wrong", hash));
      REQUIRE_FALSE(guessed.has_value());
      const bool guess_fails_closed = op == StoreOp::blocked_until || op == StoreOp::count_failure;
      CHECK(guessed.error() == (guess_fails_closed ? Errc::store_unavailable : Errc::invalid_credentials));

      // With the fault cleared, whatever was left behind is not usable unless it was really verified.
      faulty->clear_faults();
      if (!verified) {
        const auto again = f.manager.authorize(AuthorizeRequest{code_record, "u1", std::nullopt});
        const auto record = f.store->find(code_record, f.clock->now()).value();
        CHECK(again.has_value() == (record && record->verified));
      }
    }
  }
}

TEST_CASE("a failing store during send leaves no usable record") {
  for (const auto mode : {FaultMode::error, FaultMode::throw_exception}) {
    auto memory = std::make_shared<MemoryStore>();
    auto faulty = std::make_shared<FaultyStore>(memory);
    test::ManagerFixture f(Policy{}, faulty);
    faulty->set_fault(StoreOp::open_code, mode);
    SendCodeRequest r;
    r.user_id = "u1";
    r.identifier = Identifier::email("a@b.co");
    const auto sent = f.manager.send_code(r);
    REQUIRE_FALSE(sent.has_value());
    CHECK(sent.error() == Errc::store_unavailable);
    // Nothing delivered and nothing stored: no code exists that anyone could verify.
    CHECK(f.sender->messages().empty());
    CHECK(memory->record_count() == 0);
  }
}

TEST_CASE("a failed delivery whose cancel_code also fails is still a failed send") {
  for (const auto mode : {FaultMode::error, FaultMode::throw_exception}) {
    auto faulty = std::make_shared<FaultyStore>(std::make_shared<MemoryStore>());
    test::ManagerFixture f(Policy{}, faulty);
    f.sender->fail_with(Errc::sender_unavailable);
    faulty->set_fault(StoreOp::cancel_code, mode);
    SendCodeRequest r;
    r.user_id = "u1";
    r.identifier = Identifier::email("a@b.co");
    const auto sent = f.manager.send_code(r);
    REQUIRE_FALSE(sent.has_value());
    CHECK((sent.error() == Errc::sender_unavailable || sent.error() == Errc::store_unavailable));
    CHECK(faulty->calls(StoreOp::open_code) == 1);
    CHECK(faulty->calls(StoreOp::cancel_code) == 1);
    CHECK(f.sender->messages().empty());
  }
}

namespace {
class ThrowingClock final : public Clock {
 public:
  Timestamp now() override { throw std::runtime_error("clock broke"); }
};

class FailingHasher final : public PasswordHasher {
 public:
  explicit FailingHasher(bool do_throw) : throw_(do_throw) {}
  Result<std::string> hash(const SecretString& /*password*/) override { return fail(Errc::hasher_unavailable); }
  Result<PasswordCheck> verify(const SecretString& /*password*/,
                               std::optional<std::string_view> /*stored_hash*/) override {
    if (throw_) throw std::bad_alloc();
    return fail(Errc::internal, "out of memory");
  }

 private:
  bool throw_;
};
}  // namespace

TEST_CASE("a throwing clock is clock_unavailable everywhere") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  Dependencies deps;
  deps.store = f.store;
  deps.hasher = f.hasher;
  deps.sender = f.sender;
  deps.clock = std::make_shared<ThrowingClock>();
  deps.peppers.peppers.push_back(Pepper::random(1));
  const auto broken = VerificationManager::create(Policy{}, std::move(deps)).value();
  VerifyCodeRequest v;
  v.record_id = id;
  v.identifier = Identifier::email("alice@example.com");
  v.code = SecretString(code);
  v.user_id = "u1";
  CHECK(broken.verify_code(v).error() == Errc::clock_unavailable);
  CHECK(broken.authorize(AuthorizeRequest{id, "u1", std::nullopt}).error() == Errc::clock_unavailable);
  SendCodeRequest s;
  s.user_id = "u1";
  s.identifier = Identifier::email("a@b.co");
  CHECK(broken.send_code(s).error() == Errc::clock_unavailable);
}

TEST_CASE("a failing or throwing hasher is hasher_unavailable, never verified") {
  for (const bool do_throw : {false, true}) {
    test::ManagerFixture f;
    const auto broken = f.with_hasher(Policy{}, std::make_shared<FailingHasher>(do_throw));
    PasswordVerificationRequest pw;
    pw.user_id = "u1";
    pw.password = SecretString("pw");
    pw.stored_hash = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    CHECK(broken.verify_password(pw).error() == Errc::hasher_unavailable);
  }
}

TEST_CASE("a throwing event sink changes no answer") {
  test::ManagerFixture f;
  Dependencies deps;
  deps.store = f.store;
  deps.hasher = f.hasher;
  deps.sender = f.sender;
  deps.clock = f.clock;
  deps.events = std::make_shared<CallbackEventSink>([](const Event&) { throw std::runtime_error("sink down"); });
  deps.peppers.peppers.push_back(Pepper::random(1));
  const auto manager = VerificationManager::create(Policy{}, std::move(deps)).value();
  SendCodeRequest s;
  s.user_id = "u1";
  s.identifier = Identifier::email("a@b.co");
  const auto id = manager.send_code(s).value().record_id;
  VerifyCodeRequest v;
  v.record_id = id;
  v.identifier = s.identifier;
  v.code = SecretString(f.sender->last_code());
  v.user_id = "u1";
  CHECK(manager.verify_code(v).value() == id);
}
