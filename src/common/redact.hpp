#pragma once
/// @file
/// Cutting secrets out of text from a library we call (curl's, libpq's) before it becomes one of
/// our error messages.

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reverify::detail {

/// `text` with every occurrence of each non-empty secret replaced by "[redacted]". Occurrences
/// are all found in the original text first and overlapping or adjacent ones merged, so two
/// secrets sharing bytes leave nothing of either, and no secret is looked for inside a mark.
inline std::string redact(std::string_view text, std::initializer_list<std::string_view> secrets) {
  std::vector<std::pair<std::size_t, std::size_t>> cuts;  // [begin, end)
  for (const std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string_view::npos; at = text.find(secret, at + 1)) {
      cuts.emplace_back(at, at + secret.size());
    }
  }
  std::sort(cuts.begin(), cuts.end());
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;  // text before this is written or cut
  for (std::size_t i = 0; i < cuts.size();) {
    const std::size_t begin = cuts[i].first;
    std::size_t end = cuts[i].second;
    for (++i; i < cuts.size() && cuts[i].first <= end; ++i) end = std::max(end, cuts[i].second);
    out.append(text.substr(done, begin - done)).append("[redacted]");
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace reverify::detail
