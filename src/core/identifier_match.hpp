#pragma once
/// @file
/// Normalising identifiers without extra copies.

#include <array>
#include <cstddef>
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

/// A store key of an identifier, "send:email:<normalised address>" or "lock:phone:<digits>",
/// built in place: its length is bounded, so the manager's per-request keys cost no allocation.
class IdentifierKey {
 public:
  IdentifierKey(KeyScope scope, IdentifierType type) noexcept;

  /// Appends `normalize_identifier(identifier)` (of the constructor's type) after the prefix,
  /// replacing whatever was appended before; on error the key is its prefix alone.
  [[nodiscard]] Result<void> append_normalized(const Identifier& identifier);

  /// The whole key.
  [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), size_}; }
  /// The normalised identifier inside it.
  [[nodiscard]] std::string_view normalized() const noexcept { return view().substr(prefix_size_); }

  /// "send:" or "lock:", "email" or "phone", ':' (checked where the names are defined).
  static constexpr std::size_t max_prefix_size = 11;

 private:
  std::array<char, max_prefix_size + max_normalized_length> bytes_;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::size_t prefix_size_ = 0;
  std::size_t size_ = 0;
};

}  // namespace reverify::detail
