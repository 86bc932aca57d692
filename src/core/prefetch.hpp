#pragma once
/// @file
/// A cache prefetch hint for the memory store's lookups.

namespace reverify::detail {

/// A hint to start loading `address` into the cache; never faults, changes nothing.
inline void prefetch_address(const void* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address);
#else
  static_cast<void>(address);
#endif
}

}  // namespace reverify::detail
