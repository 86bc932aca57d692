#pragma once
/// @file
/// A running estimate of how long one Argon2id verify at current parameters takes, which
/// `LegacyHasher` pads the non-matching answers of slower legacy formats up to.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "reverify/export.hpp"
#include "reverify/result.hpp"

namespace reverify::legacy {

/// The wall time of one Argon2id verify at current parameters (a wrong password against a
/// current hash, or a decoy), estimated as the median of the most recent `window` samples and
/// clamped to `[floor, ceiling]`; with no sample yet it is `floor`.
///
/// `LegacyHasher` records the wall time of every current-Argon2id verify and decoy it runs, so
/// the estimate follows the machine's load. The floor keeps it from being talked down (for
/// example by a burst of quick samples), the ceiling bounds how long a padded answer may hold
/// its thread. Several hashers may share one estimate.
///
/// Thread-safe: `record` and `target` may be called concurrently; neither allocates.
class REVERIFY_API VerifyTimeEstimate {
 public:
  using Duration = std::chrono::nanoseconds;

  /// Errors: `Errc::invalid_configuration` if `floor` is not positive, `ceiling < floor`, or
  /// `window` is 0 or above 1024.
  [[nodiscard]] static Result<std::shared_ptr<VerifyTimeEstimate>> create(Duration floor, Duration ceiling,
                                                                          std::size_t window = 31);
  ~VerifyTimeEstimate();
  VerifyTimeEstimate(const VerifyTimeEstimate&) = delete;
  VerifyTimeEstimate& operator=(const VerifyTimeEstimate&) = delete;

  /// Adds one measured verify, replacing the oldest once `window` are held. A negative sample
  /// is ignored.
  void record(Duration sample) noexcept;
  /// The median of the held samples (the lower middle one for an even count), clamped to
  /// `[floor, ceiling]`; `floor` when no sample is held.
  [[nodiscard]] Duration target() const noexcept;
  /// The clamp bounds given to `create`.
  [[nodiscard]] Duration floor() const noexcept;
  [[nodiscard]] Duration ceiling() const noexcept;
  /// How many samples `record` has accepted since creation (not capped by the window).
  [[nodiscard]] std::uint64_t recorded() const noexcept;

  struct Impl;
  explicit VerifyTimeEstimate(std::unique_ptr<Impl> impl) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::legacy
