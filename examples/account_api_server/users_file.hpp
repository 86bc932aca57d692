#pragma once
/// @file
/// Loading the JSON users file.

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "reverify/password_hasher.hpp"
#include "user_directory.hpp"

namespace reverify::server {

/// Parses `{"users":[{"id","accessToken","username"?,"password"?|"passwordHash"?,
/// "passwordEncryptionMethod"?,"primaryEmail"?,"primaryPhone"?}]}`.
/// - `id` and `accessToken` are required, non-empty and unique; other fields may be absent or null.
/// - `password` is hashed with `hasher`; `passwordHash` is taken as stored (an Argon2 PHC string,
///   or with `passwordEncryptionMethod` one of Logto's methods, when the legacy component is built).
/// - emails and phones must be valid and unique in normalised form. Unknown keys are refused, so a
///   misspelt field does not silently leave a user without a password.
/// Errors: one line naming the user and the field (ids and keys shown as JSON strings); never a
/// password or hash.
[[nodiscard]] tl::expected<std::vector<User>, std::string> parse_users_json(std::string_view text,
                                                                            reverify::PasswordHasher& hasher);

/// Reads and parses the file at `path`. Errors as `parse_users_json`, prefixed with the path
/// (its control characters shown as \xNN).
[[nodiscard]] tl::expected<std::vector<User>, std::string> load_users_file(const std::string& path,
                                                                           reverify::PasswordHasher& hasher);

}  // namespace reverify::server
