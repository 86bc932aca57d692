#include <catch2/catch.hpp>

#include "manager_fixture.hpp"

using namespace reverify;
using namespace std::chrono_literals;

TEST_CASE("the right code verifies the record once") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  CHECK(f.verify(id, code).value() == id);
  CHECK(f.store->find(id, f.clock->now()).value()->verified);
  CHECK(f.events->count(EventType::verified) == 1);
  SECTION("verifying again is verification_code.not_found and spends nothing") {
    CHECK(f.verify(id, code).error() == Errc::code_not_found);
    CHECK(f.store->find(id, f.clock->now()).value()->attempts == 1);
  }
}

TEST_CASE("identifiers compare in normalised form") {
  test::ManagerFixture f;
  const auto id = f.send_email_code("u1", "Alice@Example.com");
  CHECK(f.verify(id, f.sender->last_code(), "u1", "  alice@EXAMPLE.com").value() == id);
}

TEST_CASE("checks run in Logto's order") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();

  SECTION("missing record") { CHECK(f.verify("nonexistentrecordid00", code).error() == Errc::record_not_found); }
  SECTION("another owner: not found, and no attempt spent") {
    CHECK(f.verify(id, code, "u2").error() == Errc::record_not_found);
    CHECK(f.store->find(id, f.clock->now()).value()->attempts == 0);
  }
  SECTION("another kind: a phone identifier on an email record") {
    VerifyCodeRequest r;
    r.record_id = id;
    r.identifier = Identifier::phone("15550001111");
    r.code = SecretString(code);
    r.user_id = "u1";
    CHECK(f.manager.verify_code(r).error() == Errc::record_not_found);
  }
  SECTION("expired record") {
    f.clock->advance(600s);
    CHECK(f.verify(id, code).error() == Errc::record_not_found);
  }
  SECTION("empty code: not found, no attempt spent") {
    CHECK(f.verify(id, "").error() == Errc::code_not_found);
    CHECK(f.store->find(id, f.clock->now()).value()->attempts == 0);
  }
  SECTION("identifier differs: email_mismatch, before any attempt") {
    CHECK(f.verify(id, code, "u1", "mallory@example.com").error() == Errc::email_mismatch);
    CHECK(f.store->find(id, f.clock->now()).value()->attempts == 0);
  }
  SECTION("malformed identifier is invalid input") {
    CHECK(f.verify(id, code, "u1", "nope").error() == Errc::invalid_input);
  }
}

TEST_CASE("phone mismatch names the phone") {
  test::ManagerFixture f;
  SendCodeRequest r;
  r.user_id = "u1";
  r.identifier = Identifier::phone("15550001111");
  r.owned_identifiers.push_back(r.identifier);
  const auto id = f.manager.send_code(r).value().record_id;
  VerifyCodeRequest v;
  v.record_id = id;
  v.identifier = Identifier::phone("15550002222");
  v.code = SecretString(f.sender->last_code());
  v.user_id = "u1";
  CHECK(f.manager.verify_code(v).error() == Errc::phone_mismatch);
  v.identifier = Identifier::phone("+1 555-000-1111");
  CHECK(f.manager.verify_code(v).value() == id);
}

TEST_CASE("code expiry is exact: valid at the boundary, expired one millisecond later") {
  Policy policy;
  policy.code_ttl = 60s;
  test::ManagerFixture f(policy);
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  f.clock->advance(60s);
  SECTION("at the boundary") { CHECK(f.verify(id, code).value() == id); }
  SECTION("after it") {
    f.clock->advance(1ms);
    CHECK(f.verify(id, code).error() == Errc::code_expired);
  }
}

TEST_CASE("ten wrong codes, then even the right one is exceed_max_try") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  for (int i = 0; i < 10; ++i) CHECK(f.verify(id, test::wrong_code(code)).error() == Errc::code_mismatch);
  CHECK(f.verify(id, code).error() == Errc::code_exceed_max_try);
  CHECK(f.verify(id, test::wrong_code(code)).error() == Errc::code_exceed_max_try);
  CHECK(f.store->find(id, f.clock->now()).value()->attempts == 10);
}

TEST_CASE("nine wrong codes, then the right one verifies") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  for (int i = 0; i < 9; ++i) CHECK(f.verify(id, test::wrong_code(code)).error() == Errc::code_mismatch);
  CHECK(f.verify(id, code).value() == id);
}

TEST_CASE("code lockout is per normalised identifier and spans records") {
  Policy policy;
  policy.lockout_failures = 4;
  policy.max_code_attempts = 2;
  test::ManagerFixture f(policy);
  const auto first = f.send_email_code();
  const auto first_code = f.sender->last_code();
  CHECK(f.verify(first, test::wrong_code(first_code)).error() == Errc::code_mismatch);
  CHECK(f.verify(first, test::wrong_code(first_code)).error() == Errc::code_mismatch);
  // A try on an exhausted code is a failure too.
  CHECK(f.verify(first, first_code).error() == Errc::code_exceed_max_try);
  // Sending a new code does not reset failures.
  const auto second = f.send_email_code("u1", "ALICE@example.com");
  const auto second_code = f.sender->last_code();
  CHECK(f.verify(second, test::wrong_code(second_code), "u1", "ALICE@example.com").error() ==
        Errc::verification_blocked);
  CHECK(f.verify(second, second_code, "u1", "ALICE@example.com").error() == Errc::verification_blocked);
  CHECK(f.events->count(EventType::locked) == 1);
  SECTION("other identifiers are unaffected") {
    const auto other = f.send_email_code("u1", "bob@example.com");
    CHECK(f.verify(other, f.sender->last_code(), "u1", "bob@example.com").value() == other);
  }
  SECTION("unblock_identifier lifts it") {
    REQUIRE(f.manager.unblock_identifier(Identifier::email("Alice@Example.com")).has_value());
    CHECK(f.verify(second, second_code, "u1", "alice@example.com").value() == second);
  }
}

TEST_CASE("a code made with a rotated-out pepper still verifies while that pepper is configured") {
  auto store = std::make_shared<MemoryStore>();
  auto clock = std::make_shared<ManualClock>();
  auto sender = std::make_shared<test::RecordingSender>();
  const Pepper old_pepper = Pepper::random(1);
  auto make = [&](std::vector<Pepper> peppers) {
    Dependencies deps;
    deps.store = store;
    deps.hasher = test::cheap_hasher();
    deps.sender = sender;
    deps.clock = clock;
    deps.peppers.peppers = std::move(peppers);
    return VerificationManager::create(Policy{}, std::move(deps)).value();
  };
  const auto before = make({old_pepper});
  SendCodeRequest r;
  r.user_id = "u1";
  r.identifier = Identifier::email("a@b.co");
  const auto id = before.send_code(r).value().record_id;
  const auto code = sender->last_code();

  VerifyCodeRequest v;
  v.record_id = id;
  v.identifier = r.identifier;
  v.code = SecretString(code);
  v.user_id = "u1";
  SECTION("rotated: new pepper first, old one kept") {
    const auto after = make({Pepper::random(2), old_pepper});
    CHECK(after.verify_code(v).value() == id);
  }
  SECTION("old pepper dropped: the code can no longer verify") {
    const auto after = make({Pepper::random(2)});
    CHECK_FALSE(after.verify_code(v).has_value());
  }
}

namespace {
/// A store that answers check_code with a status no contract version defines.
class GarbledCheckStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<CheckResult> check_code(const CodeCheck& check) override {
    auto result = StoreWrapper::check_code(check);
    if (result) result->status = static_cast<CheckStatus>(200);
    return result;
  }
};
}  // namespace

TEST_CASE("a store answering an unknown check status is store_unavailable, never verified") {
  test::ManagerFixture f(Policy{}, std::make_shared<GarbledCheckStore>(std::make_shared<MemoryStore>()));
  const auto id = f.send_email_code();
  const auto answer = f.verify(id, f.sender->last_code());
  REQUIRE_FALSE(answer.has_value());
  CHECK(answer.error() == Errc::store_unavailable);
  CHECK(f.events->count(EventType::verified) == 0);
}
