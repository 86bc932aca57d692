#pragma once
/// @file
/// The one error type of the public API.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "reverify/export.hpp"

namespace reverify {

/// Every way a public call can fail. Stable: values are never renumbered.
enum class Errc : std::uint8_t {
  invalid_credentials = 1,  ///< session.invalid_credentials (422)
  verification_blocked,     ///< session.verification_blocked_too_many_attempts (400)
  code_mismatch,            ///< verification_code.code_mismatch (400)
  code_expired,             ///< verification_code.expired (400)
  code_exceed_max_try,      ///< verification_code.exceed_max_try (400)
  code_not_found,           ///< verification_code.not_found (400)
  email_mismatch,           ///< verification_code.email_mismatch (400)
  phone_mismatch,           ///< verification_code.phone_mismatch (400)
  record_not_found,         ///< verification_record.not_found (400)
  permission_denied,        ///< verification_record.permission_denied (401)
  message_rate_limited,     ///< request.message_rate_limited (429)
  invalid_input,            ///< guard.invalid_input (400)
  connector_not_found,      ///< connector.not_found (501): no sender for the channel
  store_unavailable,        ///< reverify.store_unavailable (503): the Store failed or threw
  sender_unavailable,       ///< reverify.sender_unavailable (503): the CodeSender failed or threw
  hasher_unavailable,       ///< reverify.hasher_unavailable (503): the PasswordHasher failed or threw
  clock_unavailable,        ///< reverify.clock_unavailable (503): the Clock threw or read a time outside 1970..9999
  invalid_configuration,    ///< reverify.invalid_configuration (500): bad Policy or Dependencies
  internal,                 ///< reverify.internal_error (500): a broken invariant; a bug
};

/// The `std::error_code` category of `Errc` ("reverify").
[[nodiscard]] REVERIFY_API const std::error_category& error_category() noexcept;

/// Bridges `Errc` to `std::error_code`.
[[nodiscard]] REVERIFY_API std::error_code make_error_code(Errc code) noexcept;

/// The stable Logto-style string code, e.g. "verification_code.code_mismatch".
[[nodiscard]] REVERIFY_API std::string_view string_code(Errc code) noexcept;

/// The HTTP status a server should answer with, e.g. 400.
[[nodiscard]] REVERIFY_API int http_status(Errc code) noexcept;

/// A failed call: a code plus a human message. The message never contains a code, password,
/// pepper or stored hash; it may name user ids and record ids. Cheap to copy.
class REVERIFY_API Error {
 public:
  /// An error with the code's default message.
  explicit Error(Errc code);
  /// An error with a message of the caller's. Callers must not put secrets in it.
  Error(Errc code, std::string message);

  [[nodiscard]] Errc code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] std::string_view string_code() const noexcept { return reverify::string_code(code_); }
  [[nodiscard]] int http_status() const noexcept { return reverify::http_status(code_); }
  [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(code_); }

  /// For `message_rate_limited` and `verification_blocked`: how long until a retry can succeed.
  [[nodiscard]] std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }
  /// Returns a copy carrying a retry hint.
  [[nodiscard]] Error with_retry_after(std::chrono::seconds after) const;

  friend bool operator==(const Error& a, Errc b) noexcept { return a.code_ == b; }
  friend bool operator!=(const Error& a, Errc b) noexcept { return a.code_ != b; }

 private:
  Errc code_;
  std::string message_;
  std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace reverify

namespace std {
template <>
struct is_error_code_enum<reverify::Errc> : true_type {};
}  // namespace std
