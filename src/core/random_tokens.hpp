#pragma once
// Record ids and one-time codes from libsodium's CSPRNG, drawn in as few system calls as possible.

#include <string>

#include "reverify/record.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::detail {

/// The longest code `draw_tokens` makes; `Policy::validate` holds code_length to it.
inline constexpr std::size_t max_code_length = 12;

/// A fresh record id and, when code_length > 0, a code of that many digits.
struct Tokens {
  std::string record_id;
  SecretString code;
};

/// One `randombytes_buf` call covers both in the common case; rejection sampling keeps every
/// character uniform (bytes >= 252 are dropped for base 36, >= 250 for base 10). Throws
/// std::length_error above max_code_length (Policy::validate keeps code_length at or below it).
[[nodiscard]] Tokens draw_tokens(std::size_t code_length);

}  // namespace reverify::detail
