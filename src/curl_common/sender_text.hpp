#pragma once
// Text checks shared by reverify::smtp and reverify::http (header-only, never installed).

#include <algorithm>
#include <string>
#include <string_view>

#include "json_text.hpp"

namespace reverify::sender_text {

// Any byte below 0x20, or 0x7f; `allow_line_ends` lets CR, LF and TAB through (mail bodies).
inline bool has_control(std::string_view text, bool allow_line_ends = false) {
  return std::any_of(text.begin(), text.end(), [allow_line_ends](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (allow_line_ends && (ch == '\r' || ch == '\n' || ch == '\t')) return false;
    return c < 0x20 || c == 0x7f;
  });
}

using reverify::detail::append_json_string;
using reverify::detail::is_valid_utf8;

}  // namespace reverify::sender_text
