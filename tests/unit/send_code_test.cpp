#include <catch2/catch.hpp>

#include "manager_fixture.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {
SendCodeRequest email_request(std::string email, std::vector<Identifier> owned = {},
                              std::optional<TemplateType> type = std::nullopt) {
  SendCodeRequest r;
  r.user_id = "u1";
  r.identifier = Identifier::email(std::move(email));
  r.owned_identifiers = std::move(owned);
  r.template_type = type;
  return r;
}
}  // namespace

TEST_CASE("sending a code delivers it and stores only its digest") {
  test::ManagerFixture f;
  const auto sent = f.manager.send_code(email_request("Alice@Example.com", {Identifier::email("alice@example.com")}));
  REQUIRE(sent.has_value());
  CHECK(sent->template_type == TemplateType::user_permission_validation);
  CHECK(sent->expires_at == f.clock->now() + 600s);
  const auto messages = f.sender->messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].to == "Alice@Example.com");  // sent to as given
  CHECK(messages[0].code.size() == 6);
  CHECK(messages[0].record_id == sent->record_id);
  const auto record = f.store->find(sent->record_id, f.clock->now()).value().value();
  CHECK(record.identifier == "Alice@Example.com");
  CHECK(record.identifier_key == "alice@example.com");
  CHECK(record.code_digest.has_value());
  CHECK_FALSE(record.verified);
  CHECK(record.kind == RecordKind::email_verification_code);
}

TEST_CASE("template: UserPermissionValidation by default, BindMfa on request, BindNewIdentifier forced") {
  test::ManagerFixture f;
  const std::vector<Identifier> owned = {Identifier::email("alice@example.com"), Identifier::phone("15550001111")};
  CHECK(f.manager.send_code(email_request("alice@example.com", owned)).value().template_type ==
        TemplateType::user_permission_validation);
  CHECK(f.manager.send_code(email_request("alice@example.com", owned, TemplateType::bind_mfa)).value().template_type ==
        TemplateType::bind_mfa);
  CHECK(f.manager.send_code(email_request("new@example.com", owned, TemplateType::bind_mfa)).value().template_type ==
        TemplateType::bind_new_identifier);
  // Owned is decided on normalised forms: another spelling of an owned address is owned, and the
  // same raw text of another type is not.
  CHECK(f.manager.send_code(email_request(" ALICE@Example.com", owned)).value().template_type ==
        TemplateType::user_permission_validation);
  CHECK(f.manager.send_code(email_request("alice@example.com", {Identifier::phone("alice@example.com")}))
            .value()
            .template_type == TemplateType::bind_new_identifier);
  SendCodeRequest phone;
  phone.user_id = "u1";
  phone.identifier = Identifier::phone("+1 555-000-1111");
  phone.owned_identifiers = owned;
  const auto sent = f.manager.send_code(phone);
  REQUIRE(sent.has_value());
  CHECK(sent->template_type == TemplateType::user_permission_validation);
  CHECK(f.sender->messages().back().channel == IdentifierType::phone);
  // An email the user owns does not make the same digits as a phone "owned".
  CHECK(f.manager.send_code(email_request("alice@example.com", owned, TemplateType::bind_new_identifier)).error() ==
        Errc::invalid_input);
}

TEST_CASE("bad identifiers are invalid input and send nothing") {
  test::ManagerFixture f;
  CHECK(f.manager.send_code(email_request("not-an-email")).error() == Errc::invalid_input);
  SendCodeRequest r = email_request("a@b.co");
  r.user_id.clear();
  CHECK(f.manager.send_code(r).error() == Errc::invalid_input);
  // Padding that normalises away is refused before anything is stored, not by the store's size
  // limit (which would answer store_unavailable, as if the store were down).
  SendCodeRequest padded;
  padded.user_id = "u1";
  padded.identifier = Identifier::phone("1" + std::string(70'000, '-'));
  CHECK(f.manager.send_code(padded).error() == Errc::invalid_input);
  CHECK(f.sender->messages().empty());
  CHECK(std::static_pointer_cast<MemoryStore>(f.store)->record_count() == 0);
}

TEST_CASE("per-recipient send limit: 10 per rolling 600 s, by normalised identifier") {
  test::ManagerFixture f;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(f.manager.send_code(email_request(i % 2 ? "ALICE@example.com" : "alice@example.com")).has_value());
    f.clock->advance(1s);
  }
  const auto eleventh = f.manager.send_code(email_request(" Alice@Example.COM "));
  REQUIRE(eleventh.error() == Errc::message_rate_limited);
  CHECK(eleventh.error().retry_after() == 590s);
  CHECK(f.sender->messages().size() == 10);
  CHECK(f.events->count(EventType::rate_limited) == 1);
  CHECK(f.manager.send_code(email_request("bob@example.com")).has_value());
  f.clock->advance(590s);  // the first send leaves the window
  CHECK(f.manager.send_code(email_request("alice@example.com")).has_value());
  CHECK(f.manager.send_code(email_request("alice@example.com")).error() == Errc::message_rate_limited);
}

TEST_CASE("a failed send leaves no record and does not count") {
  Policy policy;
  policy.send_limit = 1;
  test::ManagerFixture f(policy);
  f.sender->fail_with(Errc::sender_unavailable);
  CHECK(f.manager.send_code(email_request("a@b.co")).error() == Errc::sender_unavailable);
  f.sender->fail_with(Errc::connector_not_found);
  CHECK(f.manager.send_code(email_request("a@b.co")).error() == Errc::connector_not_found);
  f.sender->fail_with(Errc::code_mismatch);  // a foreign code from host code is still "sender unavailable"
  CHECK(f.manager.send_code(email_request("a@b.co")).error() == Errc::sender_unavailable);
  f.sender->fail_with(Errc::invalid_input);  // a recipient the channel cannot address: the caller's input
  CHECK(f.manager.send_code(email_request("a@b.co")).error() == Errc::invalid_input);
  f.sender->fail_with(std::nullopt);
  f.sender->throw_on_send(true);
  const auto thrown = f.manager.send_code(email_request("a@b.co"));
  CHECK(thrown.error() == Errc::sender_unavailable);
  f.sender->throw_on_send(false);
  CHECK(std::static_pointer_cast<MemoryStore>(f.store)->record_count() == 0);
  // None of the five failures counted against the limit of one.
  CHECK(f.manager.send_code(email_request("a@b.co")).has_value());
  CHECK(f.manager.send_code(email_request("a@b.co")).error() == Errc::message_rate_limited);
}

TEST_CASE("a new code retires the previous unverified code of the same slot") {
  test::ManagerFixture f;
  const auto first = f.send_email_code();
  const auto first_code = f.sender->last_code();
  const auto second = f.send_email_code();
  const auto second_code = f.sender->last_code();
  CHECK(f.verify(first, first_code).error() == Errc::record_not_found);
  CHECK(f.verify(second, second_code).value() == second);
}

TEST_CASE("a new code of another template or identifier leaves the earlier one live") {
  test::ManagerFixture f;
  const auto first = f.send_email_code();
  const auto first_code = f.sender->last_code();
  (void)f.send_email_code("u1", "other@example.com");
  SendCodeRequest mfa =
      email_request("alice@example.com", {Identifier::email("alice@example.com")}, TemplateType::bind_mfa);
  REQUIRE(f.manager.send_code(mfa).has_value());
  CHECK(f.verify(first, first_code).value() == first);
}

TEST_CASE("policy can keep Logto's behaviour: earlier codes stay live") {
  Policy policy;
  policy.retire_previous_codes = false;
  test::ManagerFixture f(policy);
  const auto first = f.send_email_code();
  const auto first_code = f.sender->last_code();
  (void)f.send_email_code();
  CHECK(f.verify(first, first_code).value() == first);
}

TEST_CASE("code lifetime is bounded by the record lifetime") {
  Policy policy;
  policy.code_ttl = 3600s;
  policy.record_ttl = 60s;
  test::ManagerFixture f(policy);
  const auto sent = f.manager.send_code(email_request("a@b.co", {Identifier::email("a@b.co")})).value();
  CHECK(sent.expires_at == f.clock->now() + 60s);
  CHECK(sent.code_expires_at == sent.expires_at);
}
