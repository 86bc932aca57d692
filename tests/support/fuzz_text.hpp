#pragma once
// Small text checks the fuzz targets (tests/fuzz) and the sender tests share, and the one-line
// form in which the fuzz targets report the text a violated check was about.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace reverify::test {

[[nodiscard]] inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

[[nodiscard]] inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

[[nodiscard]] inline bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

/// Any byte below 0x20, or 0x7f.
[[nodiscard]] inline bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

/// What an error must be to go into a log line as it is: non-empty, no line break or other control.
[[nodiscard]] inline bool one_printable_line(std::string_view text) { return !text.empty() && !has_control(text); }

/// Well-formed UTF-8 (RFC 3629): shortest forms, no surrogates, at most U+10FFFF.
[[nodiscard]] inline bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    std::uint32_t value = lead;
    std::uint32_t smallest = 0;
    if (lead >= 0x80) {
      if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2, value = lead & 0x1fU, smallest = 0x80;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3, value = lead & 0x0fU, smallest = 0x800;
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4, value = lead & 0x07U, smallest = 0x10000;
      } else {
        return false;
      }
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0U) != 0x80U) return false;
      value = (value << 6U) | (next & 0x3fU);
    }
    if (value < smallest || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

/// `text` for a one-line report: the first `max` bytes, those outside printable ASCII and the
/// quote and backslash as \xNN (so the report can be quoted and pasted back into a C string).
[[nodiscard]] inline std::string escaped(std::string_view text, std::size_t max = 240) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  for (const char ch : text.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && ch != '\\' && ch != '"') {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4U]);
      out.push_back(hex[c & 0x0fU]);
    }
  }
  return out;
}

/// How a fuzz target reports a violated invariant: "<target>: <what>[: <detail>]" on stderr, the
/// detail escaped (the harness's own made-up text, never a real secret), then abort.
[[noreturn]] inline void abort_violation(const char* target, const char* what, std::string_view detail = {}) {
  static_cast<void>(
      std::fprintf(stderr, "%s: %s%s%s\n", target, what, detail.empty() ? "" : ": ", escaped(detail).c_str()));
  std::abort();
}

}  // namespace reverify::test
