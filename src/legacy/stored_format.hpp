#pragma once
// How LegacyHasher tells formats apart in a stored string. PHC and bcrypt strings describe
// themselves; the unsalted digests and the Legacy tuple carry a scheme prefix written by
// to_stored_hash: {MD5}, {SHA1}, {SHA256} (lowercase hex follows) and {LEGACY} (JSON follows).

#include <string_view>

namespace reverify::legacy {

enum class StoredKind { argon2, bcrypt, md5, sha1, sha256, legacy, unknown };

struct StoredValue {
  StoredKind kind = StoredKind::unknown;
  std::string_view body;  // the value after the scheme prefix (the whole string for PHC/bcrypt)
};

inline constexpr std::string_view md5_prefix = "{MD5}";
inline constexpr std::string_view sha1_prefix = "{SHA1}";
inline constexpr std::string_view sha256_prefix = "{SHA256}";
inline constexpr std::string_view legacy_prefix = "{LEGACY}";

[[nodiscard]] inline StoredValue classify_stored(std::string_view stored) noexcept {
  const auto starts = [&](std::string_view prefix) { return stored.substr(0, prefix.size()) == prefix; };
  if (starts("$argon2")) return {StoredKind::argon2, stored};
  if (starts("$2")) return {StoredKind::bcrypt, stored};
  if (starts(md5_prefix)) return {StoredKind::md5, stored.substr(md5_prefix.size())};
  if (starts(sha1_prefix)) return {StoredKind::sha1, stored.substr(sha1_prefix.size())};
  if (starts(sha256_prefix)) return {StoredKind::sha256, stored.substr(sha256_prefix.size())};
  if (starts(legacy_prefix)) return {StoredKind::legacy, stored.substr(legacy_prefix.size())};
  return {StoredKind::unknown, stored};
}

}  // namespace reverify::legacy
