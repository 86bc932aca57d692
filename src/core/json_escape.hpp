#pragma once
// The one JSON routine the core needs: quoting a string value.

#include <string>
#include <string_view>

namespace reverify::detail {

/// Appends `value` as a JSON string literal (with quotes) to `out`. Control characters are
/// escaped; bytes >= 0x80 pass through (the caller's UTF-8).
void append_json_string(std::string& out, std::string_view value);

}  // namespace reverify::detail
