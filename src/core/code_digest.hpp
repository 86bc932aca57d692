#pragma once
// Keyed digests: codes and action bindings are stored only as BLAKE2b-256 keyed with a pepper.

#include <string_view>

#include "reverify/pepper.hpp"
#include "reverify/record.hpp"

namespace reverify::detail {

/// BLAKE2b-256 keyed with the pepper over a domain tag, the record id and the secret, each
/// length-prefixed, so a digest cannot be replayed on another record or another purpose.
[[nodiscard]] Digest code_digest(const Pepper& pepper, std::string_view record_id, std::string_view code);

/// The same construction over an action's purpose and binding.
[[nodiscard]] Digest binding_digest(const Pepper& pepper, std::string_view purpose, std::string_view binding);

}  // namespace reverify::detail
