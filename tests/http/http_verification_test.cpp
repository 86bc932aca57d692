// POST /api/verifications/*: opening password and code records and verifying codes.
#include <catch2/catch.hpp>

#include "test_flows.hpp"

using namespace reverify::http_test;

TEST_CASE("password verification opens a record, or says why not", "[http][verification][password]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/password";

  const auto opened = client.post(path, Json{{"password", alice_password}}, {bearer("tok-alice")});
  REQUIRE(opened.status == 201);
  const Json body = opened.json();
  CHECK(looks_like_record_id(body.at("verificationRecordId").get<std::string>()));
  const std::string expires = body.at("expiresAt").get<std::string>();
  CHECK(looks_like_iso8601_ms(expires));
  CHECK(seconds_until(expires) == Approx(600).margin(5));

  CHECK_ERROR(client.post(path, Json{{"password", "not-her-password"}}, {bearer("tok-alice")}), 422,
              "session.invalid_credentials");
  // A user without a password gets the same answer as a wrong password.
  CHECK_ERROR(client.post(path, Json{{"password", "anything-at-all"}}, {bearer("tok-bob")}), 422,
              "session.invalid_credentials");

  CHECK_ERROR(client.post(path, Json{{"password", ""}}, {bearer("tok-alice")}), 400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json::object(), {bearer("tok-alice")}), 400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json{{"password", 12345678}}, {bearer("tok-alice")}), 400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json{{"password", nullptr}}, {bearer("tok-alice")}), 400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json{{"password", {alice_password}}}, {bearer("tok-alice")}), 400,
              "guard.invalid_input");
}

TEST_CASE("sending a code writes the outbox line before answering", "[http][verification][send]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/verification-code";

  const auto sent = client.post(path, code_request("email", "alice@example.com"), {bearer("tok-alice")});
  REQUIRE(sent.status == 201);
  const std::string record_id = sent.json().at("verificationRecordId").get<std::string>();
  CHECK(looks_like_record_id(record_id));
  CHECK(looks_like_iso8601_ms(sent.json().at("expiresAt").get<std::string>()));
  CHECK(seconds_until(sent.json().at("expiresAt").get<std::string>()) == Approx(600).margin(5));

  auto lines = server.outbox();
  REQUIRE(lines.size() == 1);
  const Json& line = lines.back();
  CHECK(line.at("channel") == "email");
  CHECK(line.at("to") == "alice@example.com");
  CHECK(line.at("template") == "UserPermissionValidation");
  CHECK(line.at("verificationRecordId") == record_id);
  CHECK(looks_like_iso8601_ms(line.at("sentAt").get<std::string>()));
  const std::string code = line.at("code").get<std::string>();
  CHECK(code.size() == 6);
  CHECK(code.find_first_not_of("0123456789") == std::string::npos);
  CHECK(line.size() == 6);

  SECTION("phones go out as sms, to the value as given") {
    const auto record = send_code(client, server, "tok-alice", "phone", "+1 555-000-1111");
    const Json last = server.outbox().back();
    CHECK(last.at("channel") == "sms");
    CHECK(last.at("to") == "+1 555-000-1111");
    CHECK(last.at("template") == "UserPermissionValidation");  // normalised, it is her own phone
    CHECK(last.at("verificationRecordId") == record.record_id);
  }
  SECTION("the user's own address in other letter case is still her own") {
    (void)send_code(client, server, "tok-alice", "email", "  ALICE@Example.COM ");
    CHECK(server.outbox().back().at("template") == "UserPermissionValidation");
    CHECK(server.outbox().back().at("to") == "  ALICE@Example.COM ");
  }
  SECTION("BindMfa may be asked for on an own identifier") {
    (void)send_code(client, server, "tok-alice", "email", "alice@example.com", "BindMfa");
    CHECK(server.outbox().back().at("template") == "BindMfa");
  }
  SECTION("an identifier the user does not own forces BindNewIdentifier") {
    (void)send_code(client, server, "tok-alice", "email", "new@example.com");
    CHECK(server.outbox().back().at("template") == "BindNewIdentifier");
    (void)send_code(client, server, "tok-alice", "email", "other@example.com", "BindMfa");
    CHECK(server.outbox().back().at("template") == "BindNewIdentifier");
    (void)send_code(client, server, "tok-alice", "email", "other@example.com", "UserPermissionValidation");
    CHECK(server.outbox().back().at("template") == "BindNewIdentifier");
  }
}

TEST_CASE("a malformed send request is guard.invalid_input and sends nothing", "[http][verification][send]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/verification-code";
  const std::vector<Json> bad_bodies = {
      Json::object(),
      Json{{"identifier", "alice@example.com"}},
      Json{{"identifier", nullptr}},
      Json{{"identifier", {{"type", "username"}, {"value", "alice"}}}},
      Json{{"identifier", {{"type", "email"}}}},
      Json{{"identifier", {{"type", "email"}, {"value", 42}}}},
      Json{{"identifier", {{"value", "alice@example.com"}}}},
      code_request("email", "not-an-email"),
      code_request("email", ""),
      code_request("phone", "call me"),
      code_request("phone", ""),
      code_request("email", "alice@example.com", "BindNewIdentifier"),
      code_request("email", "alice@example.com", "SignIn"),
      code_request("email", "alice@example.com", "userpermissionvalidation"),
      Json{{"identifier", {{"type", "email"}, {"value", "alice@example.com"}}}, {"templateType", 1}},
      Json{{"identifier", {{"type", "email"}, {"value", "alice@example.com"}}}, {"templateType", nullptr}},
  };
  for (const auto& body : bad_bodies) {
    INFO(body.dump());
    CHECK_ERROR(client.post(path, body, {bearer("tok-alice")}), 400, "guard.invalid_input");
  }
  CHECK(server.outbox().empty());
}

TEST_CASE("verifying a code: the right one once, and every error", "[http][verification][verify]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
  const std::string email = "bob@example.com";

  CHECK_ERROR(verify_code(client, "tok-bob", "email", email, sent.record_id, wrong_code(sent.code)), 400,
              "verification_code.code_mismatch");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "other@example.com", sent.record_id, sent.code), 400,
              "verification_code.email_mismatch");
  // An email record asked for as a phone record is not found, as in Logto.
  CHECK_ERROR(verify_code(client, "tok-bob", "phone", "15550002222", sent.record_id, sent.code), 400,
              "verification_record.not_found");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", email, "000000000000000000000", sent.code), 400,
              "verification_record.not_found");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", email, "", sent.code), 400, "verification_record.not_found");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", email, sent.record_id, ""), 400, "verification_code.not_found");
  // Ownership: another user who learns the record id cannot verify it (Logto does not check this).
  CHECK_ERROR(verify_code(client, "tok-alice", "email", email, sent.record_id, sent.code), 400,
              "verification_record.not_found");
  // Type errors in the body.
  const std::string path = "/api/verifications/verification-code/verify";
  for (const Json& body :
       {Json{{"identifier", {{"type", "email"}, {"value", email}}}, {"code", sent.code}},
        Json{{"identifier", {{"type", "email"}, {"value", email}}}, {"verificationId", sent.record_id}},
        Json{{"verificationId", sent.record_id}, {"code", sent.code}},
        Json{{"identifier", {{"type", "email"}, {"value", email}}},
             {"verificationId", sent.record_id},
             {"code", 123456}},
        Json{{"identifier", {{"type", "email"}, {"value", email}}}, {"verificationId", 5}, {"code", sent.code}}}) {
    INFO(body.dump());
    CHECK_ERROR(client.post(path, body, {bearer("tok-bob")}), 400, "guard.invalid_input");
  }

  // Normalised comparison: the address in other letter case verifies.
  const auto verified = verify_code(client, "tok-bob", "email", "BOB@example.com", sent.record_id, sent.code);
  REQUIRE(verified.status == 200);
  CHECK(verified.json() == Json{{"verificationRecordId", sent.record_id}});
  // A code works once.
  CHECK_ERROR(verify_code(client, "tok-bob", "email", email, sent.record_id, sent.code), 400,
              "verification_code.not_found");
}

TEST_CASE("phone codes verify with the number written another way", "[http][verification][verify]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "phone", "15550002222");
  CHECK_ERROR(verify_code(client, "tok-bob", "phone", "15550009999", sent.record_id, sent.code), 400,
              "verification_code.phone_mismatch");
  CHECK(verify_code(client, "tok-bob", "phone", "+1 555-000-2222", sent.record_id, sent.code).status == 200);
}

TEST_CASE("a new code retires the earlier one for the same identifier and template", "[http][verification][verify]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const auto first = send_code(client, server, "tok-bob", "email", "bob@example.com");
  const auto second = send_code(client, server, "tok-bob", "email", "bob@example.com");
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", first.record_id, first.code), 400,
              "verification_record.not_found");
  CHECK(verify_code(client, "tok-bob", "email", "bob@example.com", second.record_id, second.code).status == 200);
}

TEST_CASE("ten wrong codes, then the right one answers exceed_max_try", "[http][verification][attempts]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
  for (int i = 0; i < 10; ++i) {
    INFO("wrong attempt " << i + 1);
    CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, wrong_code(sent.code)), 400,
                "verification_code.code_mismatch");
  }
  CHECK_ERROR(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code), 400,
              "verification_code.exceed_max_try");
}
