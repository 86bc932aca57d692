// A real VerificationManager whose sender is the SMTP sender: the code the fake relay receives
// is the code that verifies.

#include <catch2/catch.hpp>

#include "cheap_argon2.hpp"
#include "loopback_servers.hpp"
#include "reverify/reverify.hpp"
#include "reverify/smtp/smtp_sender.hpp"
#include "sender_test_support.hpp"

using namespace reverify;

namespace {

struct SmtpManager {
  test::FakeSmtpServer& server;
  VerificationManager manager;

  static VerificationManager build(const test::FakeSmtpServer& server) {
    smtp::SmtpOptions options;
    options.server_url = server.url();
    options.starttls = smtp::StartTls::off;
    options.from = "security@example.com";
    auto sender = smtp::SmtpSender::create(options);
    REQUIRE(sender);
    Dependencies deps;
    deps.store = std::make_shared<MemoryStore>();
    deps.hasher = test::cheap_hasher();
    deps.sender = *sender;
    deps.clock = std::make_shared<SystemClock>();
    deps.peppers.peppers.push_back(Pepper::random(1));
    auto manager = VerificationManager::create(Policy{}, std::move(deps));
    REQUIRE(manager);
    return std::move(*manager);
  }

  explicit SmtpManager(test::FakeSmtpServer& s) : server(s), manager(build(s)) {}

  Result<CodeSent> send(const std::string& email) const {
    SendCodeRequest request;
    request.user_id = "u1";
    request.identifier = Identifier::email(email);
    request.owned_identifiers.push_back(Identifier::email(email));
    return manager.send_code(request);
  }

  Result<std::string> verify(const std::string& record_id, const std::string& code, const std::string& email) const {
    VerifyCodeRequest request;
    request.record_id = record_id;
    request.identifier = Identifier::email(email);
    request.code = SecretString(code);
    request.user_id = "u1";
    return manager.verify_code(request);
  }
};

std::string code_in(const std::string& message) {
  std::string code = test::indented_code(message);
  REQUIRE_FALSE(code.empty());
  return code;
}

}  // namespace

TEST_CASE("End to end: the emailed code verifies", "[senders][smtp][e2e]") {
  test::FakeSmtpServer server;
  SmtpManager fixture(server);
  const auto sent = fixture.send("alice@example.com");
  REQUIRE(sent);
  const auto envelopes = server.envelopes();
  REQUIRE(envelopes.size() == 1);
  CHECK(envelopes[0].rcpt_to.at(0) == "<alice@example.com>");
  const std::string code = code_in(envelopes[0].data);

  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  const auto mismatch = fixture.verify(sent->record_id, wrong, "alice@example.com");
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error() == Errc::code_mismatch);

  const auto verified = fixture.verify(sent->record_id, code, "alice@example.com");
  REQUIRE(verified);
  CHECK(*verified == sent->record_id);
}

TEST_CASE("End to end: a relay refusing the recipient fails the send without a usable record", "[senders][smtp][e2e]") {
  test::FakeSmtpServer::Config config;
  config.fail_at = test::FakeSmtpServer::Stage::rcpt;
  test::FakeSmtpServer server(config);
  SmtpManager fixture(server);
  const auto sent = fixture.send("alice@example.com");
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(server.envelopes().empty());
}
