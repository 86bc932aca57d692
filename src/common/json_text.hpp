#pragma once
/// @file
/// JSON text for the messages the senders write (the outbox line, the HTTP sender's body):
/// header-only, shared by the core and the sender components, never installed.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "reverify/code_sender.hpp"

namespace reverify::detail {

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates or values past
// U+10FFFF.
inline bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0u) == 0xc0u) {
      extra = 1;
      cp = c & 0x1fu;
    } else if ((c & 0xf0u) == 0xe0u) {
      extra = 2;
      cp = c & 0x0fu;
    } else if ((c & 0xf8u) == 0xf0u) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    static constexpr std::array<std::uint32_t, 4> minimum = {0, 0x80, 0x800, 0x10000};
    if (cp < minimum[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

// Whether the text a sender writes into JSON (recipient, record id, code) is valid UTF-8.
inline bool message_text_is_utf8(const CodeMessage& message) {
  return is_valid_utf8(message.to) && is_valid_utf8(message.record_id) && is_valid_utf8(message.code.reveal());
}

// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped; the
// text must already be valid UTF-8.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0fu]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

}  // namespace reverify::detail
