#include "reverify/identifier.hpp"

#include <array>
#include <cstring>

#include "identifier_match.hpp"

namespace reverify {
namespace {

constexpr std::size_t max_email_length = 256;
constexpr std::size_t max_phone_digits = 20;
// The value is stored and sent as given, so white space, spaces and dashes around the part that
// counts are bounded too: a padded value would otherwise make a large record (or fail in the
// store as if it were down) instead of being refused here.
constexpr std::size_t max_raw_length = 512;

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Every byte's lower-case form (ASCII letters only; other bytes are themselves).
struct FoldTable {
  std::array<char, 256> lower{};
  std::array<bool, 256> forbidden{};  // white space and NUL: never inside an e-mail address
};

constexpr FoldTable make_fold_table() {
  FoldTable table;
  for (unsigned b = 0; b < 256; ++b) {
    const auto c = static_cast<char>(b);
    table.lower[b] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    table.forbidden[b] = is_space(c) || c == '\0';
  }
  return table;
}

constexpr FoldTable fold = make_fold_table();

char lower(char c) noexcept { return fold.lower[static_cast<unsigned char>(c)]; }

// Logto's rule is /^\S+@\S+\.\S+$/; we also demand exactly one '@' so that two spellings of one
// mailbox cannot normalise differently. One table-driven pass checks and folds (this runs on
// every send and verify).
Result<std::size_t> normalize_email(std::string_view raw, char* out) {
  const std::string_view value = trim(raw);
  if (value.empty()) return fail(Errc::invalid_input, "email is empty");
  if (value.size() > max_email_length) return fail(Errc::invalid_input, "email is longer than 256 bytes");
  bool bad_char = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto b = static_cast<unsigned char>(value[i]);
    bad_char |= fold.forbidden[b];
    out[i] = fold.lower[b];
  }
  const std::size_t at = value.find('@');
  const bool one_at = at != std::string_view::npos && value.find('@', at + 1) == std::string_view::npos;
  const std::string_view domain = one_at ? value.substr(at + 1) : std::string_view();
  const auto dot = domain.rfind('.');
  if (bad_char) return fail(Errc::invalid_input, "email contains white space");
  if (!one_at || at == 0) return fail(Errc::invalid_input, "email must have one '@' after a local part");
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) {
    return fail(Errc::invalid_input, "email domain must contain a dot");
  }
  return value.size();
}

Result<std::size_t> normalize_phone(std::string_view raw, char* out) {
  std::string_view value = trim(raw);
  if (!value.empty() && value.front() == '+') value.remove_prefix(1);
  std::size_t digits = 0;
  for (const char c : value) {
    if (c >= '0' && c <= '9') {
      // Counted first, written only while in bounds: a long input is refused below, not truncated.
      if (digits < max_phone_digits) out[digits] = c;
      ++digits;
    } else if (c != ' ' && c != '-') {
      return fail(Errc::invalid_input, "phone may contain only digits, a leading '+', spaces and dashes");
    }
  }
  if (digits == 0) return fail(Errc::invalid_input, "phone has no digits");
  if (digits > max_phone_digits) return fail(Errc::invalid_input, "phone has more than 20 digits");
  return digits;
}

}  // namespace

Result<std::string> normalize_identifier(const Identifier& identifier) {
  // Only the bytes normalize_into writes are read.
  std::array<char, detail::max_normalized_length> buffer;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  auto size = detail::normalize_into(identifier, buffer.data());
  if (!size) return tl::unexpected(size.error());
  return std::string(buffer.data(), *size);
}

namespace detail {

static_assert(max_normalized_length == max_email_length && max_phone_digits <= max_normalized_length,
              "normalize_into's buffer holds the longest normalised identifier");

Result<std::size_t> normalize_into(const Identifier& identifier, char* out) {
  if (identifier.value.size() > max_raw_length) return fail(Errc::invalid_input, "identifier is longer than 512 bytes");
  switch (identifier.type) {
    case IdentifierType::email:
      return normalize_email(identifier.value, out);
    case IdentifierType::phone:
      return normalize_phone(identifier.value, out);
  }
  return fail(Errc::invalid_input, "unknown identifier type");
}

Result<void> IdentifierKey::assign(const Identifier& identifier) {
  size_ = 0;
  auto size = normalize_into(identifier, bytes_.data() + prefix_size);
  if (!size) return tl::unexpected(size.error());
  std::memcpy(bytes_.data(), key_prefix(scope_, identifier.type).data(), prefix_size);
  size_ = prefix_size + *size;
  return {};
}

bool normalizes_to(const Identifier& raw, std::string_view key) noexcept {
  std::string_view value = trim(raw.value);
  if (raw.type == IdentifierType::email) {
    if (value.size() != key.size()) return false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (lower(value[i]) != key[i]) return false;
    }
    return true;
  }
  if (!value.empty() && value.front() == '+') value.remove_prefix(1);
  std::size_t matched = 0;
  for (const char c : value) {
    if (c >= '0' && c <= '9') {
      if (matched == key.size() || key[matched] != c) return false;
      ++matched;
    } else if (c != ' ' && c != '-') {
      return false;
    }
  }
  return matched == key.size();
}

}  // namespace detail

std::string_view to_string(IdentifierType type) noexcept { return type == IdentifierType::phone ? "phone" : "email"; }

}  // namespace reverify
