#include <catch2/catch.hpp>

#include "manager_fixture.hpp"

using namespace reverify;

TEST_CASE("events report lifecycle steps with ids, kinds and reasons") {
  test::ManagerFixture f;
  const auto id = f.send_email_code();
  const auto code = f.sender->last_code();
  CHECK(f.verify(id, test::wrong_code(code)).error() == Errc::code_mismatch);
  CHECK(f.verify(id, code).has_value());
  CHECK(f.manager.authorize(AuthorizeRequest{id, "u1", std::nullopt}).has_value());
  CHECK(f.manager.authorize(AuthorizeRequest{id, "u2", std::nullopt}).error() == Errc::permission_denied);

  const auto events = f.events->events();
  REQUIRE(events.size() == 5);
  CHECK(events[0].type == EventType::record_created);
  CHECK(events[0].record_id == id);
  CHECK(events[0].kind == RecordKind::email_verification_code);
  CHECK(events[1].type == EventType::failed);
  CHECK(events[1].reason == Errc::code_mismatch);
  CHECK(events[1].target == "lock:email:alice@example.com");
  CHECK(events[2].type == EventType::verified);
  CHECK(events[3].type == EventType::authorized);
  CHECK(events[4].type == EventType::denied);
  CHECK(events[4].user_id == "u2");
  for (const auto& e : events) CHECK(e.at == f.clock->now());
  CHECK(to_string(events[1]).find("verification_code.code_mismatch") != std::string::npos);
}

// Keys carry the identifier's own type: a phone's send window and lockout are "send:phone:…" and
// "lock:phone:…", and unblock_identifier of a phone lifts the phone's block, not an e-mail's.
TEST_CASE("a phone's keys name the phone: rate limit, lockout and unblock") {
  Policy policy;
  policy.send_limit = 1;
  policy.lockout_failures = 1;
  test::ManagerFixture f(policy);
  SendCodeRequest send;
  send.user_id = "u1";
  send.identifier = Identifier::phone("+1 555-000-1111");
  send.owned_identifiers = {send.identifier};
  const auto id = f.manager.send_code(send).value().record_id;
  const std::string code = f.sender->last_code();
  CHECK(f.manager.send_code(send).error() == Errc::message_rate_limited);

  VerifyCodeRequest verify;
  verify.record_id = id;
  verify.user_id = "u1";
  verify.identifier = Identifier::phone("15550001111");
  verify.code = SecretString(test::wrong_code(code));
  CHECK(f.manager.verify_code(verify).error() == Errc::verification_blocked);  // the failure that reaches the limit
  verify.code = SecretString(code);
  CHECK(f.manager.verify_code(verify).error() == Errc::verification_blocked);

  // An e-mail whose text is the same digits is another key: unblocking it changes nothing.
  REQUIRE(f.manager.unblock_identifier(Identifier::email("15550001111@example.com")).has_value());
  CHECK(f.manager.verify_code(verify).error() == Errc::verification_blocked);
  REQUIRE(f.manager.unblock_identifier(Identifier::phone("+1-555-000-1111")).has_value());
  CHECK(f.manager.verify_code(verify).value() == id);

  std::vector<std::string> targets;
  for (const auto& e : f.events->events()) {
    if (e.type == EventType::rate_limited || e.type == EventType::locked || e.type == EventType::unblocked) {
      targets.push_back(e.target);
    }
  }
  CHECK(targets == std::vector<std::string>{"send:phone:15550001111", "lock:phone:15550001111",
                                            "lock:email:15550001111@example.com", "lock:phone:15550001111"});
}
