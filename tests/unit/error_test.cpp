#include <catch2/catch.hpp>

#include "reverify/error.hpp"
#include "reverify/result.hpp"

using reverify::Errc;

TEST_CASE("every error code has Logto's string code and HTTP status") {
  struct Expected {
    Errc code;
    int status;
    const char* string_code;
  };
  const Expected table[] = {
      {Errc::invalid_credentials, 422, "session.invalid_credentials"},
      {Errc::verification_blocked, 400, "session.verification_blocked_too_many_attempts"},
      {Errc::code_mismatch, 400, "verification_code.code_mismatch"},
      {Errc::code_expired, 400, "verification_code.expired"},
      {Errc::code_exceed_max_try, 400, "verification_code.exceed_max_try"},
      {Errc::code_not_found, 400, "verification_code.not_found"},
      {Errc::email_mismatch, 400, "verification_code.email_mismatch"},
      {Errc::phone_mismatch, 400, "verification_code.phone_mismatch"},
      {Errc::record_not_found, 400, "verification_record.not_found"},
      {Errc::permission_denied, 401, "verification_record.permission_denied"},
      {Errc::message_rate_limited, 429, "request.message_rate_limited"},
      {Errc::invalid_input, 400, "guard.invalid_input"},
      {Errc::connector_not_found, 501, "connector.not_found"},
      {Errc::store_unavailable, 503, "reverify.store_unavailable"},
      {Errc::sender_unavailable, 503, "reverify.sender_unavailable"},
      {Errc::hasher_unavailable, 503, "reverify.hasher_unavailable"},
      {Errc::clock_unavailable, 503, "reverify.clock_unavailable"},
      {Errc::invalid_configuration, 500, "reverify.invalid_configuration"},
      {Errc::internal, 500, "reverify.internal_error"},
  };
  for (const auto& row : table) {
    const reverify::Error error(row.code);
    CHECK(error.string_code() == row.string_code);
    CHECK(error.http_status() == row.status);
    CHECK_FALSE(error.message().empty());
  }
}

TEST_CASE("errors bridge to std::error_code") {
  const std::error_code ec = Errc::code_mismatch;
  CHECK(ec.category().name() == std::string("reverify"));
  CHECK(ec == reverify::make_error_code(Errc::code_mismatch));
  CHECK(ec != reverify::make_error_code(Errc::code_expired));
  CHECK_FALSE(ec.message().empty());
}

TEST_CASE("retry hints are carried by copies") {
  const reverify::Error base(Errc::message_rate_limited);
  CHECK_FALSE(base.retry_after().has_value());
  const auto hinted = base.with_retry_after(std::chrono::seconds(42));
  REQUIRE(hinted.retry_after().has_value());
  CHECK(hinted.retry_after()->count() == 42);
  CHECK(hinted == Errc::message_rate_limited);
}
