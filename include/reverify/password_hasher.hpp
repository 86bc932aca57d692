#pragma once
/// @file
/// The password plug-in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/export.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"

namespace reverify {

/// What a stored hash said about a password.
enum class PasswordMatch : std::uint8_t {
  match,      ///< the password is right
  mismatch,   ///< the password is wrong
  no_hash,    ///< the user has no stored hash; a decoy of equal cost was computed
  malformed,  ///< the stored value is not a hash this hasher understands; a decoy was computed
};

/// The answer of `PasswordHasher::verify`.
struct REVERIFY_API PasswordCheck {
  PasswordMatch result = PasswordMatch::mismatch;
  /// With `match`: the stored hash is weaker than (or differs from) current parameters; the
  /// manager then asks `hash()` for a replacement and hands it to the host.
  bool needs_rehash = false;
  /// With `malformed`: a secret-free reason for the host's log ("unknown PHC identifier").
  std::string detail;
};

/// Hashes and verifies passwords. Implementations must be thread-safe, must take the same time
/// for `mismatch`, `no_hash` and `malformed` as for a wrong password against a current hash
/// (invariant 5), and must never put a password or hash into an error message (the manager
/// withholds text that contains the password, but cannot know every form it could take).
/// Methods may throw; the manager converts that to `Errc::hasher_unavailable`.
class REVERIFY_API PasswordHasher {
 public:
  PasswordHasher() = default;
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;
  virtual ~PasswordHasher() = default;

  /// A new stored hash for `password` at current parameters (a PHC string for Argon2id).
  /// Errors: `Errc::hasher_unavailable` (out of memory, too many concurrent hashes timed out).
  [[nodiscard]] virtual Result<std::string> hash(const SecretString& password) = 0;

  /// Checks `password` against `stored_hash`; `std::nullopt` means the user has no hash, which
  /// still costs one decoy verify. Errors only when the check could not run at all.
  [[nodiscard]] virtual Result<PasswordCheck> verify(const SecretString& password,
                                                     std::optional<std::string_view> stored_hash) = 0;
};

}  // namespace reverify
