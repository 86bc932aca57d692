#pragma once
// The Redis store's record value: one string the Lua scripts read and patch in place (layout in
// redis_scripts.cpp and docs/backends.md), written and read here.

#include <cstddef>
#include <string_view>

#include "reverify/record.hpp"

namespace reverify::redis::detail {

/// Bytes `write_record` writes for `record`. Throws `std::length_error` for a field over 4 GiB
/// (no caller's field comes near: the manager bounds every input).
[[nodiscard]] std::size_t record_size(const VerificationRecord& record);

/// Writes `record` (not its id, which is the key) at `out`; returns the end, `out + record_size()`.
char* write_record(const VerificationRecord& record, char* out) noexcept;

/// Reads a value back into `record` (all but its id). Strict: false for anything but the exact
/// layout — another format version, a flag other than '0' or '1', a kind or template type no
/// release writes, a digest that is neither empty nor 32 bytes, a short or trailing byte.
[[nodiscard]] bool read_record(std::string_view data, VerificationRecord& record);

}  // namespace reverify::redis::detail
