#pragma once
// Calendar arithmetic the fuzz targets and iso8601_test check dates with: days from a date, where
// the library (src/core/clock.cpp) reckons the date from days in 400-year eras, so that a date the
// library prints is checked against an independent reckoning rather than a copy of its own.

#include <array>
#include <cstddef>
#include <cstdint>

namespace reverify::test {

/// a / b rounded towards negative infinity.
[[nodiscard]] inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

[[nodiscard]] inline bool leap_year(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (astronomical years: year 0
/// is 1 BC), negative before the epoch.
[[nodiscard]] inline std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  static constexpr std::array<int, 12> before_month = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const auto leaps_through = [](std::int64_t y) { return floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400); };
  return 365 * (year - 1970) + leaps_through(year - 1) - leaps_through(1969) +
         before_month.at(static_cast<std::size_t>(month - 1)) + (leap_year(year) && month > 2 ? 1 : 0) + day - 1;
}

}  // namespace reverify::test
