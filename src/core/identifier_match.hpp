#pragma once
/// @file
/// Comparing a raw identifier with a normalised one without building the normalised copy.

#include <string_view>

#include "reverify/identifier.hpp"

namespace reverify::detail {

/// Whether `normalize_identifier(raw)` would succeed and equal `key`, where `key` is itself a
/// `normalize_identifier` result of the same type (the rules are invariant under the folding done
/// here, so a raw value that folds to a valid key is valid too). Allocates nothing.
[[nodiscard]] bool normalizes_to(const Identifier& raw, std::string_view key) noexcept;

}  // namespace reverify::detail
