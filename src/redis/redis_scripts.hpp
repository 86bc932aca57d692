#pragma once
// The Lua scripts behind the atomic store operations (one EVALSHA round trip each).

#include <array>
#include <cstddef>

namespace reverify::redis::detail {

enum class ScriptId : std::size_t {
  insert,
  spend_attempt,
  mark_verified,
  use,
  retire,
  window_add,
  window_remove,
  block,
};
inline constexpr std::size_t script_count = 8;

/// The Lua source of a script (see docs/backends.md for what each keeps atomic).
[[nodiscard]] const char* script_source(ScriptId id) noexcept;

/// Statuses returned by the spend_attempt script.
enum class SpendStatus : long long { not_found = 0, exhausted = 1, already_verified = 2, spent = 3 };

}  // namespace reverify::redis::detail
