#pragma once
// The clock readings the library computes with, shared by the manager and the HTTP sender: from
// 1970 up to the start of year 9999. Every lifetime the policy allows (7 days at most) added to
// such a reading stays far inside 64-bit milliseconds and prints as a four-digit year; a reading
// outside is a broken clock, and near the ends of the range adding a lifetime would overflow.

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "reverify/clock.hpp"
#include "reverify/result.hpp"

namespace reverify::detail {

inline constexpr std::int64_t earliest_reading_ms = 0;
inline constexpr std::int64_t first_refused_reading_ms = 253'370'764'800'000;  // 9999-01-01T00:00:00Z

/// The fixed reason for a refused reading (it names no secret, so errors may carry it as is).
inline constexpr std::string_view reading_out_of_range = "the clock read a time outside 1970-01-01..9999-01-01";

[[nodiscard]] constexpr bool reading_in_range(Timestamp reading) noexcept {
  const std::int64_t ms = to_unix_ms(reading);
  return ms >= earliest_reading_ms && ms < first_refused_reading_ms;
}

/// Reads a clock the host supplied. Its throw (of anything) and a reading outside the range both
/// become `code`, with a message that starts with `who` ("" or, say, "HTTP sender: ").
[[nodiscard]] inline Result<Timestamp> read_host_clock(Clock& clock, Errc code, std::string_view who) {
  try {
    const Timestamp reading = clock.now();
    if (!reading_in_range(reading)) return fail(code, std::string(who) + std::string(reading_out_of_range));
    return reading;
  } catch (const std::exception& e) {
    return fail(code, std::string(who) + "the clock threw: " + e.what());
  } catch (...) {
    return fail(code, std::string(who) + "the clock threw a non-standard exception");
  }
}

}  // namespace reverify::detail
