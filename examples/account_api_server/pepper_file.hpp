#pragma once
/// @file
/// Reading the server pepper from a file.

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "reverify/pepper.hpp"

namespace reverify::server {

/// Reads a pepper: exactly 32 raw bytes, or 64 hexadecimal characters optionally followed by one
/// newline. Errors: one line naming the file (control characters in the path shown as \xNN) and
/// the rule (never the file's content).
[[nodiscard]] tl::expected<reverify::Pepper, std::string> load_pepper_file(const std::string& path,
                                                                           std::uint32_t pepper_id = 1);

/// The parsing step of `load_pepper_file`, on content already read (no file access): `content`
/// must be exactly 32 raw bytes, or 64 hexadecimal characters optionally followed by one newline
/// (`\n`, `\r\n` or `\r`). `source` starts every error ("pepper file PATH"). Errors: one line,
/// `source` and the rule (never the content). The decoded key passes only through wiped buffers;
/// the caller wipes `content`. Thread-safe (pure function).
[[nodiscard]] tl::expected<reverify::Pepper, std::string> parse_pepper(std::string_view content,
                                                                       std::string_view source,
                                                                       std::uint32_t pepper_id = 1);

}  // namespace reverify::server
