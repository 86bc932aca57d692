#pragma once
// Steps the HTTP tests repeat: open records, send and verify codes, check error bodies.

#include <optional>
#include <string>

#include "http_client.hpp"
#include "server_process.hpp"

namespace reverify::http_test {

// The default users' passwords and tokens (see server_process.cpp).
inline const std::string alice_password = "alice-password-1";

// {"identifier":{"type":…,"value":…}} (+ templateType when given).
[[nodiscard]] Json code_request(const std::string& type, const std::string& value,
                                const std::optional<std::string>& template_type = std::nullopt);

// POST /api/verifications/password → the record id (REQUIREs 201).
[[nodiscard]] std::string password_record(HttpClient& client, const std::string& token, const std::string& password);

// A sent code: its record id and the code read from the outbox.
struct SentCode {
  std::string record_id;
  std::string code;
};
// POST /api/verifications/verification-code (REQUIREs 201) and reads the code.
[[nodiscard]] SentCode send_code(HttpClient& client, const ServerProcess& server, const std::string& token,
                                 const std::string& type, const std::string& value,
                                 const std::optional<std::string>& template_type = std::nullopt);
// POST …/verification-code/verify.
[[nodiscard]] HttpResponse verify_code(HttpClient& client, const std::string& token, const std::string& type,
                                       const std::string& value, const std::string& record_id, const std::string& code);
// send_code + verify_code (REQUIREs 200): a verified code record.
[[nodiscard]] std::string verified_code_record(HttpClient& client, const ServerProcess& server,
                                               const std::string& token, const std::string& type,
                                               const std::string& value,
                                               const std::optional<std::string>& template_type = std::nullopt);

// A wrong code that differs from `right` in every position.
[[nodiscard]] std::string wrong_code(const std::string& right);

// True for 21 characters of [0-9a-z].
[[nodiscard]] bool looks_like_record_id(const std::string& id);
// True for "YYYY-MM-DDTHH:MM:SS.mmmZ".
[[nodiscard]] bool looks_like_iso8601_ms(const std::string& text);
// Seconds from now until an ISO-8601 UTC time (negative when past).
[[nodiscard]] double seconds_until(const std::string& iso8601);

}  // namespace reverify::http_test

// CHECKs status and error code together, printing the body on failure.
#define CHECK_ERROR(response, expected_status, expected_code)                                  \
  do {                                                                                         \
    const auto& check_response_ = (response);                                                  \
    INFO("body: " << check_response_.body << " transfer: " << check_response_.transfer_error); \
    CHECK(check_response_.status == (expected_status));                                        \
    CHECK(check_response_.code() == (expected_code));                                          \
  } while (false)
