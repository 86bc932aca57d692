#pragma once
/// @file
/// Normalising identifiers without extra copies.

#include <string>
#include <string_view>

#include "reverify/identifier.hpp"

namespace reverify::detail {

/// Appends `normalize_identifier(identifier)` to `out` (so a store key can be built around it in
/// one allocation); on error `out` is unchanged.
[[nodiscard]] Result<void> append_normalized(const Identifier& identifier, std::string& out);

/// Whether `normalize_identifier(raw)` would succeed and equal `key`, where `key` is itself a
/// `normalize_identifier` result of the same type (the rules are invariant under the folding done
/// here, so a raw value that folds to a valid key is valid too). Allocates nothing.
[[nodiscard]] bool normalizes_to(const Identifier& raw, std::string_view key) noexcept;

}  // namespace reverify::detail
