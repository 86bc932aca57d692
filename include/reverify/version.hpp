#pragma once
/// @file
/// Library version. CMake parses the three macros below; keep their form.

#define REVERIFY_VERSION_MAJOR 0
#define REVERIFY_VERSION_MINOR 1
#define REVERIFY_VERSION_PATCH 0

namespace reverify {
/// The version this header belongs to, e.g. "0.1.0".
inline constexpr const char* version_string = "0.1.0";
}  // namespace reverify
