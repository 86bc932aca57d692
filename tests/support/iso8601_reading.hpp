#pragma once
// Reads back what to_iso8601 writes, for iso8601_test and the HTTP sender's fuzz target: the text
// is parsed here and its instant reckoned with civil_days.hpp, apart from the library's own
// arithmetic (src/core/clock.cpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "civil_days.hpp"

namespace reverify::test {

/// Why `text` is not "YYYY-MM-DDTHH:MM:SS.mmmZ" naming `ms` (Unix milliseconds) exactly, or
/// nullptr when it is. A year outside 0000..9999 has no four-digit form: ISO 8601's expanded years
/// are expected then, a sign and at least six digits ("+010000", "-000001"), as JavaScript's
/// toISOString writes them.
[[nodiscard]] inline const char* iso8601_mismatch(std::string_view text, std::int64_t ms) {
  const bool negative = !text.empty() && text.front() == '-';
  const bool is_signed = negative || (!text.empty() && text.front() == '+');
  const std::size_t year_end = text.find('-', is_signed ? 1 : 0);
  bool digits_only = true;
  const auto number = [text, &digits_only](std::size_t at, std::size_t length) -> std::int64_t {
    std::int64_t n = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9') {
        digits_only = false;
        return 0;
      }
      n = n * 10 + (text[i] - '0');
    }
    return n;
  };
  const std::size_t digits = year_end == std::string_view::npos ? 0 : year_end - (is_signed ? 1 : 0);
  if (digits < 4 || digits > 12 || text.size() != year_end + 20 || text.substr(year_end + 3, 1) != "-" ||
      text.substr(year_end + 6, 1) != "T" || text.substr(year_end + 9, 1) != ":" ||
      text.substr(year_end + 12, 1) != ":" || text.substr(year_end + 15, 1) != "." || text.back() != 'Z') {
    return "a malformed date";
  }
  const std::int64_t magnitude = number(is_signed ? 1 : 0, digits);
  const std::int64_t year = negative ? -magnitude : magnitude;
  const std::int64_t month = number(year_end + 1, 2);
  const std::int64_t day = number(year_end + 4, 2);
  const std::int64_t hour = number(year_end + 7, 2);
  const std::int64_t minute = number(year_end + 10, 2);
  const std::int64_t second = number(year_end + 13, 2);
  const std::int64_t milli = number(year_end + 16, 3);
  if (!digits_only) return "a malformed date";
  if (year >= 0 && year <= 9999 && (is_signed || digits != 4)) return "a year in 0000-9999 not in four digits";
  if ((year < 0 || year > 9999) && (!is_signed || digits < 6))
    return "a year outside 0000-9999 not signed with six digits";
  static constexpr std::array<int, 12> month_days = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > month_days.at(static_cast<std::size_t>(month - 1)) ||
      (month == 2 && day == 29 && !leap_year(year)) || hour > 23 || minute > 59 || second > 59) {
    return "no date and time";
  }
  constexpr std::int64_t day_ms = 86'400'000;
  const std::int64_t want_days = floor_div(ms, day_ms);
  const std::int64_t want_time = (ms % day_ms + day_ms) % day_ms;  // not ms - days * day_ms: that overflows at min()
  if (days_from_civil(year, static_cast<int>(month), static_cast<int>(day)) != want_days ||
      ((hour * 60 + minute) * 60 + second) * 1000 + milli != want_time) {
    return "another instant";
  }
  return nullptr;
}

}  // namespace reverify::test
