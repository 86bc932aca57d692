#pragma once
/// @file
/// Cutting secrets out of text from a library we call (curl's, libpq's) before it becomes one of
/// our error messages.

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace reverify::detail {

/// Replaces every occurrence of each non-empty secret with "[redacted]", longest first, so a short
/// secret inside a longer one (a code inside a URL path) cannot break the longer one's match.
inline std::string redact(std::string text, std::initializer_list<std::string_view> secret_list) {
  static constexpr std::string_view mark = "[redacted]";
  std::vector<std::string_view> secrets(secret_list);
  std::sort(secrets.begin(), secrets.end(), [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (const std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), mark);
      at += mark.size();
    }
  }
  return text;
}

}  // namespace reverify::detail
