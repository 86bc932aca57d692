#pragma once
// Shared bits of the sender tests: a sample message, a "contains no secret" check, the refusal
// of template types outside the enum that every sender owes, and readers of a sent email. The
// readers search plain strings: GCC 12 warns inside std::regex once sanitizers change inlining.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_text.hpp"
#include "reverify/code_sender.hpp"

namespace reverify::test {

inline constexpr const char* sample_code = "482915";

/// An email message for alice@example.com sent at a fixed instant, expiring 10 minutes later.
inline CodeMessage sample_message(std::string to = "alice@example.com", std::string code = sample_code) {
  CodeMessage message;
  message.channel = IdentifierType::email;
  message.to = std::move(to);
  message.code = SecretString(code);
  message.template_type = TemplateType::user_permission_validation;
  message.record_id = "rec0123456789abcdefgh";
  message.user_id = "u1";
  message.sent_at = from_unix_ms(1'700'000'000'000);
  message.code_expires_at = message.sent_at + std::chrono::minutes(10);
  return message;
}

/// True when `text` holds none of `secrets`.
inline bool free_of(const std::string& text, std::initializer_list<std::string> secrets) {
  for (const auto& secret : secrets) {
    if (!secret.empty() && text.find(secret) != std::string::npos) return false;
  }
  return true;
}

/// `sender` refuses a sample message whose template type is outside the enum (a caller's cast) as
/// invalid_input, without the code in the error.
inline void check_templates_outside_enum_refused(CodeSender& sender) {
  for (const int raw : {0, 4, 255}) {
    CAPTURE(raw);
    auto message = sample_message();
    message.template_type = static_cast<TemplateType>(raw);
    const auto sent = sender.send(message);
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::invalid_input);
    CHECK(free_of(sent.error().message(), {sample_code}));
  }
}

/// The number on the first body line of `data` (an email as sent: headers, blank line, body)
/// that is four spaces and digits only, as the SMTP sender sets the code apart; empty if none.
inline std::string indented_code(std::string_view data) {
  constexpr std::string_view lead = "\r\n    ";
  const std::size_t body = data.find("\r\n\r\n");
  if (body == std::string_view::npos) return {};
  for (std::size_t at = data.find(lead, body); at != std::string_view::npos; at = data.find(lead, at + 2)) {
    const std::size_t begin = at + lead.size();
    std::size_t end = begin;
    while (end < data.size() && data[end] >= '0' && data[end] <= '9') ++end;
    if (end > begin && data.substr(end, 2) == "\r\n") return std::string(data.substr(begin, end - begin));
  }
  return {};
}

/// True when `headers` (ending in CRLF) hold `line` (its CRLF included) as a whole line.
inline bool has_header_line(std::string_view headers, std::string_view line) {
  return starts_with(headers, line) || contains(headers, "\r\n" + std::string(line));
}

/// The text between `prefix` and `suffix` on the header line that starts with `prefix`; empty if
/// there is no such line.
inline std::string header_between(std::string_view headers, std::string_view prefix, std::string_view suffix) {
  const std::size_t at = headers.find("\r\n" + std::string(prefix));
  if (at == std::string_view::npos) return {};
  const std::size_t begin = at + 2 + prefix.size();
  const std::size_t end = headers.find("\r\n", begin);
  const std::string_view value = headers.substr(begin, end - begin);
  if (!ends_with(value, suffix)) return {};
  return std::string(value.substr(0, value.size() - suffix.size()));
}

/// True when `text` is `length` lower-case hex digits.
inline bool lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace reverify::test
