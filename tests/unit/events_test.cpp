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
