// POST /api/verifications/*: open, prove and verify records through the library.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json_util.hpp"
#include "reverify/clock.hpp"
#include "routes.hpp"

namespace reverify::server {
namespace {

ApiResponse record_created(const std::string& record_id, reverify::Timestamp expires_at) {
  Json body = Json::object();
  body["verificationRecordId"] = record_id;
  body["expiresAt"] = reverify::to_iso8601(expires_at);
  return ApiResponse{201, dump_json(body), {}, {}};
}

std::vector<reverify::Identifier> owned_identifiers(const User& user) {
  std::vector<reverify::Identifier> owned;
  if (user.primary_email) owned.push_back(reverify::Identifier::email(*user.primary_email));
  if (user.primary_phone) owned.push_back(reverify::Identifier::phone(*user.primary_phone));
  return owned;
}

}  // namespace

ApiResponse verify_password_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  auto body = parse_object(request.body.reveal());
  if (!body) return invalid_input("expected a JSON object");
  reverify::PasswordVerificationRequest verification;
  if (take_secret(*body, "password", verification.password) != FieldState::ok || verification.password.empty()) {
    return invalid_input("password must be a non-empty string");
  }
  verification.user_id = caller.id;
  verification.stored_hash = caller.password_hash;

  auto verified = ctx.manager->verify_password(verification);
  if (!verified) return error_response(verified.error());
  if (verified->new_password_hash && caller.password_hash) {
    // Rehash on upgrade, unless the password was changed meanwhile.
    ctx.users->upgrade_password_hash(caller.id, *caller.password_hash, std::move(*verified->new_password_hash));
  }
  return record_created(verified->record_id, verified->expires_at);
}

ApiResponse send_code_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  const auto body = parse_object(request.body.reveal());
  if (!body) return invalid_input("expected a JSON object");
  reverify::SendCodeRequest send;
  if (read_identifier(*body, "identifier", send.identifier) != FieldState::ok) {
    return invalid_input(R"(identifier must be {"type":"email"|"phone","value":string})");
  }
  std::string template_name;
  switch (read_string(*body, "templateType", template_name)) {
    case FieldState::absent:
      break;
    case FieldState::wrong_type:
      return invalid_input(R"(templateType must be "UserPermissionValidation" or "BindMfa")");
    case FieldState::ok: {
      const auto type = reverify::parse_template_type(template_name);
      if (type != reverify::TemplateType::user_permission_validation && type != reverify::TemplateType::bind_mfa) {
        return invalid_input(R"(templateType must be "UserPermissionValidation" or "BindMfa")");
      }
      send.template_type = type;
      break;
    }
  }
  send.user_id = caller.id;
  send.owned_identifiers = owned_identifiers(caller);

  const auto sent = ctx.manager->send_code(send);
  if (!sent) return error_response(sent.error());
  return record_created(sent->record_id, sent->expires_at);
}

ApiResponse verify_code_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  auto body = parse_object(request.body.reveal());
  if (!body) return invalid_input("expected a JSON object");
  reverify::VerifyCodeRequest verify;
  if (read_identifier(*body, "identifier", verify.identifier) != FieldState::ok) {
    return invalid_input(R"(identifier must be {"type":"email"|"phone","value":string})");
  }
  if (read_string(*body, "verificationId", verify.record_id) != FieldState::ok) {
    return invalid_input("verificationId must be a string");
  }
  if (take_secret(*body, "code", verify.code) != FieldState::ok) return invalid_input("code must be a string");
  verify.user_id = caller.id;

  const auto verified = ctx.manager->verify_code(verify);
  if (!verified) return error_response(verified.error());
  Json response = Json::object();
  response["verificationRecordId"] = *verified;
  return ApiResponse{200, dump_json(response), {}, {}};
}

}  // namespace reverify::server
