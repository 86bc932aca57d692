// /api/my-account: the profile and the changes that need step-up.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "json_util.hpp"
#include "reverify/identifier.hpp"
#include "routes.hpp"

namespace reverify::server {
namespace {

// Logto's default password policy: 8 to 256 characters.
constexpr std::size_t min_password_length = 8;
constexpr std::size_t max_password_length = 256;

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++count;
  }
  return count;
}

ApiResponse permission_denied() { return error_response(reverify::Error(reverify::Errc::permission_denied)); }

// Step-up: the logto-verification-id header must name a record the library accepts. With
// count_use false the answer is only a preview (no use of the record is counted).
std::optional<ApiResponse> require_step_up(const ApiContext& ctx, const User& caller, const ApiRequest& request,
                                           bool count_use = true) {
  if (!request.verification_id || request.verification_id->empty()) return permission_denied();
  reverify::AuthorizeRequest authorize;
  authorize.record_id = *request.verification_id;
  authorize.user_id = caller.id;
  authorize.count_use = count_use;
  const auto accepted = ctx.manager->authorize(authorize);
  if (!accepted) return error_response(accepted.error());
  return std::nullopt;
}

ApiResponse change_identifier(const ApiContext& ctx, const User& caller, const ApiRequest& request,
                              reverify::IdentifierType type) {
  const bool email = type == reverify::IdentifierType::email;
  const char* field = email ? "email" : "phone";
  const auto body = parse_object(request.body.reveal());
  if (!body) return invalid_input("expected a JSON object");
  std::string value;
  std::string record_id;
  if (read_string(*body, field, value) != FieldState::ok)
    return invalid_input(std::string(field) + " must be a string");
  const reverify::Identifier identifier{type, value};
  auto key = reverify::normalize_identifier(identifier);
  if (!key) return invalid_input(email ? "email is not a valid email address" : "phone is not a valid phone number");
  if (read_string(*body, "newIdentifierVerificationRecordId", record_id) != FieldState::ok) {
    return invalid_input("newIdentifierVerificationRecordId must be a string");
  }

  // The new-identifier proof is read first (it spends nothing) but reported after the step-up
  // check, Logto's order: a request that fails it must not spend a use of the step-up record.
  reverify::AuthorizeRequest check;
  check.record_id = std::move(record_id);
  check.user_id = caller.id;
  const auto proved = ctx.manager->check_identifier_record(check, identifier);
  if (auto denied = require_step_up(ctx, caller, request, proved.has_value())) return std::move(*denied);
  if (!proved) return error_response(proved.error());

  const auto outcome = email ? ctx.users->set_primary_email(caller.id, std::move(value), std::move(*key))
                             : ctx.users->set_primary_phone(caller.id, std::move(value), std::move(*key));
  switch (outcome) {
    case ChangeOutcome::done:
      return no_content();
    case ChangeOutcome::already_in_use:
      return email ? error_response(422, "user.email_already_in_use",
                                    "This email is associated with an existing account.")
                   : error_response(422, "user.phone_already_in_use",
                                    "This phone number is associated with an existing account.");
    case ChangeOutcome::no_such_user:
    case ChangeOutcome::last_sign_in_method:
      break;
  }
  return error_response(401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.");
}

ApiResponse remove_identifier(const ApiContext& ctx, const User& caller, const ApiRequest& request, bool email) {
  if (auto denied = require_step_up(ctx, caller, request)) return std::move(*denied);
  const auto outcome = email ? ctx.users->remove_primary_email(caller.id) : ctx.users->remove_primary_phone(caller.id);
  switch (outcome) {
    case ChangeOutcome::done:
      return no_content();
    case ChangeOutcome::last_sign_in_method:
      return error_response(400, "user.last_sign_in_method_required", "You can't remove the last sign-in method.");
    case ChangeOutcome::no_such_user:
    case ChangeOutcome::already_in_use:
      break;
  }
  return error_response(401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.");
}

}  // namespace

ApiResponse get_account_route(const ApiContext& /*ctx*/, const User& caller, const ApiRequest& /*request*/) {
  Json body = Json::object();
  body["id"] = caller.id;
  body["username"] = string_or_null(caller.username);
  body["primaryEmail"] = string_or_null(caller.primary_email);
  body["primaryPhone"] = string_or_null(caller.primary_phone);
  body["hasPassword"] = caller.password_hash.has_value();
  return ApiResponse{200, dump_json(body), {}, {}};
}

ApiResponse set_password_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  auto body = parse_object(request.body.reveal());
  if (!body) return invalid_input("expected a JSON object");
  reverify::SecretString password;
  if (take_secret(*body, "password", password) != FieldState::ok || password.empty()) {
    return invalid_input("password must be a non-empty string");
  }
  // A user with no password, email or phone may set a first password without step-up (Logto 1.40).
  if (caller.has_credential()) {
    if (auto denied = require_step_up(ctx, caller, request)) return std::move(*denied);
  }
  const std::size_t length = utf8_length(password.reveal());
  if (length < min_password_length || length > max_password_length) {
    return error_response(422, "password.rejected", "Password rejected: use 8 to 256 characters.");
  }
  if (caller.password_hash) {
    const auto same = ctx.hasher->verify(password, *caller.password_hash);
    if (!same) return error_response(same.error());
    if (same->result == reverify::PasswordMatch::match) {
      return error_response(422, "user.same_password", "New password cannot be the same as the current password.");
    }
  }
  auto hashed = ctx.hasher->hash(password);
  if (!hashed) return error_response(hashed.error());
  if (!ctx.users->set_password_hash(caller.id, caller.password_hash, std::move(*hashed), !caller.has_credential())) {
    return error_response(reverify::Error(reverify::Errc::permission_denied));  // changed meanwhile: prove again
  }
  return no_content();
}

ApiResponse set_email_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  return change_identifier(ctx, caller, request, reverify::IdentifierType::email);
}

ApiResponse set_phone_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  return change_identifier(ctx, caller, request, reverify::IdentifierType::phone);
}

ApiResponse delete_email_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  return remove_identifier(ctx, caller, request, true);
}

ApiResponse delete_phone_route(const ApiContext& ctx, const User& caller, const ApiRequest& request) {
  return remove_identifier(ctx, caller, request, false);
}

}  // namespace reverify::server
