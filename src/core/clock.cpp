#include "reverify/clock.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace reverify {

Timestamp SystemClock::now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Timestamp ManualClock::now() { return from_unix_ms(now_ms_.load(std::memory_order_acquire)); }

void ManualClock::advance(std::chrono::milliseconds step) noexcept {
  now_ms_.fetch_add(step.count(), std::memory_order_acq_rel);
}

void ManualClock::set(Timestamp t) noexcept { now_ms_.store(to_unix_ms(t), std::memory_order_release); }

namespace {

struct CivilTime {
  std::int64_t year;  // astronomical: year 0 is 1 BC
  unsigned month;     // 1..12
  unsigned day;       // 1..31
};

/// The proleptic Gregorian date `days` after 1970-01-01, for every day a 64-bit millisecond count
/// reaches (gmtime_r gives up past the range of `int` years and leaves its output unset). Counts
/// in 400-year eras, each 146097 days, starting on 1 March so that leap days fall last.
CivilTime civil_from_days(std::int64_t days) noexcept {
  const std::int64_t from_0000_03_01 = days + 719'468;
  const std::int64_t era = (from_0000_03_01 >= 0 ? from_0000_03_01 : from_0000_03_01 - 146'096) / 146'097;
  const auto day_of_era = static_cast<std::uint32_t>(from_0000_03_01 - era * 146'097);
  const std::uint32_t year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::uint32_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint32_t month_from_march = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const unsigned month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const std::int64_t year = era * 400 + static_cast<std::int64_t>(year_of_era) + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

}  // namespace

std::string to_iso8601(Timestamp t) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  const std::int64_t ms = to_unix_ms(t);
  // Floor division so times before the epoch still format correctly.
  std::int64_t days = ms / ms_per_day;
  std::int64_t ms_of_day = ms % ms_per_day;
  if (ms_of_day < 0) {
    ms_of_day += ms_per_day;
    days -= 1;
  }
  const CivilTime date = civil_from_days(days);
  const std::int64_t hour = ms_of_day / 3'600'000;
  const std::int64_t minute = ms_of_day / 60'000 % 60;
  const std::int64_t second = ms_of_day / 1'000 % 60;
  const std::int64_t millis = ms_of_day % 1'000;
  // Four-digit years as Logto and JavaScript write them; outside 0000..9999, ISO 8601's expanded
  // form with a sign and at least six digits, as JavaScript's toISOString writes it.
  const std::string year =
      date.year >= 0 && date.year <= 9999 ? fmt::format("{:04}", date.year) : fmt::format("{:+07}", date.year);
  return fmt::format("{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, date.month, date.day, hour, minute, second,
                     millis);
}

}  // namespace reverify
