#pragma once
/// @file
/// A fast stand-in for Argon2id for the fuzz targets of the example server, so that one input can
/// hash and verify passwords many times: an unkeyed BLAKE2b digest behind a prefix. Only the code
/// that calls the hasher is under test there; the real hashers have their own tests. Never for
/// real passwords: it is fast on purpose and keeps no timing parity (invariant 5). Callers run
/// `sodium_init()` first.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <sodium.h>

#include "reverify/password_hasher.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::test {

/// Hashes to `prefix` + 32 hex digits; verifies only hashes of that form (anything else is
/// `PasswordMatch::malformed`). Never fails. Thread-safe (no state).
class DigestHasher final : public reverify::PasswordHasher {
 public:
  static constexpr std::string_view prefix = "fuzzhash$";

  reverify::Result<std::string> hash(const reverify::SecretString& password) override {
    return std::string(prefix) + digest(password.reveal());
  }
  reverify::Result<reverify::PasswordCheck> verify(const reverify::SecretString& password,
                                                   std::optional<std::string_view> stored) override {
    reverify::PasswordCheck check;
    const std::string offered = digest(password.reveal());
    if (!stored) {
      check.result = reverify::PasswordMatch::no_hash;
    } else if (stored->substr(0, prefix.size()) != prefix) {
      check.result = reverify::PasswordMatch::malformed;
      check.detail = "not a fuzz hash";
    } else {
      check.result =
          stored->substr(prefix.size()) == offered ? reverify::PasswordMatch::match : reverify::PasswordMatch::mismatch;
    }
    return check;
  }

 private:
  static std::string digest(std::string_view password) {
    std::array<unsigned char, 16> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                       nullptr, 0);
    std::array<char, 2 * 16 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
    return std::string(hex.data(), 2 * out.size());
  }
};

}  // namespace reverify::test
