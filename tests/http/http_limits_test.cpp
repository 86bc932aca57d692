// Lockouts, the send limit, code expiry and attempt limits, driven through the policy flags.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "test_flows.hpp"

using namespace reverify::http_test;

TEST_CASE("lockout: failures lock the target, then even the right answer is refused", "[http][limits][lockout]") {
  ServerProcess server({"--lockout-failures", "3", "--lockout-window", "3600", "--lockout-duration", "600"});
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/password";

  SECTION("passwords lock the user") {
    CHECK_ERROR(client.post(path, Json{{"password", "wrong-1"}}, {bearer("tok-alice")}), 422,
                "session.invalid_credentials");
    CHECK_ERROR(client.post(path, Json{{"password", "wrong-2"}}, {bearer("tok-alice")}), 422,
                "session.invalid_credentials");
    // As in Logto, the failure that reaches the limit already answers "blocked".
    const auto third = client.post(path, Json{{"password", "wrong-3"}}, {bearer("tok-alice")});
    CHECK_ERROR(third, 400, "session.verification_blocked_too_many_attempts");
    CHECK_FALSE(third.header("retry-after").empty());
    CHECK_ERROR(client.post(path, Json{{"password", alice_password}}, {bearer("tok-alice")}), 400,
                "session.verification_blocked_too_many_attempts");
  }
  SECTION("codes lock the identifier, across records") {
    const auto first = send_code(client, server, "tok-bob", "email", "bob@example.com");
    CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", first.record_id, wrong_code(first.code)),
                400, "verification_code.code_mismatch");
    CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", first.record_id, wrong_code(first.code)),
                400, "verification_code.code_mismatch");
    const auto second = send_code(client, server, "tok-bob", "phone", "15550002222");
    CHECK(verify_code(client, "tok-bob", "phone", "15550002222", second.record_id, second.code).status == 200);
    const auto third = send_code(client, server, "tok-bob", "email", "BOB@example.com");
    CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", third.record_id, wrong_code(third.code)),
                400, "session.verification_blocked_too_many_attempts");
    CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", third.record_id, third.code), 400,
                "session.verification_blocked_too_many_attempts");
  }
}

TEST_CASE("send limit: the 11th send in the window answers 429, whatever the letter case", "[http][limits][send]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/verification-code";
  const char* const spellings[] = {"limit@example.com", "LIMIT@example.com", "Limit@Example.com", " limit@EXAMPLE.com"};
  for (int i = 0; i < 10; ++i) {
    INFO("send " << i + 1);
    CHECK(client.post(path, code_request("email", spellings[i % 4]), {bearer("tok-alice")}).status == 201);
  }
  const auto limited = client.post(path, code_request("email", "LIMIT@EXAMPLE.COM"), {bearer("tok-alice")});
  CHECK_ERROR(limited, 429, "request.message_rate_limited");
  CHECK_FALSE(limited.header("retry-after").empty());
  // Another user sending to the same recipient is limited too: the limit is per recipient.
  CHECK_ERROR(client.post(path, code_request("email", "limit@example.com"), {bearer("tok-bob")}), 429,
              "request.message_rate_limited");
  CHECK(server.outbox().size() == 10);
  // Other recipients are unaffected.
  CHECK(client.post(path, code_request("email", "alice@example.com"), {bearer("tok-alice")}).status == 201);
}

TEST_CASE("the send-limit and code-attempts flags set the policy", "[http][limits][flags]") {
  ServerProcess server({"--send-limit", "2", "--send-window", "60", "--code-attempts", "2"});
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, wrong_code(sent.code)), 400,
              "verification_code.code_mismatch");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, wrong_code(sent.code)), 400,
              "verification_code.code_mismatch");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code), 400,
              "verification_code.exceed_max_try");
  (void)send_code(client, server, "tok-bob", "email", "bob@example.com");
  CHECK_ERROR(client.post("/api/verifications/verification-code", code_request("email", "bob@example.com"),
                          {bearer("tok-bob")}),
              429, "request.message_rate_limited");
}

TEST_CASE("the record-ttl flag sets expiresAt", "[http][limits][flags]") {
  ServerProcess server({"--record-ttl", "120"});
  HttpClient client(server.base_url());
  const auto sent = client.post("/api/verifications/verification-code", code_request("email", "bob@example.com"),
                                {bearer("tok-bob")});
  REQUIRE(sent.status == 201);
  CHECK(seconds_until(sent.json().at("expiresAt").get<std::string>()) == Approx(120).margin(5));
}

TEST_CASE("a code expires after --code-ttl seconds", "[http][limits][expiry]") {
  ServerProcess server({"--code-ttl", "1"});
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
  // The one real wait of the suite: this is a separate process with a real clock.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code), 400,
              "verification_code.expired");
}
