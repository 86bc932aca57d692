#pragma once
// bcrypt strings ($2a$, $2b$, $2y$) checked by shape and computed by libxcrypt's crypt_rn.

#include <string_view>

#include "reverify/result.hpp"

namespace reverify::legacy {

// Errors: Errc::invalid_input when `stored` is not `$2[aby]$NN$` + 53 bcrypt-base64 characters,
// or its cost is outside 4..16.
[[nodiscard]] Result<void> check_bcrypt(std::string_view stored);

// True when `password` (its first 72 bytes, as bcrypt defines) hashes to `stored`.
// Errors: Errc::invalid_input when libxcrypt rejects the setting; Errc::hasher_unavailable
// when it fails otherwise (out of memory).
[[nodiscard]] Result<bool> bcrypt_matches(std::string_view password, std::string_view stored);

}  // namespace reverify::legacy
