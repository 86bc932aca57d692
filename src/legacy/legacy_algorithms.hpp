#pragma once
// The algorithms of Logto's `Legacy` tuple, validated ahead of computing: a digest of the joined
// args, PBKDF2, or Firebase's scrypt scheme. All computing is done by OpenSSL's libcrypto.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "legacy_tuple.hpp"
#include "reverify/result.hpp"

namespace reverify::legacy {

struct DigestPlan {
  std::string digest;                             // an OpenSSL digest name
  std::vector<std::optional<std::string>> parts;  // std::nullopt: the password goes here
};

struct Pbkdf2Plan {
  std::vector<std::uint8_t> salt;
  std::uint32_t iterations = 0;
  std::uint32_t key_length = 0;
  std::string digest;
};

struct FirebaseScryptPlan {
  std::vector<std::uint8_t> salt_and_separator;
  std::vector<std::uint8_t> signer_key;
  std::uint32_t rounds = 0;    // scrypt r
  std::uint32_t mem_cost = 0;  // scrypt N = 2^mem_cost
};

struct LegacyPlan {
  std::variant<DigestPlan, Pbkdf2Plan, FirebaseScryptPlan> how;
  std::string expected;
};

// Errors: Errc::invalid_input (unknown algorithm or digest, wrong args, limits exceeded, an
// expected value that can never match); messages carry no value.
[[nodiscard]] Result<LegacyPlan> plan_legacy(const LegacyTuple& tuple);

// Computes the plan for `password` and compares with `expected` in constant time.
// Errors: Errc::hasher_unavailable when OpenSSL fails (out of memory).
[[nodiscard]] Result<bool> run_legacy(const LegacyPlan& plan, std::string_view password);

// Lowercase hex digest of `data` with an OpenSSL digest; the MD5/SHA1/SHA256 methods use it.
// Errors: Errc::invalid_input for an unknown digest, Errc::hasher_unavailable on failure.
[[nodiscard]] Result<std::string> hex_digest(const std::string& digest, const std::vector<std::string_view>& parts);

// True when every character of `s` is 0-9 or a-f (stored digests are lowercase hex).
[[nodiscard]] bool is_lower_hex(std::string_view s) noexcept;

// Constant-time equality of two strings (lengths are not secret).
[[nodiscard]] bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace reverify::legacy
