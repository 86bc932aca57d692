#include <catch2/catch.hpp>

#include "reverify/error.hpp"
#include "reverify/result.hpp"

using reverify::Errc;

TEST_CASE("every error code has Logto's string code and HTTP status") {
  struct Expected {
    Errc code;
    const char* string_code;
    int status;
  };
  const Expected table[] = {
      {Errc::invalid_credentials, "session.invalid_credentials", 422},
      {Errc::verification_blocked, "session.verification_blocked_too_many_attempts", 400},
      {Errc::code_mismatch, "verification_code.code_mismatch", 400},
      {Errc::code_expired, "verification_code.expired", 400},
      {Errc::code_exceed_max_try, "verification_code.exceed_max_try", 400},
      {Errc::code_not_found, "verification_code.not_found", 400},
      {Errc::email_mismatch, "verification_code.email_mismatch", 400},
      {Errc::phone_mismatch, "verification_code.phone_mismatch", 400},
      {Errc::record_not_found, "verification_record.not_found", 400},
      {Errc::permission_denied, "verification_record.permission_denied", 401},
      {Errc::message_rate_limited, "request.message_rate_limited", 429},
      {Errc::invalid_input, "guard.invalid_input", 400},
      {Errc::connector_not_found, "connector.not_found", 501},
      {Errc::store_unavailable, "reverify.store_unavailable", 503},
      {Errc::sender_unavailable, "reverify.sender_unavailable", 503},
      {Errc::hasher_unavailable, "reverify.hasher_unavailable", 503},
      {Errc::clock_unavailable, "reverify.clock_unavailable", 503},
      {Errc::invalid_configuration, "reverify.invalid_configuration", 500},
      {Errc::internal, "reverify.internal_error", 500},
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
