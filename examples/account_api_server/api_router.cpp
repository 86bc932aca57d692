#include "api_router.hpp"

#include <optional>
#include <string_view>

#include "json_util.hpp"
#include "routes.hpp"

namespace reverify::server {
namespace {

using Handler = ApiResponse (*)(const ApiContext&, const User&, const ApiRequest&);

struct Route {
  std::string_view method;
  std::string_view path;
  Handler handler;
};

const Route routes[] = {
    {"POST", "/api/verifications/password", &verify_password_route},
    {"POST", "/api/verifications/verification-code", &send_code_route},
    {"POST", "/api/verifications/verification-code/verify", &verify_code_route},
    {"GET", "/api/my-account", &get_account_route},
    {"POST", "/api/my-account/password", &set_password_route},
    {"POST", "/api/my-account/primary-email", &set_email_route},
    {"POST", "/api/my-account/primary-phone", &set_phone_route},
    {"DELETE", "/api/my-account/primary-email", &delete_email_route},
    {"DELETE", "/api/my-account/primary-phone", &delete_phone_route},
};

bool under(std::string_view path, std::string_view prefix) {
  return path == prefix ||
         (path.substr(0, prefix.size()) == prefix && path.size() > prefix.size() && path[prefix.size()] == '/');
}

// Logto answers any origin on these two prefixes.
bool cors_path(std::string_view path) { return under(path, "/api/my-account") || under(path, "/api/verifications"); }

ApiResponse not_found() { return error_response(404, "request.not_found", "No such route."); }

// Details could carry request data; the session's log line says enough.
ApiResponse internal_error() { return error_response(500, "reverify.internal_error", "Internal server error."); }

void allow_any_origin(const ApiRequest& request, ApiResponse& response) {
  if (cors_path(request.path)) response.headers.emplace_back("Access-Control-Allow-Origin", "*");
}

// The answers that need nothing but the request: `/health`, paths outside `/api` and CORS
// preflights. Anything else needs authentication and a route.
std::optional<ApiResponse> request_only_answer(const ApiRequest& request) {
  if (request.path == "/health") {
    if (request.method != "GET") return not_found();
    return ApiResponse{200, R"({"status":"ok"})", {}, {}};
  }
  if (!under(request.path, "/api")) return not_found();

  if (request.method == "OPTIONS" && cors_path(request.path)) {
    ApiResponse preflight = no_content();
    preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    preflight.headers.emplace_back("Access-Control-Allow-Headers",
                                   "Authorization, Content-Type, logto-verification-id");
    preflight.headers.emplace_back("Access-Control-Max-Age", "600");
    return preflight;
  }
  return std::nullopt;
}

}  // namespace

ApiResponse ApiRouter::handle(const ApiRequest& request) const noexcept {
  try {
    ApiResponse response = route(request);
    allow_any_origin(request, response);
    return response;
  } catch (...) {
    return internal_error();
  }
}

std::optional<ApiResponse> ApiRouter::answer_from_request(const ApiRequest& request) noexcept {
  try {
    std::optional<ApiResponse> answer = request_only_answer(request);
    if (answer) allow_any_origin(request, *answer);
    return answer;
  } catch (...) {
    return internal_error();
  }
}

ApiResponse ApiRouter::route(const ApiRequest& request) const {
  if (auto answer = request_only_answer(request)) return std::move(*answer);

  // Logto's order: the header's presence, then its type, then the token.
  if (!request.authorization || request.authorization->empty()) {
    return error_response(401, "auth.authorization_header_missing", "Authorization header is missing.");
  }
  const std::string_view header = *request.authorization;
  constexpr std::string_view bearer = "Bearer";
  if (header.substr(0, bearer.size()) != bearer) {
    return error_response(401, "auth.authorization_token_type_not_supported", "Authorization type is not supported.");
  }
  std::string_view token = header.substr(bearer.size());
  // "Bearer" must be followed by a space: "Bearertok" names no token.
  const bool separated = !token.empty() && token.front() == ' ';
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  const auto caller = !separated || token.empty() ? std::nullopt : context_.users->find_by_token(token);
  if (!caller) return error_response(401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.");

  for (const auto& candidate : routes) {
    if (candidate.method == request.method && candidate.path == request.path) {
      return candidate.handler(context_, *caller, request);
    }
  }
  return not_found();
}

}  // namespace reverify::server
