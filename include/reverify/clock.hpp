#pragma once
/// @file
/// Time: the one source of "now" for every expiry, window and lockout.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "reverify/export.hpp"

namespace reverify {

/// Milliseconds since the Unix epoch, UTC. Every stored time has this resolution.
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Converts to and from integer milliseconds since the epoch (for stores that keep integers).
[[nodiscard]] constexpr std::int64_t to_unix_ms(Timestamp t) noexcept { return t.time_since_epoch().count(); }
[[nodiscard]] constexpr Timestamp from_unix_ms(std::int64_t ms) noexcept {
  return Timestamp(std::chrono::milliseconds(ms));
}

/// ISO-8601 UTC with milliseconds and `Z`, e.g. "2026-08-21T12:10:00.000Z" (Logto's expiresAt).
/// Years outside 0000..9999 take ISO-8601's expanded form, a sign and at least six digits
/// ("+010000-01-01T00:00:00.000Z"), as JavaScript's toISOString writes them; every Timestamp
/// formats. The manager's own times always have four-digit years (see Clock).
[[nodiscard]] REVERIFY_API std::string to_iso8601(Timestamp t);

/// Where the manager gets the time. Implementations must be thread-safe. `now()` may throw;
/// the manager turns that into `Errc::clock_unavailable`, never into a verified answer. The
/// manager also answers `clock_unavailable` for a reading before 1970-01-01 or from 9999-01-01
/// on; `http::HttpSender` refuses such a reading of its signing clock too (as
/// `sender_unavailable`).
class REVERIFY_API Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  /// The current time.
  [[nodiscard]] virtual Timestamp now() = 0;
};

/// `std::chrono::system_clock`, truncated to milliseconds. Thread-safe.
class REVERIFY_API SystemClock final : public Clock {
 public:
  [[nodiscard]] Timestamp now() override;
};

/// A clock that moves only when told: for tests and simulations. Thread-safe.
class REVERIFY_API ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = from_unix_ms(1'700'000'000'000)) noexcept : now_ms_(to_unix_ms(start)) {}
  [[nodiscard]] Timestamp now() override;
  /// Moves time forward (or backward, for a negative step).
  void advance(std::chrono::milliseconds step) noexcept;
  /// Jumps to an absolute time.
  void set(Timestamp t) noexcept;

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace reverify
