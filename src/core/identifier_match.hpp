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

/// The prefix of an identifier's key: "send:" or "lock:", `to_string(type)`, ':'.
constexpr std::string_view key_prefix(KeyScope scope, IdentifierType type) noexcept {
  const bool phone = type == IdentifierType::phone;
  if (scope == KeyScope::send) return phone ? "send:phone:" : "send:email:";
  return phone ? "lock:phone:" : "lock:email:";
}

/// A store key of an identifier, "send:email:<normalised address>" or "lock:phone:<digits>",
/// built in place: its length is bounded, so the manager's per-request keys cost no allocation.
/// The type in the key is always the identifier's own.
class IdentifierKey {
 public:
  // Only the bytes `assign` wrote are ever read, so the buffer is not zeroed first.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
  explicit IdentifierKey(KeyScope scope) noexcept : scope_(scope) {}

  /// Makes the key of `identifier`: this scope, `to_string(identifier.type)`, ':' and
  /// `normalize_identifier(identifier)`. On error the key is empty.
  [[nodiscard]] Result<void> assign(const Identifier& identifier);

  /// The whole key. Views into the key: never taken from a temporary.
  [[nodiscard]] std::string_view view() const& noexcept { return {bytes_.data(), size_}; }
  std::string_view view() const&& = delete;
  /// The normalised identifier inside it.
  [[nodiscard]] std::string_view normalized() const& noexcept {
    return size_ == 0 ? std::string_view() : view().substr(prefix_size);
  }
  std::string_view normalized() const&& = delete;

  /// The length of every `key_prefix`.
  static constexpr std::size_t prefix_size = 11;

 private:
  std::array<char, prefix_size + max_normalized_length> bytes_;
  std::size_t size_ = 0;
  KeyScope scope_;
};

static_assert(key_prefix(KeyScope::send, IdentifierType::email).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::send, IdentifierType::phone).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::lock, IdentifierType::email).size() == IdentifierKey::prefix_size &&
                  key_prefix(KeyScope::lock, IdentifierType::phone).size() == IdentifierKey::prefix_size,
              "assign copies prefix_size bytes of every prefix");

}  // namespace reverify::detail
