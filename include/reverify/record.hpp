#pragma once
/// @file
/// Verification records: what a store keeps about one proof of identity.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/clock.hpp"
#include "reverify/export.hpp"
#include "reverify/identifier.hpp"

namespace reverify {

/// How the user proved identity. Values are stored by backends: never renumber.
enum class RecordKind : std::uint8_t {
  password = 1,                 ///< "Password"
  email_verification_code = 2,  ///< "EmailVerificationCode"
  phone_verification_code = 3,  ///< "PhoneVerificationCode"
};

/// Why a code was sent (Logto's template types). Values are stored: never renumber.
enum class TemplateType : std::uint8_t {
  user_permission_validation = 1,  ///< "UserPermissionValidation": step-up of an identifier the user owns
  bind_new_identifier = 2,         ///< "BindNewIdentifier": forced when the identifier is not the user's own
  bind_mfa = 3,                    ///< "BindMfa": on request
};

/// Logto's names: "Password", "EmailVerificationCode", "PhoneVerificationCode".
[[nodiscard]] REVERIFY_API std::string_view to_string(RecordKind kind) noexcept;
/// Logto's names: "UserPermissionValidation", "BindNewIdentifier", "BindMfa".
[[nodiscard]] REVERIFY_API std::string_view to_string(TemplateType type) noexcept;
/// Parses Logto's names; `std::nullopt` for anything else (case-sensitive).
[[nodiscard]] REVERIFY_API std::optional<RecordKind> parse_record_kind(std::string_view name) noexcept;
[[nodiscard]] REVERIFY_API std::optional<TemplateType> parse_template_type(std::string_view name) noexcept;

/// A 32-byte keyed BLAKE2b digest (of a code, or of a purpose binding).
using Digest = std::array<unsigned char, 32>;

/// Compares two digests in constant time (libsodium `sodium_memcmp`): for custom stores.
[[nodiscard]] REVERIFY_API bool digests_equal(const Digest& a, const Digest& b) noexcept;

/// Record ids: 21 characters from [0-9a-z] (about 108 bits), from libsodium's CSPRNG.
inline constexpr std::size_t record_id_length = 21;

/// One verification record as stores keep it. Holds no secret: a code is present only as
/// `code_digest`, keyed with the pepper `pepper_id`. Printing it (to_string, fmt) omits digests.
struct REVERIFY_API VerificationRecord {
  std::string id;       ///< record_id_length characters from [0-9a-z]
  std::string user_id;  ///< the owner; every use and verify must come from this user
  RecordKind kind = RecordKind::password;
  TemplateType template_type = TemplateType::user_permission_validation;
  std::string identifier;                ///< code records: the value the code was sent to, as given; else empty
  std::string identifier_key;            ///< code records: normalize_identifier(identifier); else empty
  std::string purpose;                   ///< optional purpose the record was opened for (e.g. "payment"); may be empty
  std::optional<Digest> binding_digest;  ///< optional digest of what the action is bound to
  std::optional<Digest> code_digest;     ///< code records: keyed digest of (id, code)
  std::uint32_t pepper_id = 0;           ///< which pepper keyed the digests
  std::uint32_t attempts = 0;            ///< comparisons spent on the code
  std::uint32_t use_count = 0;           ///< successful authorizations counted against Policy::max_record_uses
  Timestamp created_at{};
  Timestamp expires_at{};       ///< the record is invisible from this instant on
  Timestamp code_expires_at{};  ///< code records: the code answers `code_expired` after this instant
  bool verified = false;
  bool retired = false;  ///< replaced by a newer code for the same user, identifier and template

  /// True for the two code kinds.
  [[nodiscard]] bool is_code() const noexcept { return kind != RecordKind::password; }
  /// Visible at `now`: not expired (expires_at is exclusive). Retired records stay visible to the
  /// store but are refused by the manager.
  [[nodiscard]] bool live_at(Timestamp now) const noexcept { return now < expires_at; }
  /// The key under which a newer code retires this one: user, kind, identifier_key and template.
  /// Empty for password records.
  [[nodiscard]] std::string code_slot() const;
};

/// One line describing the record without any digest, e.g. for logs.
[[nodiscard]] REVERIFY_API std::string to_string(const VerificationRecord& record);

}  // namespace reverify
