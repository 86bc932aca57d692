#pragma once
// Shared bits of the sender tests: a sample message and a "contains no secret" check.

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

}  // namespace reverify::test
