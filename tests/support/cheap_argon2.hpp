#pragma once
// Argon2id at its cheapest valid cost (1 pass, 8 MiB): what every test that needs a hasher uses, so
// the suites stay fast and one place says what "cheap" means.

#include <cstddef>
#include <memory>

#include "reverify/argon2id_hasher.hpp"

namespace reverify::test {

inline Argon2idParams cheap_params() {
  Argon2idParams params;
  params.ops_limit = 1;
  params.mem_limit = std::size_t{8} * 1024 * 1024;
  return params;
}

/// 8 MiB x 513 passes: just above the 4 GiB of memory passes a hasher computes for a stored hash
/// that is not its own (and slow: seconds per hash).
inline Argon2idParams just_above_stored_cap_params() {
  Argon2idParams params = cheap_params();
  params.ops_limit = 513;
  return params;
}

inline std::shared_ptr<Argon2idHasher> cheap_hasher() { return Argon2idHasher::create(cheap_params()).value(); }

}  // namespace reverify::test
