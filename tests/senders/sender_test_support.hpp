#pragma once
// Shared bits of the sender tests: a sample message, a "contains no secret" check, and the
// refusal of template types outside the enum that every sender owes.

#include <catch2/catch.hpp>

#include <string>

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

}  // namespace reverify::test
