#pragma once
/// @file
/// Opt-in `fmt` formatters for reverify types. Include it only where you use fmt; the rest of the
/// public API never includes fmt. Records print without digests; secrets print as "[redacted]".

#include <fmt/format.h>

#include "reverify/error.hpp"
#include "reverify/events.hpp"
#include "reverify/record.hpp"
#include "reverify/secret_string.hpp"

template <>
struct fmt::formatter<reverify::Error> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const reverify::Error& e, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{} ({}): {}", e.string_code(), e.http_status(), e.message());
  }
};

template <>
struct fmt::formatter<reverify::VerificationRecord> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const reverify::VerificationRecord& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", reverify::to_string(r));
  }
};

template <>
struct fmt::formatter<reverify::Event> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const reverify::Event& e, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", reverify::to_string(e));
  }
};

template <>
struct fmt::formatter<reverify::SecretString> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const reverify::SecretString& /*secret*/, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "[redacted]");
  }
};
