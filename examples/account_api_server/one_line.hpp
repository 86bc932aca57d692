#pragma once
/// @file
/// Operator text inside the server's one-line errors.

#include <algorithm>
#include <string>
#include <string_view>

namespace reverify::server {

/// Whether `text` holds a control character (below 0x20, or 0x7f): what `one_line` escapes.
[[nodiscard]] inline bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

/// `text` with its control characters (below 0x20, and 0x7f) shown as `\xNN`, so that an
/// argument, a path or a key can be named in an error without splitting it over lines or
/// rewriting the terminal line. Printable text passes through unchanged.
[[nodiscard]] inline std::string one_line(std::string_view text) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4U];
      out += hex[byte & 15U];
    }
  }
  return out;
}

}  // namespace reverify::server
