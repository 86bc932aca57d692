#pragma once
// A strict parser for Logto's `Legacy` password value: a JSON array of exactly three elements,
// `[algorithm (string), args (array of strings or non-negative integers), expected (string)]`.

#include <string>
#include <string_view>
#include <vector>

#include "reverify/result.hpp"

namespace reverify::legacy {

struct LegacyTuple {
  std::string algorithm;
  std::vector<std::string> args;  // integers are kept as their decimal text
  std::string expected;
};

// Errors: Errc::invalid_input naming what is wrong (never the content). At most 64 KiB of input,
// 64 args; strings must be valid UTF-8 (after unescaping).
[[nodiscard]] Result<LegacyTuple> parse_legacy_tuple(std::string_view json);

}  // namespace reverify::legacy
