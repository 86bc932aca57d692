#pragma once
/// @file
/// Every tunable number, with Logto's defaults.

#include <chrono>
#include <cstdint>

#include "reverify/export.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// Limits and lifetimes. Validated by `VerificationManager::create`: durations 1 s..24 h
/// (lockout_duration up to 7 days), counts >= 1, code_length 4..12.
struct REVERIFY_API Policy {
  std::uint32_t code_length = 6;                ///< digits per code
  std::chrono::seconds code_ttl{600};           ///< a code answers `code_expired` after this
  std::uint32_t max_code_attempts = 10;         ///< comparisons per code; the next try is exceed_max_try
  std::chrono::seconds record_ttl{600};         ///< records vanish after this; never extended
  std::uint32_t max_record_uses = 0;            ///< authorizations per record; 0 = until expiry (Logto)
  std::uint32_t lockout_failures = 100;         ///< failures per target in the window that lock it
  std::chrono::seconds lockout_window{3600};    ///< rolling window for lockout failures
  std::chrono::seconds lockout_duration{3600};  ///< how long a target stays blocked
  std::uint32_t send_limit = 10;                ///< sends per normalised recipient in the window
  std::chrono::seconds send_window{600};        ///< rolling window for sends
  bool retire_previous_codes = true;            ///< false keeps Logto's way (earlier codes stay live)

  /// Checks every range above. Errors: `Errc::invalid_configuration` naming the field.
  [[nodiscard]] Result<void> validate() const;
};

}  // namespace reverify
