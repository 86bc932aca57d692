// Step-up: which records the logto-verification-id header accepts, shown on the password route.
#include <catch2/catch.hpp>

#include "test_flows.hpp"

using namespace reverify::http_test;

namespace {
const std::string set_password = "/api/my-account/password";
}

TEST_CASE("step-up with a password record: change the password", "[http][step-up][password]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string record = password_record(client, "tok-alice", alice_password);

  CHECK_ERROR(client.post(set_password, Json{{"password", "a-new-password-2"}}, {bearer("tok-alice")}), 401,
              "verification_record.permission_denied");
  CHECK_ERROR(client.post(set_password, Json{{"password", "a-new-password-2"}},
                          {bearer("tok-alice"), step_up("000000000000000000000")}),
              401, "verification_record.permission_denied");
  CHECK_ERROR(client.post(set_password, Json{{"password", "a-new-password-2"}}, {bearer("tok-alice"), step_up("")}),
              401, "verification_record.permission_denied");
  // Another user's verified record is refused (ownership).
  const std::string bobs = verified_code_record(client, server, "tok-bob", "email", "bob@example.com");
  CHECK_ERROR(client.post(set_password, Json{{"password", "a-new-password-2"}}, {bearer("tok-alice"), step_up(bobs)}),
              401, "verification_record.permission_denied");

  CHECK_ERROR(client.post(set_password, Json{{"password", "short"}}, {bearer("tok-alice"), step_up(record)}), 422,
              "password.rejected");
  CHECK_ERROR(client.post(set_password, Json{{"password", alice_password}}, {bearer("tok-alice"), step_up(record)}),
              422, "user.same_password");
  CHECK_ERROR(client.post(set_password, Json{{"password", ""}}, {bearer("tok-alice"), step_up(record)}), 400,
              "guard.invalid_input");
  CHECK_ERROR(client.post(set_password, Json{{"password", 12345678}}, {bearer("tok-alice"), step_up(record)}), 400,
              "guard.invalid_input");

  const auto changed =
      client.post(set_password, Json{{"password", "a-new-password-2"}}, {bearer("tok-alice"), step_up(record)});
  CHECK(changed.status == 204);
  CHECK(changed.body.empty());
  CHECK_ERROR(client.post("/api/verifications/password", Json{{"password", alice_password}}, {bearer("tok-alice")}),
              422, "session.invalid_credentials");
  CHECK_FALSE(password_record(client, "tok-alice", "a-new-password-2").empty());
}

TEST_CASE("step-up with a verified UserPermissionValidation code record is accepted", "[http][step-up][code]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  // Bob has no password: his own email proves him.
  const std::string record = verified_code_record(client, server, "tok-bob", "email", "bob@example.com");
  CHECK(client.post(set_password, Json{{"password", "bobs-first-password"}}, {bearer("tok-bob"), step_up(record)})
            .status == 204);
  CHECK(client.get("/api/my-account", {bearer("tok-bob")}).json().at("hasPassword") == true);
  // The record stays usable until it expires (Logto's reuse rule).
  CHECK(client.post(set_password, Json{{"password", "bobs-second-password"}}, {bearer("tok-bob"), step_up(record)})
            .status == 204);
}

TEST_CASE("step-up with a BindMfa code record is refused", "[http][step-up][code]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string record = verified_code_record(client, server, "tok-bob", "email", "bob@example.com", "BindMfa");
  CHECK_ERROR(
      client.post(set_password, Json{{"password", "bobs-first-password"}}, {bearer("tok-bob"), step_up(record)}), 401,
      "verification_record.permission_denied");
}

TEST_CASE("step-up with a BindNewIdentifier code record is refused", "[http][step-up][code]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string record = verified_code_record(client, server, "tok-bob", "email", "bob.new@example.com");
  CHECK(server.outbox().back().at("template") == "BindNewIdentifier");
  CHECK_ERROR(
      client.post(set_password, Json{{"password", "bobs-first-password"}}, {bearer("tok-bob"), step_up(record)}), 401,
      "verification_record.permission_denied");
}

TEST_CASE("step-up with an unverified code record is refused", "[http][step-up][code]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
  CHECK_ERROR(client.post(set_password, Json{{"password", "bobs-first-password"}},
                          {bearer("tok-bob"), step_up(sent.record_id)}),
              401, "verification_record.permission_denied");
}

TEST_CASE("a user with no password, email or phone sets a first password without step-up", "[http][step-up]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  CHECK_ERROR(client.post(set_password, Json{{"password", "short"}}, {bearer("tok-carol")}), 422, "password.rejected");
  CHECK(client.post(set_password, Json{{"password", "carols-first-password"}}, {bearer("tok-carol")}).status == 204);
  CHECK(client.get("/api/my-account", {bearer("tok-carol")}).json().at("hasPassword") == true);
  // Now she has a password: the next change needs step-up.
  CHECK_ERROR(client.post(set_password, Json{{"password", "carols-next-password"}}, {bearer("tok-carol")}), 401,
              "verification_record.permission_denied");
  const std::string record = password_record(client, "tok-carol", "carols-first-password");
  CHECK(client.post(set_password, Json{{"password", "carols-next-password"}}, {bearer("tok-carol"), step_up(record)})
            .status == 204);
}
