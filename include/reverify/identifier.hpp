#pragma once
/// @file
/// Email addresses and phone numbers a code is sent to, and their normalised form.

#include <cstdint>
#include <string>
#include <string_view>

#include "reverify/export.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// What a code is sent to.
enum class IdentifierType : std::uint8_t { email = 1, phone = 2 };

/// An identifier as the caller gave it. Codes are sent to `value` exactly as given; every
/// comparison, limit and lockout uses `normalize_identifier(*this)`.
struct REVERIFY_API Identifier {
  IdentifierType type = IdentifierType::email;
  std::string value;

  [[nodiscard]] static Identifier email(std::string value) { return {IdentifierType::email, std::move(value)}; }
  [[nodiscard]] static Identifier phone(std::string value) { return {IdentifierType::phone, std::move(value)}; }
};

/// The normalised form used for comparison.
/// - email: trimmed of ASCII white space and lower-cased; must look like `local@domain.tld`
///   (no white space inside, exactly one `@`, a dot in the domain) and be at most 256 bytes.
/// - phone: a leading `+`, spaces and dashes are stripped; what remains must be 1 to 20 digits.
/// - either: the value as given is at most 512 bytes (it is stored and sent as given).
/// Errors: `Errc::invalid_input` naming the rule broken (never echoing the value).
[[nodiscard]] REVERIFY_API Result<std::string> normalize_identifier(const Identifier& identifier);

/// "email" or "phone".
[[nodiscard]] REVERIFY_API std::string_view to_string(IdentifierType type) noexcept;

}  // namespace reverify
