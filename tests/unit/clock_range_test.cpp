// A clock reading outside the range the manager can compute with (1970 to year 9999) is
// clock_unavailable: adding a lifetime to a reading near the end of the 64-bit range would
// overflow, and a reading before 1970 or after 9999 is a broken clock, not a time to trust.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "manager_fixture.hpp"
#include "reverify/reverify.hpp"

using namespace reverify;

namespace {

// 9999-01-01T00:00:00Z, the first reading refused at the top of the range.
constexpr std::int64_t year_9999_ms = 253'370'764'800'000;

struct Readings {
  std::int64_t ms;
  const char* what;
};

constexpr Readings out_of_range[] = {
    {std::numeric_limits<std::int64_t>::max(), "the largest reading"},
    {std::numeric_limits<std::int64_t>::max() - 1'000, "a reading a second before the largest"},
    {year_9999_ms, "9999-01-01"},
    {-1, "a millisecond before 1970"},
    {std::numeric_limits<std::int64_t>::min(), "the smallest reading"},
};

}  // namespace

TEST_CASE("every operation that reads the clock refuses a reading outside 1970..9999 as clock_unavailable") {
  for (const auto& reading : out_of_range) {
    INFO(reading.what);
    test::ManagerFixture f;
    const auto id = f.send_email_code();
    const auto code = f.sender->last_code();
    PasswordVerificationRequest pw;
    pw.user_id = "u1";
    pw.password = SecretString("correct horse");
    pw.stored_hash = f.hasher->hash(SecretString("correct horse")).value();
    const auto password_record = f.manager.verify_password(pw).value().record_id;

    f.clock->set(from_unix_ms(reading.ms));
    const auto sent = f.manager.send_code([] {
      SendCodeRequest s;
      s.user_id = "u1";
      s.identifier = Identifier::email("alice@example.com");
      return s;
    }());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::clock_unavailable);
    const auto verified = f.verify(id, code);
    REQUIRE_FALSE(verified);
    CHECK(verified.error() == Errc::clock_unavailable);
    const auto password = f.manager.verify_password(pw);
    REQUIRE_FALSE(password);
    CHECK(password.error() == Errc::clock_unavailable);
    const auto authorized = f.manager.authorize(AuthorizeRequest{password_record, "u1", std::nullopt});
    REQUIRE_FALSE(authorized);
    CHECK(authorized.error() == Errc::clock_unavailable);
    const auto identifier_record = f.manager.check_identifier_record(AuthorizeRequest{id, "u1", std::nullopt},
                                                                     Identifier::email("alice@example.com"));
    REQUIRE_FALSE(identifier_record);
    CHECK(identifier_record.error() == Errc::clock_unavailable);
    // A reading far ahead would otherwise make every record look expired and purge them all.
    const auto purged = f.manager.purge_expired();
    REQUIRE_FALSE(purged);
    CHECK(purged.error() == Errc::clock_unavailable);
    CHECK(f.sender->messages().size() == 1);

    // Back in range, the records opened before are still there and the code still works.
    f.clock->set(ManualClock().now());
    CHECK(f.verify(id, code).has_value());
    CHECK(f.manager.authorize(AuthorizeRequest{password_record, "u1", std::nullopt}).has_value());
    CHECK(f.manager
              .check_identifier_record(AuthorizeRequest{id, "u1", std::nullopt}, Identifier::email("alice@example.com"))
              .has_value());
  }
}

TEST_CASE("the ends of the clock's range are accepted") {
  for (const std::int64_t ms : {std::int64_t{0}, year_9999_ms - 1}) {
    INFO(ms);
    test::ManagerFixture f;
    f.clock->set(from_unix_ms(ms));
    const auto id = f.send_email_code();
    CHECK(f.verify(id, f.sender->last_code()).has_value());
    CHECK(f.manager.authorize(AuthorizeRequest{id, "u1", std::nullopt}).has_value());
  }
}

TEST_CASE("the clock_unavailable message for an out-of-range reading names no time") {
  test::ManagerFixture f;
  f.clock->set(from_unix_ms(year_9999_ms + 12'345));
  SendCodeRequest s;
  s.user_id = "u1";
  s.identifier = Identifier::email("alice@example.com");
  const auto sent = f.manager.send_code(s);
  REQUIRE_FALSE(sent);
  CHECK(sent.error().message() == "the clock read a time outside 1970-01-01..9999-01-01");
}
