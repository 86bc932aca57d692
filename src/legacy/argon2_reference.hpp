#pragma once
// Argon2 of any variant, version, lane count and salt/tag length, computed by libargon2 (the
// reference implementation) from parameters decoded by reverify::parse_argon2_phc.

#include <cstdint>
#include <string_view>

#include "common/argon2_cost.hpp"
#include "reverify/phc.hpp"
#include "reverify/result.hpp"

namespace reverify::legacy {

// Errors: Errc::invalid_input for parameters libargon2 or our ceiling (1 GiB, 1024 passes, and
// `allowed_work` of memory x passes: 4 GiB x 1 unless the hasher's own parameters cost more)
// refuses, or a keyid; Errc::hasher_unavailable when memory could not be allocated.
[[nodiscard]] Result<void> check_argon2_cost(const Argon2Phc& phc,
                                             std::uint64_t allowed_work = detail::max_stored_argon2_work);
[[nodiscard]] Result<bool> argon2_matches(std::string_view password, const Argon2Phc& phc, std::uint64_t allowed_work);

}  // namespace reverify::legacy
