#pragma once
/// @file
/// Password formats of migrated users (Logto's eight `password_encryption_method`s), verified
/// byte-compatibly and upgraded to Argon2id on the next correct password.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/argon2id_hasher.hpp"
#include "reverify/export.hpp"
#include "reverify/legacy/verify_time_estimate.hpp"
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
[[nodiscard]] REVERIFY_API Result<std::string> to_stored_hash(std::string_view logto_method,
                                                              std::string_view password_hash);

/// How `LegacyHasher` makes a non-matching answer take as long as a wrong password against a
/// current Argon2id hash (see `LegacyHasher`). The defaults are meant for production.
struct REVERIFY_API LegacyTimingOptions {
  /// The estimate non-matching answers are padded up to. Null: `create` makes one, seeded by
  /// timing three decoy verifies, with a floor of half their median and a ceiling of eight
  /// times it. Pass one to share it between hashers or to fix the target (tests).
  std::shared_ptr<VerifyTimeEstimate> estimate;
  /// A non-matching answer whose own check took less than this fraction of the target runs
  /// one decoy Argon2id verify (exactly the cost of the real thing); one that took longer is
  /// padded to the target instead. 0 pads always, 1 runs the decoy unless the check alone took
  /// the whole target. Must be within [0, 1].
  double decoy_below = 0.02;
  /// Blocks the calling thread until the deadline (on `std::chrono::steady_clock`). Empty:
  /// `std::this_thread::sleep_until`. Called concurrently from every padded answer, never while
  /// a concurrency slot is held, so it must be thread-safe; replace it only to observe padding.
  std::function<void(std::chrono::steady_clock::time_point)> wait_until;
};

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
///   and a malformed one take the wall time of a wrong password against a current Argon2id
///   hash. A missing hash runs one decoy verify at current parameters. Otherwise the format's
///   own check runs first; if it took under `LegacyTimingOptions::decoy_below` of the target
///   (digests, malformed values) one decoy verify follows, else the answer is held back (a
///   sleep, after the concurrency slot is released) until the target has passed since the call
///   began. The target is a `VerifyTimeEstimate` fed with the wall time of every
///   current-Argon2id verify and decoy this hasher runs. A format whose check alone takes
///   longer than the target (a costly bcrypt or scrypt) is not slowed further and stays visibly
///   slower until the user's first login upgrades it. A match is never padded.
/// - A stored value it cannot use is `PasswordMatch::malformed` with a secret-free `detail`.
/// - Stored costs above a ceiling (Argon2 1 GiB, 1024 passes or 4 GiB x passes, bcrypt cost 16, PBKDF2 10^7
///   iterations, scrypt 1 GiB) are malformed rather than computed.
///
/// Thread-safe. Legacy computations share a limit of the wrapped hasher's `max_concurrent`
/// (waiting at most its `max_wait`, then `Errc::hasher_unavailable`); padding holds no slot.
class REVERIFY_API LegacyHasher final : public reverify::PasswordHasher {
 public:
  /// Errors: `Errc::invalid_configuration` if `current` is null or `timing.decoy_below` is
  /// outside [0, 1]; `Errc::hasher_unavailable` if a seeding decoy could not run. Without
  /// `timing.estimate` this runs three decoy verifies (a few hundred ms at default parameters).
  /// Shares ownership of `current` and of `timing.estimate`.
  [[nodiscard]] static Result<std::shared_ptr<LegacyHasher>> create(std::shared_ptr<reverify::Argon2idHasher> current,
                                                                    LegacyTimingOptions timing = {});
  ~LegacyHasher() override;

  /// A new Argon2id hash from the wrapped hasher. Errors: as `Argon2idHasher::hash`.
  [[nodiscard]] Result<std::string> hash(const SecretString& password) override;
  /// See the class comment. Errors: `Errc::hasher_unavailable` when a computation could not run
  /// (out of memory, or the concurrency limit's wait timed out); errors are not padded.
  [[nodiscard]] Result<PasswordCheck> verify(const SecretString& password,
                                             std::optional<std::string_view> stored_hash) override;

  /// The estimate non-matching answers are padded to (the one given or the one made).
  [[nodiscard]] const std::shared_ptr<VerifyTimeEstimate>& timing_estimate() const noexcept;

  struct Impl;
  explicit LegacyHasher(std::unique_ptr<Impl> impl) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::legacy
