#pragma once
/// @file
/// The route handlers. Each runs after authentication, with a snapshot of the caller.

#include "api_router.hpp"

namespace reverify::server {

/// POST /api/verifications/password `{password}` → 201 `{verificationRecordId, expiresAt}`.
[[nodiscard]] ApiResponse verify_password_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// POST /api/verifications/verification-code `{identifier, templateType?}` → 201 `{verificationRecordId, expiresAt}`.
[[nodiscard]] ApiResponse send_code_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// POST /api/verifications/verification-code/verify `{identifier, verificationId, code}` → 200
/// `{verificationRecordId}`.
[[nodiscard]] ApiResponse verify_code_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);

/// GET /api/my-account → 200 `{id, username, primaryEmail, primaryPhone, hasPassword}`.
[[nodiscard]] ApiResponse get_account_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// POST /api/my-account/password `{password}` + step-up header → 204.
[[nodiscard]] ApiResponse set_password_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// POST /api/my-account/primary-email `{email, newIdentifierVerificationRecordId}` + header → 204.
[[nodiscard]] ApiResponse set_email_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// POST /api/my-account/primary-phone `{phone, newIdentifierVerificationRecordId}` + header → 204.
[[nodiscard]] ApiResponse set_phone_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// DELETE /api/my-account/primary-email + header → 204.
[[nodiscard]] ApiResponse delete_email_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);
/// DELETE /api/my-account/primary-phone + header → 204.
[[nodiscard]] ApiResponse delete_phone_route(const ApiContext& ctx, const User& caller, const ApiRequest& request);

}  // namespace reverify::server
