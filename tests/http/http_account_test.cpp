// /api/my-account/primary-email and primary-phone: changes and removals behind step-up.
#include <catch2/catch.hpp>

#include "test_flows.hpp"

using namespace reverify::http_test;

TEST_CASE("changing the primary email needs step-up and a verified record for the new address",
          "[http][account][email]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/my-account/primary-email";
  const std::string header_record = verified_code_record(client, server, "tok-bob", "email", "bob@example.com");
  const std::string new_record = verified_code_record(client, server, "tok-bob", "email", "Bob.New@Example.com");
  const auto with_step_up = std::vector<std::string>{bearer("tok-bob"), step_up(header_record)};

  CHECK_ERROR(
      client.post(path, Json{{"email", "bob.new@example.com"}, {"newIdentifierVerificationRecordId", new_record}},
                  {bearer("tok-bob")}),
      401, "verification_record.permission_denied");
  // The new-identifier record must be for this address...
  CHECK_ERROR(client.post(path, Json{{"email", "other@example.com"}, {"newIdentifierVerificationRecordId", new_record}},
                          with_step_up),
              400, "verification_record.not_found");
  CHECK_ERROR(client.post(path, Json{{"email", "bob.new@example.com"}, {"newIdentifierVerificationRecordId", "nope"}},
                          with_step_up),
              400, "verification_record.not_found");
  // ... and verified.
  const auto unverified = send_code(client, server, "tok-bob", "email", "bob.other@example.com");
  CHECK_ERROR(
      client.post(path,
                  Json{{"email", "bob.other@example.com"}, {"newIdentifierVerificationRecordId", unverified.record_id}},
                  with_step_up),
      400, "verification_record.not_found");
  // Body errors.
  CHECK_ERROR(client.post(path, Json{{"email", "bob.new@example.com"}}, with_step_up), 400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json{{"email", "not an email"}, {"newIdentifierVerificationRecordId", new_record}},
                          with_step_up),
              400, "guard.invalid_input");
  CHECK_ERROR(client.post(path, Json{{"email", 7}, {"newIdentifierVerificationRecordId", new_record}}, with_step_up),
              400, "guard.invalid_input");

  // Normalised comparison: the record was sent to "Bob.New@Example.com".
  const auto changed = client.post(
      path, Json{{"email", "bob.new@example.com"}, {"newIdentifierVerificationRecordId", new_record}}, with_step_up);
  CHECK(changed.status == 204);
  CHECK(client.get("/api/my-account", {bearer("tok-bob")}).json().at("primaryEmail") == "bob.new@example.com");

  // Someone else's address: refused even with a verified record for it.
  const std::string alices = verified_code_record(client, server, "tok-bob", "email", "ALICE@example.com");
  CHECK_ERROR(client.post(path, Json{{"email", "ALICE@example.com"}, {"newIdentifierVerificationRecordId", alices}},
                          with_step_up),
              422, "user.email_already_in_use");
  CHECK(client.get("/api/my-account", {bearer("tok-alice")}).json().at("primaryEmail") == "alice@example.com");
}

TEST_CASE("changing the primary phone needs step-up and a verified record for the new number",
          "[http][account][phone]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/my-account/primary-phone";
  const std::string header_record = password_record(client, "tok-alice", alice_password);
  const auto with_step_up = std::vector<std::string>{bearer("tok-alice"), step_up(header_record)};
  const std::string new_record = verified_code_record(client, server, "tok-alice", "phone", "+1 555-000-3333");

  CHECK_ERROR(client.post(path, Json{{"phone", "15550003333"}, {"newIdentifierVerificationRecordId", new_record}},
                          {bearer("tok-alice")}),
              401, "verification_record.permission_denied");
  CHECK_ERROR(client.post(path, Json{{"phone", "15550004444"}, {"newIdentifierVerificationRecordId", new_record}},
                          with_step_up),
              400, "verification_record.not_found");
  // An email record does not prove a phone number.
  const std::string email_record = verified_code_record(client, server, "tok-alice", "email", "alice@example.com");
  CHECK_ERROR(client.post(path, Json{{"phone", "15550003333"}, {"newIdentifierVerificationRecordId", email_record}},
                          with_step_up),
              400, "verification_record.not_found");
  CHECK_ERROR(client.post(path, Json{{"phone", "not a number"}, {"newIdentifierVerificationRecordId", new_record}},
                          with_step_up),
              400, "guard.invalid_input");

  CHECK(
      client.post(path, Json{{"phone", "15550003333"}, {"newIdentifierVerificationRecordId", new_record}}, with_step_up)
          .status == 204);
  CHECK(client.get("/api/my-account", {bearer("tok-alice")}).json().at("primaryPhone") == "15550003333");

  // Bob's number, written another way, is in use.
  const std::string bobs = verified_code_record(client, server, "tok-alice", "phone", "+1-555-000-2222");
  CHECK_ERROR(
      client.post(path, Json{{"phone", "+1-555-000-2222"}, {"newIdentifierVerificationRecordId", bobs}}, with_step_up),
      422, "user.phone_already_in_use");
}

TEST_CASE("removing the primary email or phone needs step-up and keeps the last identifier",
          "[http][account][delete]") {
  ServerProcess server;
  HttpClient client(server.base_url());

  // Bob has a username, so both may go.
  CHECK_ERROR(client.del("/api/my-account/primary-phone", {bearer("tok-bob")}), 401,
              "verification_record.permission_denied");
  const std::string bobs = verified_code_record(client, server, "tok-bob", "email", "bob@example.com");
  CHECK(client.del("/api/my-account/primary-phone", {bearer("tok-bob"), step_up(bobs)}).status == 204);
  CHECK(client.del("/api/my-account/primary-email", {bearer("tok-bob"), step_up(bobs)}).status == 204);
  const Json bob = client.get("/api/my-account", {bearer("tok-bob")}).json();
  CHECK(bob.at("primaryEmail").is_null());
  CHECK(bob.at("primaryPhone").is_null());
  CHECK(bob.at("username") == "bob");

  // Dave's email is his only identifier.
  const std::string daves = verified_code_record(client, server, "tok-dave", "email", "dave@example.com");
  CHECK_ERROR(client.del("/api/my-account/primary-email", {bearer("tok-dave"), step_up(daves)}), 400,
              "user.last_sign_in_method_required");
  CHECK(client.del("/api/my-account/primary-phone", {bearer("tok-dave"), step_up(daves)}).status == 204);
  CHECK(client.get("/api/my-account", {bearer("tok-dave")}).json().at("primaryEmail") == "dave@example.com");

  // A freed address can be taken by another user.
  const std::string alice_header = password_record(client, "tok-alice", alice_password);
  const std::string freed = verified_code_record(client, server, "tok-alice", "email", "bob@example.com");
  CHECK(client
            .post("/api/my-account/primary-email",
                  Json{{"email", "bob@example.com"}, {"newIdentifierVerificationRecordId", freed}},
                  {bearer("tok-alice"), step_up(alice_header)})
            .status == 204);
}
