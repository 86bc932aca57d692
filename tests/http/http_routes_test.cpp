// Routing, bearer authentication, the profile route and CORS.
#include <catch2/catch.hpp>

#include "account_api_routes.hpp"
#include "test_flows.hpp"

using namespace reverify::http_test;

TEST_CASE("health needs no token, unknown routes answer a 404 JSON error after auth", "[http][routes]") {
  ServerProcess server;
  HttpClient client(server.base_url());

  const auto health = client.get("/health");
  CHECK(health.status == 200);
  CHECK(health.json() == Json{{"status", "ok"}});

  CHECK_ERROR(client.get("/nowhere"), 404, "request.not_found");
  CHECK_ERROR(client.get("/api/nowhere"), 401, "auth.authorization_header_missing");
  CHECK_ERROR(client.get("/api/nowhere", {bearer("tok-alice")}), 404, "request.not_found");
  CHECK_ERROR(client.request("PUT", "/api/my-account", std::string("{}"), {bearer("tok-alice")}), 404,
              "request.not_found");
  CHECK_ERROR(client.get("/api/verifications/password", {bearer("tok-alice")}), 404, "request.not_found");
  // A query string does not change the route.
  CHECK(client.get("/api/my-account?x=1", {bearer("tok-alice")}).status == 200);
}

TEST_CASE("every api route checks the bearer token first", "[http][routes][auth]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  for (const auto& route : reverify::test::account_api_routes) {
    INFO(route.method << ' ' << route.path);
    const std::optional<std::string> body =
        std::string(route.method) == "POST" ? std::optional<std::string>("{}") : std::nullopt;
    CHECK_ERROR(client.request(route.method, route.path, body), 401, "auth.authorization_header_missing");
    CHECK_ERROR(client.request(route.method, route.path, body, {"Authorization: Basic YWxpY2U6cHc="}), 401,
                "auth.authorization_token_type_not_supported");
    CHECK_ERROR(client.request(route.method, route.path, body, {bearer("tok-nobody")}), 401, "auth.unauthorized");
    CHECK_ERROR(client.request(route.method, route.path, body, {"Authorization: Bearer"}), 401, "auth.unauthorized");
    CHECK_ERROR(client.request(route.method, route.path, body, {"Authorization: Bearertok-alice"}), 401,
                "auth.unauthorized");
    CHECK_ERROR(client.request(route.method, route.path, body, {"Authorization: bearer tok-alice"}), 401,
                "auth.authorization_token_type_not_supported");
  }
}

TEST_CASE("GET /api/my-account shows the caller, with null for what is absent", "[http][routes]") {
  ServerProcess server;
  HttpClient client(server.base_url());

  const auto alice = client.get("/api/my-account", {bearer("tok-alice")});
  REQUIRE(alice.status == 200);
  CHECK(alice.json() == Json{{"id", "u-alice"},
                             {"username", "alice"},
                             {"primaryEmail", "alice@example.com"},
                             {"primaryPhone", "15550001111"},
                             {"hasPassword", true}});

  const auto carol = client.get("/api/my-account", {bearer("tok-carol")});
  REQUIRE(carol.status == 200);
  CHECK(carol.json() == Json{{"id", "u-carol"},
                             {"username", nullptr},
                             {"primaryEmail", nullptr},
                             {"primaryPhone", nullptr},
                             {"hasPassword", false}});
}

TEST_CASE("CORS: /api/my-account and /api/verifications allow any origin", "[http][routes][cors]") {
  ServerProcess server;
  HttpClient client(server.base_url());

  CHECK(client.get("/api/my-account", {bearer("tok-alice")}).header("access-control-allow-origin") == "*");
  const auto error = client.post("/api/verifications/password", std::string("{}"), {bearer("tok-alice")});
  CHECK(error.status == 400);
  CHECK(error.header("access-control-allow-origin") == "*");

  // A preflight carries no token and must not be refused.
  const auto preflight = client.request("OPTIONS", "/api/verifications/password", std::nullopt,
                                        {"Origin: https://app.example", "Access-Control-Request-Method: POST"});
  CHECK(preflight.status == 204);
  CHECK(preflight.header("access-control-allow-origin") == "*");
  CHECK(preflight.header("access-control-allow-headers").find("logto-verification-id") != std::string::npos);

  CHECK(client.get("/health").header("access-control-allow-origin").empty());
}
