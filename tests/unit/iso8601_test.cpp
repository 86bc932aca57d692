// to_iso8601 for every millisecond count a Timestamp holds, read back and checked against the test
// support's own calendar reckoning (tests/support/iso8601_reading.hpp, civil_days.hpp) rather than
// against a second copy of the library's arithmetic.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "civil_days.hpp"
#include "iso8601_reading.hpp"
#include "reverify/clock.hpp"

using reverify::from_unix_ms;
using reverify::to_iso8601;

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

/// The text read back names `ms` exactly; on a failure Catch shows why it does not.
void check_against_reckoning(std::int64_t ms) {
  const std::string text = to_iso8601(from_unix_ms(ms));
  INFO(ms << " -> " << text);
  const char* why = reverify::test::iso8601_mismatch(text, ms);
  INFO((why == nullptr ? "" : why));
  REQUIRE(why == nullptr);
}

}  // namespace

TEST_CASE("to_iso8601 writes known instants as JavaScript's toISOString does") {
  CHECK(to_iso8601(from_unix_ms(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(to_iso8601(from_unix_ms(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(to_iso8601(from_unix_ms(951'782'400'000)) == "2000-02-29T00:00:00.000Z");
  CHECK(to_iso8601(from_unix_ms(1'787'314'200'123)) == "2026-08-21T12:10:00.123Z");
  CHECK(to_iso8601(from_unix_ms(253'402'300'799'999)) == "9999-12-31T23:59:59.999Z");
  CHECK(to_iso8601(from_unix_ms(253'402'300'800'000)) == "+010000-01-01T00:00:00.000Z");
  CHECK(to_iso8601(from_unix_ms(-62'167'219'200'000)) == "0000-01-01T00:00:00.000Z");
  CHECK(to_iso8601(from_unix_ms(-62'167'219'200'001)) == "-000001-12-31T23:59:59.999Z");
  CHECK(to_iso8601(from_unix_ms(8'640'000'000'000'000)) == "+275760-09-13T00:00:00.000Z");
  CHECK(to_iso8601(from_unix_ms(-8'640'000'000'000'000)) == "-271821-04-20T00:00:00.000Z");
}

TEST_CASE("to_iso8601 covers the whole 64-bit range without giving up") {
  CHECK(to_iso8601(from_unix_ms(std::numeric_limits<std::int64_t>::max())) == "+292278994-08-17T07:12:55.807Z");
  CHECK(to_iso8601(from_unix_ms(std::numeric_limits<std::int64_t>::min())) == "-292275055-05-16T16:47:04.192Z");
  check_against_reckoning(std::numeric_limits<std::int64_t>::max());
  check_against_reckoning(std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("to_iso8601 agrees with an independent calendar reckoning") {
  std::mt19937_64 random(20261127);
  std::uniform_int_distribution<std::int64_t> any;
  std::uniform_int_distribution<std::int64_t> modern(-62'167'219'200'000, 253'402'300'799'999);  // 0000..9999
  for (int i = 0; i < 20'000; ++i) {
    check_against_reckoning(any(random));
    check_against_reckoning(modern(random));
  }
  // Around every month boundary of four centuries, leap days and the century rules included.
  for (std::int64_t year = 1600; year <= 2400; year += 1) {
    for (int month = 1; month <= 12; ++month) {
      const std::int64_t first = reverify::test::days_from_civil(year, month, 1) * ms_per_day;
      check_against_reckoning(first - 1);
      check_against_reckoning(first);
    }
  }
}
