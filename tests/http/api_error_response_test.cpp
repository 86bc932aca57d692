// The example server's error bodies (examples/account_api_server/api_types.cpp): a library error's
// message reaches the client only below 500; a 5xx's message, which may quote a database or a
// provider, goes to the operator's log instead.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "api_types.hpp"
#include "reverify/error.hpp"

using reverify::Errc;
using reverify::Error;
using reverify::server::error_response;

TEST_CASE("a 5xx tells the client the code's fixed wording and keeps the cause for the log", "[http][errors]") {
  const std::string cause =
      "postgres connect: connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: FATAL:  password "
      "authentication failed for user \"app\"";
  const auto code = GENERATE(Errc::store_unavailable, Errc::sender_unavailable, Errc::hasher_unavailable,
                             Errc::clock_unavailable, Errc::connector_not_found, Errc::internal);
  const Error error(code, cause);
  const auto response = error_response(error);
  const auto body = nlohmann::json::parse(response.body);
  INFO(response.body);
  CHECK(response.status == static_cast<unsigned>(error.http_status()));
  CHECK(response.status >= 500);
  CHECK(body.at("code") == std::string(error.string_code()));
  CHECK(body.at("message") == Error(code).message());
  CHECK(response.body.find("db.internal") == std::string::npos);
  CHECK(response.body.find("10.0.0.5") == std::string::npos);
  CHECK(response.log_detail == error.message());
}

TEST_CASE("below 500 the library's message is the client's, and nothing is logged", "[http][errors]") {
  const Error error = Error(Errc::verification_blocked).with_retry_after(std::chrono::seconds(3600));
  const auto response = error_response(error);
  const auto body = nlohmann::json::parse(response.body);
  CHECK(response.status == 400);
  CHECK(body.at("message") == error.message());
  CHECK(response.log_detail.empty());
  REQUIRE(response.headers.size() == 1);
  CHECK(response.headers[0] == std::make_pair(std::string("Retry-After"), std::string("3600")));
}
