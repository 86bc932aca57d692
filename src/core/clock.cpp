#include <ctime>

#include "reverify/clock.hpp"

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

std::string to_iso8601(Timestamp t) {
  const std::int64_t ms = to_unix_ms(t);
  // Floor division so times before the epoch still format correctly.
  std::int64_t seconds = ms / 1000;
  std::int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto as_time_t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&as_time_t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

}  // namespace reverify
