#include "reverify/identifier.hpp"

#include <array>

#include "identifier_match.hpp"

namespace reverify {
namespace {

constexpr std::size_t max_email_length = 256;
constexpr std::size_t max_phone_digits = 20;

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
Result<void> append_email(std::string_view raw, std::string& out) {
  const std::string_view value = trim(raw);
  if (value.empty()) return fail(Errc::invalid_input, "email is empty");
  if (value.size() > max_email_length) return fail(Errc::invalid_input, "email is longer than 256 bytes");
  const std::size_t start = out.size();
  out.append(value);
  char* folded = out.data() + start;
  bool bad_char = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto b = static_cast<unsigned char>(folded[i]);
    bad_char |= fold.forbidden[b];
    folded[i] = fold.lower[b];
  }
  const std::size_t at = value.find('@');
  const bool one_at = at != std::string_view::npos && value.find('@', at + 1) == std::string_view::npos;
  const std::string_view domain = one_at ? value.substr(at + 1) : std::string_view();
  const auto dot = domain.rfind('.');
  const char* problem = nullptr;
  if (bad_char) {
    problem = "email contains white space";
  } else if (!one_at || at == 0) {
    problem = "email must have one '@' after a local part";
  } else if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) {
    problem = "email domain must contain a dot";
  }
  if (problem != nullptr) {
    out.resize(start);
    return fail(Errc::invalid_input, problem);
  }
  return {};
}

Result<void> append_phone(std::string_view raw, std::string& out) {
  std::string_view value = trim(raw);
  if (!value.empty() && value.front() == '+') value.remove_prefix(1);
  std::size_t digits = 0;
  for (const char c : value) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c != ' ' && c != '-') {
      return fail(Errc::invalid_input, "phone may contain only digits, a leading '+', spaces and dashes");
    }
  }
  if (digits == 0) return fail(Errc::invalid_input, "phone has no digits");
  if (digits > max_phone_digits) return fail(Errc::invalid_input, "phone has more than 20 digits");
  out.reserve(out.size() + digits);
  for (const char c : value) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return {};
}

}  // namespace

Result<std::string> normalize_identifier(const Identifier& identifier) {
  std::string out;
  if (auto appended = detail::append_normalized(identifier, out); !appended) return tl::unexpected(appended.error());
  return out;
}

namespace detail {

Result<void> append_normalized(const Identifier& identifier, std::string& out) {
  switch (identifier.type) {
    case IdentifierType::email:
      return append_email(identifier.value, out);
    case IdentifierType::phone:
      return append_phone(identifier.value, out);
  }
  return fail(Errc::invalid_input, "unknown identifier type");
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
