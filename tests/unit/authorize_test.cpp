#include <catch2/catch.hpp>

#include "manager_fixture.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {
std::string verified_password_record(test::ManagerFixture& f, std::string user = "u1", ActionBinding action = {}) {
  PasswordVerificationRequest r;
  r.user_id = std::move(user);
  r.password = SecretString("pw");
  r.stored_hash = f.hasher->hash(r.password).value();
  r.action = std::move(action);
  return f.manager.verify_password(r).value().record_id;
}

std::string verified_code_record(test::ManagerFixture& f, std::optional<TemplateType> type, bool owned = true) {
  SendCodeRequest r;
  r.user_id = "u1";
  r.identifier = Identifier::email("alice@example.com");
  if (owned) r.owned_identifiers.push_back(r.identifier);
  r.template_type = type;
  auto id = f.manager.send_code(r).value().record_id;
  REQUIRE(f.verify(id, f.sender->last_code()).has_value());
  return id;
}

Result<Authorization> authorize(test::ManagerFixture& f, const std::string& id, const std::string& user = "u1",
                                std::optional<ActionBinding> action = std::nullopt) {
  return f.manager.authorize(AuthorizeRequest{id, user, std::move(action)});
}
}  // namespace

TEST_CASE("step-up accepts a verified Password record of the caller, until expiry, many times") {
  test::ManagerFixture f;
  const auto id = verified_password_record(f);
  const auto first = authorize(f, id);
  REQUIRE(first.has_value());
  CHECK(first->kind == RecordKind::password);
  CHECK(authorize(f, id).has_value());
  f.clock->advance(599s);
  CHECK(authorize(f, id).has_value());
  f.clock->advance(1s);
  CHECK(authorize(f, id).error() == Errc::permission_denied);
}

TEST_CASE("step-up accepts a UserPermissionValidation code record, refuses BindMfa and BindNewIdentifier") {
  test::ManagerFixture f;
  CHECK(authorize(f, verified_code_record(f, std::nullopt)).has_value());
  CHECK(authorize(f, verified_code_record(f, TemplateType::bind_mfa)).error() == Errc::permission_denied);
  CHECK(authorize(f, verified_code_record(f, std::nullopt, false)).error() == Errc::permission_denied);
}

TEST_CASE("step-up refuses unverified, foreign, unknown and empty records") {
  test::ManagerFixture f;
  const auto unverified = f.send_email_code();
  CHECK(authorize(f, unverified).error() == Errc::permission_denied);
  const auto mine = verified_password_record(f);
  CHECK(authorize(f, mine, "u2").error() == Errc::permission_denied);
  CHECK(authorize(f, "doesnotexist000000000").error() == Errc::permission_denied);
  CHECK(authorize(f, "").error() == Errc::permission_denied);
  CHECK(authorize(f, mine, "").error() == Errc::permission_denied);
  CHECK(f.events->count(EventType::denied) == 5);
}

TEST_CASE("policy may cap the uses of a record") {
  Policy policy;
  policy.max_record_uses = 2;
  test::ManagerFixture f(policy);
  const auto id = verified_password_record(f);
  CHECK(authorize(f, id).has_value());
  CHECK(authorize(f, id).has_value());
  CHECK(authorize(f, id).error() == Errc::permission_denied);
}

TEST_CASE("a preview (count_use = false) counts no use and still refuses a spent record") {
  Policy policy;
  policy.max_record_uses = 1;
  test::ManagerFixture f(policy);
  const auto id = verified_password_record(f);
  AuthorizeRequest preview{id, "u1", std::nullopt};
  preview.count_use = false;
  CHECK(f.manager.authorize(preview).has_value());
  CHECK(f.manager.authorize(preview).has_value());
  CHECK(f.store->find(id, f.clock->now()).value()->use_count == 0);
  CHECK(authorize(f, id).has_value());  // the one real use
  CHECK(f.manager.authorize(preview).error() == Errc::permission_denied);
  CHECK(authorize(f, id).error() == Errc::permission_denied);
}

TEST_CASE("a record bound to one payment approves only that payment") {
  test::ManagerFixture f;
  const ActionBinding payment{"payment", "payee=ACME;amount=100.00EUR"};
  const auto id = verified_password_record(f, "u1", payment);
  CHECK(authorize(f, id, "u1", payment).has_value());
  CHECK(authorize(f, id, "u1", ActionBinding{"payment", "payee=EVIL;amount=100.00EUR"}).error() ==
        Errc::permission_denied);
  CHECK(authorize(f, id, "u1", ActionBinding{"payslip", payment.binding}).error() == Errc::permission_denied);
  // A bound record does not authorize an unbound action (e.g. a password change)...
  CHECK(authorize(f, id).error() == Errc::permission_denied);
  // ...and an unbound record does not authorize a bound one.
  const auto plain = verified_password_record(f);
  CHECK(authorize(f, plain, "u1", payment).error() == Errc::permission_denied);
}

TEST_CASE("the new-identifier record must be the caller's verified code for that value") {
  test::ManagerFixture f;
  const auto id = verified_code_record(f, std::nullopt, false);
  const AuthorizeRequest mine{id, "u1", std::nullopt};
  CHECK(f.manager.check_identifier_record(mine, Identifier::email("ALICE@example.com")).has_value());
  CHECK(f.manager.check_identifier_record(mine, Identifier::email("bob@example.com")).error() ==
        Errc::record_not_found);
  CHECK(f.manager.check_identifier_record(mine, Identifier::phone("123")).error() == Errc::record_not_found);
  CHECK(f.manager
            .check_identifier_record(AuthorizeRequest{id, "u2", std::nullopt}, Identifier::email("alice@example.com"))
            .error() == Errc::record_not_found);
  const auto unverified = f.send_email_code("u1", "carol@example.com", false);
  CHECK(f.manager
            .check_identifier_record(AuthorizeRequest{unverified, "u1", std::nullopt},
                                     Identifier::email("carol@example.com"))
            .error() == Errc::record_not_found);
}
