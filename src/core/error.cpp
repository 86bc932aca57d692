#include "reverify/error.hpp"

namespace reverify {
namespace {

struct ErrcInfo {
  std::string_view code;
  int status;
  std::string_view message;
};

ErrcInfo info(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_credentials:
      return {"session.invalid_credentials", 422, "The credentials are invalid."};
    case Errc::verification_blocked:
      return {"session.verification_blocked_too_many_attempts", 400,
              "Too many attempts in a short time. Please try again later."};
    case Errc::code_mismatch:
      return {"verification_code.code_mismatch", 400, "Invalid verification code."};
    case Errc::code_expired:
      return {"verification_code.expired", 400, "Verification code has expired."};
    case Errc::code_exceed_max_try:
      return {"verification_code.exceed_max_try", 400,
              "Exceeded the maximum number of attempts. Please request a new code."};
    case Errc::code_not_found:
      return {"verification_code.not_found", 400, "Verification code not found. Please request a new code."};
    case Errc::email_mismatch:
      return {"verification_code.email_mismatch", 400, "The email does not match the one the code was sent to."};
    case Errc::phone_mismatch:
      return {"verification_code.phone_mismatch", 400, "The phone does not match the one the code was sent to."};
    case Errc::record_not_found:
      return {"verification_record.not_found", 400, "Verification record not found."};
    case Errc::permission_denied:
      return {"verification_record.permission_denied", 401, "Permission denied, please re-authenticate."};
    case Errc::message_rate_limited:
      return {"request.message_rate_limited", 429, "Too many messages to this recipient. Please try again later."};
    case Errc::invalid_input:
      return {"guard.invalid_input", 400, "The request input is invalid."};
    case Errc::connector_not_found:
      return {"connector.not_found", 501, "No sender is configured for this channel."};
    case Errc::store_unavailable:
      return {"reverify.store_unavailable", 503, "The verification store is unavailable."};
    case Errc::sender_unavailable:
      return {"reverify.sender_unavailable", 503, "The code could not be delivered."};
    case Errc::hasher_unavailable:
      return {"reverify.hasher_unavailable", 503, "Password verification is unavailable."};
    case Errc::clock_unavailable:
      return {"reverify.clock_unavailable", 503, "The clock is unavailable."};
    case Errc::invalid_configuration:
      return {"reverify.invalid_configuration", 500, "The verification configuration is invalid."};
    case Errc::internal:
      break;
  }
  return {"reverify.internal_error", 500, "Internal error."};
}

class ReverifyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "reverify"; }
  std::string message(int value) const override { return std::string(info(static_cast<Errc>(value)).message); }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const ReverifyCategory category;
  return category;
}

std::error_code make_error_code(Errc code) noexcept { return {static_cast<int>(code), error_category()}; }

std::string_view string_code(Errc code) noexcept { return info(code).code; }

int http_status(Errc code) noexcept { return info(code).status; }

Error::Error(Errc code) : code_(code), message_(info(code).message) {}

Error::Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

Error Error::with_retry_after(std::chrono::seconds after) const {
  Error copy = *this;
  copy.retry_after_ = after;
  return copy;
}

}  // namespace reverify
