#pragma once
/// @file
/// Symbol visibility. Libraries are built with hidden visibility; what the public API declares
/// is marked REVERIFY_API so it stays visible from a shared library.

#if defined(_WIN32)
#define REVERIFY_API
#else
#define REVERIFY_API __attribute__((visibility("default")))
#endif
