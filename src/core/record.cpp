#include "reverify/record.hpp"

#include <fmt/format.h>

#include "reverify/clock.hpp"

namespace reverify {

std::string_view to_string(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::password:
      return "Password";
    case RecordKind::email_verification_code:
      return "EmailVerificationCode";
    case RecordKind::phone_verification_code:
      return "PhoneVerificationCode";
  }
  return "Unknown";
}

std::string_view to_string(TemplateType type) noexcept {
  switch (type) {
    case TemplateType::user_permission_validation:
      return "UserPermissionValidation";
    case TemplateType::bind_new_identifier:
      return "BindNewIdentifier";
    case TemplateType::bind_mfa:
      return "BindMfa";
  }
  return "Unknown";
}

std::optional<RecordKind> parse_record_kind(std::string_view name) noexcept {
  for (const auto kind :
       {RecordKind::password, RecordKind::email_verification_code, RecordKind::phone_verification_code}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<TemplateType> parse_template_type(std::string_view name) noexcept {
  for (const auto type :
       {TemplateType::user_permission_validation, TemplateType::bind_new_identifier, TemplateType::bind_mfa}) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

// Length-prefixed fields so that no choice of user id or identifier can collide with another.
std::string VerificationRecord::code_slot() const {
  if (!is_code()) return {};
  return fmt::format("{}:{}|{}|{}|{}:{}", user_id.size(), user_id, static_cast<int>(kind),
                     static_cast<int>(template_type), identifier_key.size(), identifier_key);
}

std::string to_string(const VerificationRecord& record) {
  std::string out = fmt::format("record {} kind={} user={}", record.id, to_string(record.kind), record.user_id);
  if (record.is_code()) {
    out += fmt::format(" template={} identifier={} attempts={} code_expires_at={}", to_string(record.template_type),
                       record.identifier, record.attempts, to_iso8601(record.code_expires_at));
  }
  if (!record.purpose.empty()) out += fmt::format(" purpose={}", record.purpose);
  out += fmt::format(" bound={} verified={} retired={} uses={} created_at={} expires_at={}",
                     record.binding_digest.has_value(), record.verified, record.retired, record.use_count,
                     to_iso8601(record.created_at), to_iso8601(record.expires_at));
  return out;
}

}  // namespace reverify
