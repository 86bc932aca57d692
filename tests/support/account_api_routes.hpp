#pragma once
/// @file
/// The nine routes of the example server's Account API, for the HTTP tests and the request fuzz
/// target. Listed here rather than taken from the router's table, so that they check the router.

#include <array>

namespace reverify::test {

struct ApiRoute {
  const char* method;
  const char* path;
};

inline constexpr std::array<ApiRoute, 9> account_api_routes = {{
    {"POST", "/api/verifications/password"},
    {"POST", "/api/verifications/verification-code"},
    {"POST", "/api/verifications/verification-code/verify"},
    {"GET", "/api/my-account"},
    {"POST", "/api/my-account/password"},
    {"POST", "/api/my-account/primary-email"},
    {"POST", "/api/my-account/primary-phone"},
    {"DELETE", "/api/my-account/primary-email"},
    {"DELETE", "/api/my-account/primary-phone"},
}};

}  // namespace reverify::test
