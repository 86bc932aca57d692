#pragma once
/// @file
/// Normalising identifiers without extra copies.

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "reverify/identifier.hpp"

namespace reverify::detail {

/// The longest normalised identifier: a 256-byte e-mail address (a phone is at most 20 digits).
inline constexpr std::size_t max_normalized_length = 256;

/// Writes `normalize_identifier(identifier)` to `out`, which has room for `max_normalized_length`
/// bytes, and returns its length; on error the bytes written are meaningless.
[[nodiscard]] Result<std::size_t> normalize_into(const Identifier& identifier, char* out);

/// Whether `normalize_identifier(raw)` would succeed and equal `key`, where `key` is itself a
/// `normalize_identifier` result of the same type (the rules are invariant under the folding done
/// here, so a raw value that folds to a valid key is valid too). Allocates nothing.
[[nodiscard]] bool normalizes_to(const Identifier& raw, std::string_view key) noexcept;

/// What a store key of an identifier is for: its send window or its lockout.
enum class KeyScope { send, lock };

/// The prefix of an identifier's key: "send:" or "lock:", `to_string(type)`, ':'.
constexpr std::string_view key_prefix(KeyScope scope, IdentifierType type) noexcept {
  const bool phone = type == IdentifierType::phone;
  if (scope == KeyScope::send) return phone ? "send:phone:" : "send:email:";
  return phone ? "lock:phone:" : "lock:email:";
}

/// A store key of an identifier, "send:email:<normalised address>" or "lock:phone:<digits>",
/// built in place: its length is bounded, so the manager's per-request keys cost no allocation.
class IdentifierKey {
 public:
  // Only the prefix and what append_normalized writes are ever read, so `bytes_` is not zeroed.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
  IdentifierKey(KeyScope scope, IdentifierType type) noexcept {
    const std::string_view prefix = key_prefix(scope, type);
    std::memcpy(bytes_.data(), prefix.data(), prefix_size);
  }

  /// Appends `normalize_identifier(identifier)` (of the constructor's type) after the prefix,
  /// replacing whatever was appended before; on error the key is its prefix alone.
  [[nodiscard]] Result<void> append_normalized(const Identifier& identifier);

  /// The whole key.
  [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), size_}; }
  /// The normalised identifier inside it.
  [[nodiscard]] std::string_view normalized() const noexcept { return view().substr(prefix_size); }

  /// The length of every `key_prefix`.
  static constexpr std::size_t prefix_size = 11;

 private:
  std::array<char, prefix_size + max_normalized_length> bytes_;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::size_t size_ = prefix_size;
};

static_assert(key_prefix(KeyScope::send, IdentifierType::email).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::send, IdentifierType::phone).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::lock, IdentifierType::email).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::lock, IdentifierType::phone).size() == IdentifierKey::prefix_size,
              "the constructor copies prefix_size bytes of every prefix");

}  // namespace reverify::detail
