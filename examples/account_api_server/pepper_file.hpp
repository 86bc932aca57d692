#pragma once
/// @file
/// Reading the server pepper from a file.

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "reverify/pepper.hpp"

namespace reverify::server {

/// Reads a pepper: exactly 32 raw bytes, or 64 hexadecimal characters optionally followed by one
/// newline. Errors: one line naming the file and the rule (never the file's content).
[[nodiscard]] tl::expected<reverify::Pepper, std::string> load_pepper_file(const std::string& path,
                                                                           std::uint32_t pepper_id = 1);

}  // namespace reverify::server
