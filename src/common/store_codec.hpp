#pragma once
// Decoding helpers the durable stores share: integers and digests read back from a backend. The
// enum checks also serve the senders, whose messages may carry a caller's cast.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>

#include "reverify/record.hpp"

namespace reverify::detail {

/// The whole of `text` as a decimal integer; false for empty, partial or out-of-range text.
[[nodiscard]] inline bool parse_i64(std::string_view text, std::int64_t& out) noexcept {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// A stored counter, clamped into the range the API uses.
[[nodiscard]] inline std::uint32_t to_u32(std::int64_t value) noexcept {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(value, 0, UINT32_MAX));
}

/// Raw digest bytes; `std::nullopt` unless exactly 32 bytes (the caller reports corruption).
[[nodiscard]] inline std::optional<Digest> digest_from_bytes(std::string_view bytes) noexcept {
  Digest digest{};
  if (bytes.size() != digest.size()) return std::nullopt;
  std::memcpy(digest.data(), bytes.data(), digest.size());
  return digest;
}

/// A stored record kind; `std::nullopt` for a value no release writes (the caller reports
/// corruption rather than hand the manager a kind it cannot name).
[[nodiscard]] inline std::optional<RecordKind> record_kind_from(std::int64_t value) noexcept {
  switch (value) {
    case static_cast<std::int64_t>(RecordKind::password):
    case static_cast<std::int64_t>(RecordKind::email_verification_code):
    case static_cast<std::int64_t>(RecordKind::phone_verification_code):
      return static_cast<RecordKind>(value);
    default:
      return std::nullopt;
  }
}

/// A stored template type; `std::nullopt` as for `record_kind_from`.
[[nodiscard]] inline std::optional<TemplateType> template_type_from(std::int64_t value) noexcept {
  switch (value) {
    case static_cast<std::int64_t>(TemplateType::user_permission_validation):
    case static_cast<std::int64_t>(TemplateType::bind_new_identifier):
    case static_cast<std::int64_t>(TemplateType::bind_mfa):
      return static_cast<TemplateType>(value);
    default:
      return std::nullopt;
  }
}

}  // namespace reverify::detail
