#pragma once
/// @file
/// The default PasswordHasher: Argon2id through libsodium.

#include <chrono>
#include <cstddef>
#include <memory>

#include "reverify/export.hpp"
#include "reverify/password_hasher.hpp"
#include "reverify/phc.hpp"

namespace reverify {

/// Cost parameters. Defaults are libsodium's INTERACTIVE limits (ops 2, 64 MiB).
struct REVERIFY_API Argon2idParams {
  unsigned long long ops_limit = 2;    ///< crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::size_t mem_limit = 67'108'864;  ///< crypto_pwhash_MEMLIMIT_INTERACTIVE (bytes)
  std::size_t max_concurrent = 4;      ///< hashes computed at once; more callers wait
  /// A caller waiting longer gets hasher_unavailable; a year or more (milliseconds::max()) waits
  /// as long as it takes.
  std::chrono::milliseconds max_wait{10'000};
};

/// Hashes new passwords as `$argon2id$v=19$m=…,t=…,p=1$…` and verifies `$argon2id$` and
/// `$argon2i$` PHC strings (Logto stores `$argon2i$v=19$m=8192,t=8,p=1$…`). Anything else is
/// `malformed`, and so is a stored cost above 1 GiB, 1024 passes, or 4 GiB of memory passes
/// (unless this hasher's own parameters cost more). A user with no hash, or a malformed one, costs one decoy verify at
/// current parameters. `needs_rehash` is set for argon2i hashes and for argon2id at other parameters. Thread-safe; at
/// most `max_concurrent` hashes run at once, so a burst cannot exhaust memory.
class REVERIFY_API Argon2idHasher final : public PasswordHasher {
 public:
  /// Errors: `Errc::invalid_configuration` for parameters outside libsodium's bounds, or
  /// max_concurrent == 0.
  [[nodiscard]] static Result<std::shared_ptr<Argon2idHasher>> create(Argon2idParams params = {});
  ~Argon2idHasher() override;

  [[nodiscard]] Result<std::string> hash(const SecretString& password) override;
  [[nodiscard]] Result<PasswordCheck> verify(const SecretString& password,
                                             std::optional<std::string_view> stored_hash) override;

  [[nodiscard]] const Argon2idParams& params() const noexcept;

  /// Whether `phc` is exactly what `hash()` writes now (Argon2id v19, p=1, current t and m,
  /// 16-byte salt, 32-byte tag, no data or key id): anything else needs a rehash.
  [[nodiscard]] bool is_current(const Argon2Phc& phc) const noexcept;

  struct Impl;
  explicit Argon2idHasher(std::unique_ptr<Impl> impl) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify
