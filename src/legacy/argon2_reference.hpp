#pragma once
// Argon2 of any variant, version, lane count and salt/tag length, computed by libargon2 (the
// reference implementation) from parameters decoded by reverify::parse_argon2_phc.

#include <string_view>

#include "reverify/phc.hpp"
#include "reverify/result.hpp"

namespace reverify::legacy {

// Errors: Errc::invalid_input for parameters libargon2 or our ceiling (1 GiB, 1024 passes, 4 GiB x passes)
// refuses, or a keyid; Errc::hasher_unavailable when memory could not be allocated.
[[nodiscard]] Result<void> check_argon2_cost(const Argon2Phc& phc);
[[nodiscard]] Result<bool> argon2_matches(std::string_view password, const Argon2Phc& phc);

}  // namespace reverify::legacy
