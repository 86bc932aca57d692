#pragma once
/// @file
/// The transport-neutral request and response the routes work on (no Beast types here).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reverify/error.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::server {

/// One HTTP request as the routes see it. `body` may hold a password or a code, so it lives in a
/// SecretString and is wiped when the request is destroyed.
struct ApiRequest {
  std::string method;                          ///< "GET", "POST", "DELETE", …
  std::string path;                            ///< the target without its query string
  std::optional<std::string> authorization;    ///< the Authorization header, when present
  std::optional<std::string> verification_id;  ///< the logto-verification-id header, when present
  reverify::SecretString body;                 ///< the raw body (UTF-8 JSON expected)
};

/// One HTTP response. An empty `body` with status 204 has no content type.
struct ApiResponse {
  unsigned status = 200;
  std::string body;                                          ///< JSON text, or empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (Retry-After, CORS)
  std::string log_detail;  ///< for the operator's log only (a 5xx's cause); never sent
};

/// A JSON error response `{"code":…,"message":…}` with the given status.
[[nodiscard]] ApiResponse error_response(unsigned status, std::string_view code, std::string_view message);

/// The response for a library error: its HTTP status, Logto string code and secret-free message,
/// plus `Retry-After` when the error carries a retry hint. A 5xx's message may quote a
/// collaborator (a database's host and user name, a provider's reply): the client gets the
/// code's fixed wording, and the message goes to `log_detail` for the operator.
[[nodiscard]] ApiResponse error_response(const reverify::Error& error);

/// 400 guard.invalid_input, saying which part of the body is wrong (never echoing values).
[[nodiscard]] ApiResponse invalid_input(std::string_view what);

/// 204 with no body.
[[nodiscard]] ApiResponse no_content();

}  // namespace reverify::server
