#pragma once
/// @file
/// Password formats of migrated users (Logto's eight `password_encryption_method`s), verified
/// byte-compatibly and upgraded to Argon2id on the next correct password.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/argon2id_hasher.hpp"
#include "reverify/export.hpp"
#include "reverify/password_hasher.hpp"
#include "reverify/result.hpp"

namespace reverify::legacy {

/// Converts a Logto user's `(password_encryption_method, password_hash)` into the one string to
/// keep as the user's stored hash and pass to `VerificationManager`
/// (`PasswordVerificationRequest::stored_hash`), which `LegacyHasher` then verifies:
///
/// | method | `password_hash` | stored string |
/// |---|---|---|
/// | `Argon2i`, `Argon2id`, `Argon2d` | an Argon2 PHC string | unchanged |
/// | `Bcrypt` | `$2a$`/`$2b$`/`$2y$` bcrypt string | unchanged |
/// | `MD5`, `SHA1`, `SHA256` | lowercase hex digest of the password | `{MD5}<hex>`, `{SHA1}<hex>`, `{SHA256}<hex>` |
/// | `Legacy` | JSON tuple `[algorithm, args, expected]` | `{LEGACY}<the JSON as given>` |
///
/// Method names are Logto's (matched case-insensitively). The value is fully validated (PHC
/// parameters, bcrypt shape and cost, hex length, tuple structure, digest names, KDF limits).
/// Errors: `Errc::invalid_input` for an unknown method or a value that can never verify; the
/// message names the problem, never the value. Thread-safe (pure function).
[[nodiscard]] REVERIFY_API Result<std::string> to_stored_hash(std::string_view logto_method, std::string_view password_hash);

/// A `PasswordHasher` that verifies every format `to_stored_hash` produces (and any Argon2 PHC
/// or bcrypt string given directly), and hashes new passwords with the wrapped `Argon2idHasher`.
///
/// - Argon2id at the wrapped hasher's parameters is verified by it (libsodium). Other Argon2
///   strings (argon2i/argon2d, `v=16` or none, p > 1, any salt/tag length, `data=`) are decoded
///   by `parse_argon2_phc` and computed by libargon2 with the decoded parameters.
/// - bcrypt via libxcrypt (`crypt_rn`); passwords longer than 72 bytes are truncated to 72
///   bytes, as bcrypt itself does. Digests, PBKDF2, scrypt and AES-256-CTR via OpenSSL.
/// - A match on anything but current Argon2id sets `needs_rehash`.
/// - Timing parity (invariant 5): a mismatch on any format but current Argon2id, a missing hash
///   and a malformed one each cost one decoy Argon2id verify at current parameters (a wrong
///   password against a slow legacy hash costs that hash plus the decoy).
/// - A stored value it cannot use is `PasswordMatch::malformed` with a secret-free `detail`.
/// - Stored costs above a ceiling (Argon2 1 GiB or 1024 passes, bcrypt cost 16, PBKDF2 10^7
///   iterations, scrypt 1 GiB) are malformed rather than computed.
///
/// Thread-safe. Legacy computations share a limit of the wrapped hasher's `max_concurrent`
/// (waiting at most its `max_wait`, then `Errc::hasher_unavailable`).
class REVERIFY_API LegacyHasher final : public reverify::PasswordHasher {
 public:
  /// Errors: `Errc::invalid_configuration` if `current` is null. Shares ownership of `current`.
  [[nodiscard]] static Result<std::shared_ptr<LegacyHasher>> create(std::shared_ptr<reverify::Argon2idHasher> current);
  ~LegacyHasher() override;

  /// A new Argon2id hash from the wrapped hasher. Errors: as `Argon2idHasher::hash`.
  [[nodiscard]] Result<std::string> hash(const SecretString& password) override;
  /// See the class comment. Errors: `Errc::hasher_unavailable` when a computation could not run
  /// (out of memory, or the concurrency limit's wait timed out).
  [[nodiscard]] Result<PasswordCheck> verify(const SecretString& password,
                                             std::optional<std::string_view> stored_hash) override;

  struct Impl;
  explicit LegacyHasher(std::unique_ptr<Impl> impl) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::legacy
