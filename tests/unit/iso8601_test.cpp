// to_iso8601 for every millisecond count a Timestamp holds, checked against the test support's
// own calendar reckoning (tests/support/civil_days.hpp) rather than against a second copy of the
// library's arithmetic.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "civil_days.hpp"
#include "reverify/clock.hpp"

using reverify::from_unix_ms;
using reverify::to_iso8601;
using reverify::test::floor_div;
using reverify::test::leap_year;

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

struct Parsed {
  std::int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
};

/// Reads `digits` decimal digits at `at`; -1 unless all are digits.
std::int64_t digits_at(const std::string& text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return -1;
  std::int64_t value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

/// Parses YYYY-MM-DDTHH:MM:SS.mmmZ or ±YYYYYY[Y…]-MM-DDTHH:MM:SS.mmmZ, failing the test otherwise.
Parsed parse(const std::string& text) {
  INFO(text);
  Parsed p;
  std::size_t at = 0;
  if (text[0] == '+' || text[0] == '-') {
    const std::size_t dash = text.find('-', 1);
    REQUIRE(dash != std::string::npos);
    REQUIRE(dash - 1 >= 6);
    const std::int64_t magnitude = digits_at(text, 1, dash - 1);
    REQUIRE(magnitude >= 0);
    p.year = text[0] == '-' ? -magnitude : magnitude;
    REQUIRE((p.year < 0 || p.year > 9999));  // the signed form only where four digits cannot say it
    at = dash;
  } else {
    p.year = digits_at(text, 0, 4);
    REQUIRE(p.year >= 0);
    at = 4;
  }
  REQUIRE(text.size() == at + 20);
  REQUIRE(text.substr(at, 1) == "-");
  REQUIRE(text.substr(at + 3, 1) == "-");
  REQUIRE(text.substr(at + 6, 1) == "T");
  REQUIRE(text.substr(at + 9, 1) == ":");
  REQUIRE(text.substr(at + 12, 1) == ":");
  REQUIRE(text.substr(at + 15, 1) == ".");
  REQUIRE(text.substr(at + 19, 1) == "Z");
  p.month = static_cast<int>(digits_at(text, at + 1, 2));
  p.day = static_cast<int>(digits_at(text, at + 4, 2));
  p.hour = static_cast<int>(digits_at(text, at + 7, 2));
  p.minute = static_cast<int>(digits_at(text, at + 10, 2));
  p.second = static_cast<int>(digits_at(text, at + 13, 2));
  p.millis = static_cast<int>(digits_at(text, at + 16, 3));
  return p;
}

int days_in_month(std::int64_t year, int month) {
  static constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return lengths[month - 1] + (month == 2 && leap_year(year) ? 1 : 0);
}

void check_against_reckoning(std::int64_t ms) {
  const std::string text = to_iso8601(from_unix_ms(ms));
  INFO(ms << " -> " << text);
  const Parsed p = parse(text);
  REQUIRE(p.month >= 1);
  REQUIRE(p.month <= 12);
  REQUIRE(p.day >= 1);
  REQUIRE(p.day <= days_in_month(p.year, p.month));
  REQUIRE(p.hour <= 23);
  REQUIRE(p.minute <= 59);
  REQUIRE(p.second <= 59);
  const std::int64_t day = floor_div(ms, ms_per_day);
  REQUIRE(reverify::test::days_from_civil(p.year, p.month, p.day) == day);
  const std::int64_t ms_of_day = ms % ms_per_day + (ms % ms_per_day < 0 ? ms_per_day : 0);
  REQUIRE(((p.hour * 60 + p.minute) * 60 + p.second) * std::int64_t{1000} + p.millis == ms_of_day);
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
