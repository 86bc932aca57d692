#pragma once
// The Lua scripts behind the atomic store operations (one EVALSHA round trip each).

#include <cstddef>
#include <string>

namespace reverify::redis::detail {

enum class ScriptId : std::size_t {
  insert,
  open_code,
  cancel_code,
  check_code,
  use,
  count_failure,
};
inline constexpr std::size_t script_count = 6;

/// The Lua source of a script (see docs/backends.md for what each keeps atomic).
[[nodiscard]] const std::string& script_source(ScriptId id);

/// The record value's layout (the scripts read and patch it at these offsets; see redis_scripts.cpp).
namespace record_format {
inline constexpr char version = '\1';         ///< byte 0
inline constexpr std::size_t head_size = 41;  ///< the fixed fields, before the six strings
inline constexpr std::size_t strings = 6;     ///< user id, identifier key, code, identifier, purpose, binding
}  // namespace record_format

/// First element of the open_code script's reply.
enum class OpenReply : long long { opened = 0, rate_limited = 1, id_taken = 2 };

/// First element of the check_code script's reply: the order of `CheckStatus`.
enum class CheckReply : long long {
  not_found = 0,
  already_verified = 1,
  identifier_mismatch = 2,
  code_expired = 3,
  blocked = 4,
  exhausted = 5,
  unknown_pepper = 6,
  mismatch = 7,
  verified = 8,
};

}  // namespace reverify::redis::detail
