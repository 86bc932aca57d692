#pragma once
/// @file
/// What a stored Argon2 hash may cost before reverify refuses to compute it (as malformed): one
/// rule for Argon2idHasher and LegacyHasher, so a corrupted or hostile stored value cannot make a
/// verify allocate more than 1 GiB, nor hold a hasher slot for minutes.

#include <cstddef>
#include <cstdint>

#include "reverify/phc.hpp"

namespace reverify::detail {

inline constexpr std::uint64_t max_stored_argon2_memory_kib = 1024ULL * 1024ULL;  // 1 GiB
inline constexpr std::uint32_t max_stored_argon2_passes = 1024;
/// Memory times passes (KiB x passes) at libsodium's SENSITIVE level, 1 GiB x 4: lanes run on one
/// thread, so time grows with both. 1 GiB x 1024 passes would stream a TiB through memory.
inline constexpr std::uint64_t max_stored_argon2_work = 4ULL * max_stored_argon2_memory_kib;

/// The memory x passes (KiB x passes) a hasher at `mem_limit` bytes and `ops_limit` passes may
/// compute from a stored hash: the cap, or more when its own hashes cost more (they always verify).
inline std::uint64_t allowed_stored_argon2_work(std::size_t mem_limit, unsigned long long ops_limit) noexcept {
  const std::uint64_t own_work = static_cast<std::uint64_t>(mem_limit / 1024U) * ops_limit;
  return own_work > max_stored_argon2_work ? own_work : max_stored_argon2_work;
}

/// Why `phc` costs too much to compute, or nullptr. `allowed_work` may raise the work cap (a
/// hasher whose own parameters cost more accepts its own hashes).
inline const char* stored_argon2_cost_refusal(const Argon2Phc& phc,
                                              std::uint64_t allowed_work = max_stored_argon2_work) noexcept {
  if (phc.memory_kib > max_stored_argon2_memory_kib || phc.iterations > max_stored_argon2_passes) {
    return "argon2: stored cost above 1 GiB or 1024 passes";
  }
  if (static_cast<std::uint64_t>(phc.memory_kib) * phc.iterations > allowed_work) {
    return "argon2: stored cost above the allowed memory x passes (4 GiB x 1, or the hasher's own)";
  }
  return nullptr;
}

}  // namespace reverify::detail
