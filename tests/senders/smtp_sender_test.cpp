// SmtpSender against a fake SMTP relay on 127.0.0.1.

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "loopback_servers.hpp"
#include "reverify/smtp/smtp_sender.hpp"
#include "sender_test_support.hpp"

using namespace reverify;
using reverify::test::FakeSmtpServer;

namespace {

smtp::SmtpOptions plain_options(const FakeSmtpServer& server) {
  smtp::SmtpOptions options;
  options.server_url = server.url();
  options.starttls = smtp::StartTls::off;
  options.from = "noreply@example.com";
  options.from_name = "Example Security";
  options.connect_timeout = std::chrono::seconds(5);
  options.total_timeout = std::chrono::seconds(10);
  return options;
}

std::shared_ptr<smtp::SmtpSender> make_sender(smtp::SmtpOptions options) {
  auto sender = smtp::SmtpSender::create(std::move(options));
  REQUIRE(sender);
  return *sender;
}

std::string headers_of(const std::string& data) { return data.substr(0, data.find("\r\n\r\n") + 2); }
std::string body_of(const std::string& data) { return data.substr(data.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("SMTP: the message arrives with the code, the envelope and RFC 5322 headers", "[senders][smtp]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  REQUIRE(sender->send(test::sample_message()));

  const auto envelopes = server.envelopes();
  REQUIRE(envelopes.size() == 1);
  const auto& envelope = envelopes.front();
  CHECK(envelope.mail_from == "<noreply@example.com>");
  REQUIRE(envelope.rcpt_to.size() == 1);
  CHECK(envelope.rcpt_to.front() == "<alice@example.com>");
  CHECK(envelope.auth_user.empty());

  const std::string headers = headers_of(envelope.data);
  CHECK(test::has_header_line(headers, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
  CHECK(test::lower_hex(test::header_between(headers, "Message-ID: <", "@example.com>"), 32));
  CHECK(headers.find("\r\nFrom: \"Example Security\" <noreply@example.com>\r\n") != std::string::npos);
  CHECK(headers.find("\r\nTo: alice@example.com\r\n") != std::string::npos);
  CHECK(headers.find("\r\nSubject: Your verification code\r\n") != std::string::npos);
  CHECK(headers.find("\r\nMIME-Version: 1.0\r\n") != std::string::npos);
  CHECK(headers.find("\r\nContent-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  // Exactly one of each recipient-bearing header: nothing else was added.
  CHECK(headers.find("Bcc:") == std::string::npos);
  CHECK(headers.find("Cc:") == std::string::npos);

  const std::string body = body_of(envelope.data);
  CHECK(body.find(test::sample_code) != std::string::npos);
  CHECK(body.find("10 minutes") != std::string::npos);
  CHECK(server.verbs() == std::vector<std::string>{"EHLO", "MAIL", "RCPT", "DATA", "QUIT"});
}

TEST_CASE("SMTP: templates per type fill {code} and {minutes} once", "[senders][smtp]") {
  FakeSmtpServer server;
  auto options = plain_options(server);
  options.bind_mfa.subject = "Code {code} for {minutes} min";
  options.bind_mfa.body = "Use {code} within {minutes} minutes.\n{unknown} {code\nlast line\n";
  options.bind_new_identifier.subject = "Bestätigen Sie Ihre Adresse – Code {code}";
  options.bind_new_identifier.body = "Ihr Code: {code}. Gültig {minutes} Minuten.\n";
  auto sender = make_sender(options);

  SECTION("custom template; minutes are rounded up") {
    auto message = test::sample_message();
    message.template_type = TemplateType::bind_mfa;
    message.code_expires_at = message.sent_at + std::chrono::seconds(90);
    REQUIRE(sender->send(message));
    const auto data = server.envelopes().at(0).data;
    CHECK(headers_of(data).find("\r\nSubject: Code 482915 for 2 min\r\n") != std::string::npos);
    CHECK(body_of(data) == "Use 482915 within 2 minutes.\r\n{unknown} {code\r\nlast line\r\n");
  }
  SECTION("a code that looks like a placeholder is not expanded again") {
    auto message = test::sample_message("alice@example.com", "{minutes}");
    message.template_type = TemplateType::bind_mfa;
    REQUIRE(sender->send(message));
    CHECK(body_of(server.envelopes().at(0).data).rfind("Use {minutes} within 10 minutes.", 0) == 0);
  }
  SECTION("non-ASCII subject is RFC 2047 encoded, body quoted-printable") {
    auto message = test::sample_message();
    message.template_type = TemplateType::bind_new_identifier;
    REQUIRE(sender->send(message));
    const auto data = server.envelopes().at(0).data;
    const auto headers = headers_of(data);
    CHECK(headers.find("\r\nSubject: =?UTF-8?B?") != std::string::npos);
    CHECK(headers.find("\r\nContent-Transfer-Encoding: quoted-printable\r\n") != std::string::npos);
    CHECK(body_of(data) == "Ihr Code: 482915. G=C3=BCltig 10 Minuten.\r\n");
  }
  SECTION("the default templates are used for types left empty") {
    REQUIRE(sender->send(test::sample_message()));
    CHECK(headers_of(server.envelopes().at(0).data).find("Subject: Your verification code") != std::string::npos);
  }
}

TEST_CASE("SMTP: a line holding a lone dot does not end the message early", "[senders][smtp]") {
  FakeSmtpServer server;
  auto options = plain_options(server);
  options.user_permission_validation.body = "{code}\n.\n..two\nafter the dots\n";
  auto sender = make_sender(options);
  REQUIRE(sender->send(test::sample_message()));
  CHECK(body_of(server.envelopes().at(0).data) == "482915\r\n.\r\n..two\r\nafter the dots\r\n");
}

TEST_CASE("SMTP: header and recipient injection through `to` is refused before any connection",
          "[senders][smtp][security]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  const std::vector<std::string> hostile = {
      "alice@example.com\r\nBcc: eve@evil.test",
      "alice@example.com\nBcc: eve@evil.test",
      "alice@example.com\rBcc: eve@evil.test",
      "alice@example.com>\r\nRCPT TO:<eve@evil.test",
      "alice@example.com, eve@evil.test",
      "alice@example.com;eve@evil.test",
      "Alice <alice@example.com>",
      "<alice@example.com>",
      "alice@example.com SIZE=1",
      "\"alice\"@example.com",
      std::string("alice@example.com\0eve@evil.test", 31),
      "alice@example.com\t",
      "alice@@example.com",
      "alice@example..com",
      "@example.com",
      "alice@",
      "al ice@example.com",
      "älice@example.com",
      "",
  };
  for (const auto& to : hostile) {
    CAPTURE(to);
    const auto sent = sender->send(test::sample_message(to));
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::invalid_input);
    CHECK(sent.error().message().find("evil") == std::string::npos);
  }
  CHECK(server.connections() == 0);
}

TEST_CASE("SMTP: a phone message is not this sender's channel", "[senders][smtp]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  auto message = test::sample_message("+15551234567");
  message.channel = IdentifierType::phone;
  const auto sent = sender->send(message);
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::connector_not_found);
  CHECK(server.connections() == 0);
}

TEST_CASE("SMTP: create refuses unsafe or broken options", "[senders][smtp][security]") {
  smtp::SmtpOptions good;
  good.server_url = "smtps://mail.example.com:465";
  good.from = "noreply@example.com";
  good.username = "mailer";
  good.password = SecretString("hunter2-secret");
  REQUIRE(smtp::SmtpSender::create(good));

  auto refused = [](smtp::SmtpOptions options) {
    auto created = smtp::SmtpSender::create(std::move(options));
    REQUIRE_FALSE(created);
    CHECK(created.error() == Errc::invalid_configuration);
    CHECK(created.error().message().find("hunter2") == std::string::npos);
    return created.error().message();
  };
  SECTION("credentials in the URL, and their value is not echoed") {
    auto options = good;
    options.server_url = "smtps://mailer:hunter2-secret@mail.example.com";
    refused(options);
  }
  SECTION("a non-SMTP scheme") {
    auto options = good;
    options.server_url = "http://mail.example.com";
    refused(options);
  }
  SECTION("credentials without TLS to a remote host") {
    auto options = good;
    options.server_url = "smtp://mail.example.com:587";
    options.starttls = smtp::StartTls::optional;
    refused(options);
    options.starttls = smtp::StartTls::off;
    refused(options);
    options.starttls = smtp::StartTls::required;
    CHECK(smtp::SmtpSender::create(options));
  }
  SECTION("a password without a user name") {
    auto options = good;
    options.username.clear();
    refused(options);
  }
  SECTION("a From address that would inject a header") {
    auto options = good;
    options.from = "noreply@example.com\r\nBcc: eve@evil.test";
    refused(options);
    options.from = "Security <noreply@example.com>";
    refused(options);
  }
  SECTION("a display name with a line break") {
    auto options = good;
    options.from_name = "Security\r\nBcc: eve@evil.test";
    refused(options);
  }
  SECTION("a subject with a line break, a body without {code}") {
    auto options = good;
    options.bind_mfa.subject = "Your code\r\nBcc: eve@evil.test";
    refused(options);
    options = good;
    options.bind_mfa.body = "no placeholder here";
    refused(options);
    options = good;
    options.bind_mfa.body = std::string("bad utf-8 \xc3\x28 {code}");
    refused(options);
  }
  SECTION("non-positive timeouts, a missing CA bundle") {
    auto options = good;
    options.total_timeout = std::chrono::milliseconds(0);
    refused(options);
    options = good;
    options.ca_bundle_path = "/nonexistent/ca.pem";
    refused(options);
    options.ca_bundle_path = "/etc/ssl/certs/ca-certificates.crt\nsecond line";
    refused(options);
    CHECK(smtp::SmtpSender::create(options).error().message().find('\n') == std::string::npos);
    // A directory is readable too, but curl reads the bundle as one PEM file: every handshake
    // would fail at send time.
    options.ca_bundle_path = "/etc/ssl/certs";
    refused(options);
  }
}

TEST_CASE("SMTP: a template type outside the enum is refused before any connection", "[senders][smtp]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  test::check_templates_outside_enum_refused(*sender);
  CHECK(server.connections() == 0);
  CHECK(sender->send(test::sample_message()));
}

TEST_CASE("SMTP: AUTH PLAIN sends the configured credentials to a loopback relay", "[senders][smtp]") {
  FakeSmtpServer server;
  auto options = plain_options(server);
  options.username = "mailer";
  options.password = SecretString("hunter2-secret");
  auto sender = make_sender(options);
  REQUIRE(sender->send(test::sample_message()));
  const auto envelope = server.envelopes().at(0);
  CHECK(envelope.auth_user == "mailer");
  CHECK(envelope.auth_password == "hunter2-secret");
}

TEST_CASE("SMTP: a server error at each stage is sender_unavailable without code or password",
          "[senders][smtp][security]") {
  using Stage = FakeSmtpServer::Stage;
  const std::vector<std::pair<Stage, std::string>> stages = {
      {Stage::greeting, "greeting"}, {Stage::ehlo, "HELO"}, {Stage::auth, "AUTH"},          {Stage::mail, "MAIL FROM"},
      {Stage::rcpt, "RCPT TO"},      {Stage::data, "DATA"}, {Stage::end_of_data, "message"}};
  for (const auto& [stage, name] : stages) {
    CAPTURE(name);
    FakeSmtpServer::Config config;
    config.fail_at = stage;
    config.fail_code = 554;
    FakeSmtpServer server(config);
    auto options = plain_options(server);
    options.username = "mailer";
    options.password = SecretString("hunter2-secret");
    auto sender = make_sender(options);
    const auto sent = sender->send(test::sample_message());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::sender_unavailable);
    const std::string& text = sent.error().message();
    CAPTURE(text);
    CHECK(text.find("at " + name) != std::string::npos);
    CHECK(test::free_of(text, {test::sample_code, "hunter2"}));
    CHECK(server.envelopes().empty());
  }
}

TEST_CASE("SMTP: TLS is never silently skipped", "[senders][smtp][security]") {
  SECTION("StartTls::required, server does not offer STARTTLS: nothing is sent") {
    FakeSmtpServer server;
    auto options = plain_options(server);
    options.starttls = smtp::StartTls::required;
    options.username = "mailer";
    options.password = SecretString("hunter2-secret");
    auto sender = make_sender(options);
    const auto sent = sender->send(test::sample_message());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::sender_unavailable);
    CHECK(sent.error().message().find("STARTTLS") != std::string::npos);
    const auto verbs = server.verbs();
    CHECK(std::find(verbs.begin(), verbs.end(), "AUTH") == verbs.end());
    CHECK(std::find(verbs.begin(), verbs.end(), "MAIL") == verbs.end());
    CHECK(server.envelopes().empty());
  }
  SECTION("STARTTLS offered but the handshake fails: nothing is sent in clear") {
    FakeSmtpServer::Config config;
    config.advertise_starttls = true;
    FakeSmtpServer server(config);
    auto options = plain_options(server);
    options.starttls = smtp::StartTls::optional;
    auto sender = make_sender(options);
    const auto sent = sender->send(test::sample_message());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::sender_unavailable);
    CHECK(sent.error().message().find("STARTTLS") != std::string::npos);
    CHECK(server.verbs() == std::vector<std::string>{"EHLO", "STARTTLS"});
  }
  SECTION("smtps:// to a plain-text server fails the handshake") {
    FakeSmtpServer server;
    auto options = plain_options(server);
    options.server_url = "smtps://127.0.0.1:" + std::to_string(server.port());
    auto sender = make_sender(options);
    const auto sent = sender->send(test::sample_message());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::sender_unavailable);
    CHECK(sent.error().message().find("TLS") != std::string::npos);
    CHECK(server.verbs().empty());
  }
  SECTION("StartTls::optional with no STARTTLS offered sends in clear (documented)") {
    FakeSmtpServer server;
    auto options = plain_options(server);
    options.starttls = smtp::StartTls::optional;
    auto sender = make_sender(options);
    REQUIRE(sender->send(test::sample_message()));
    CHECK(server.envelopes().size() == 1);
  }
}

TEST_CASE("SMTP: the total timeout is honoured", "[senders][smtp]") {
  FakeSmtpServer::Config config;
  config.silent = true;
  FakeSmtpServer server(config);
  auto options = plain_options(server);
  options.total_timeout = std::chrono::milliseconds(300);
  auto sender = make_sender(options);
  const auto started = std::chrono::steady_clock::now();
  const auto sent = sender->send(test::sample_message());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("at greeting") != std::string::npos);
  CHECK(elapsed < std::chrono::seconds(3));
}

TEST_CASE("SMTP: a closed port is sender_unavailable", "[senders][smtp]") {
  std::uint16_t port = 0;
  {
    FakeSmtpServer gone;
    port = gone.port();
  }
  smtp::SmtpOptions options;
  options.server_url = "smtp://127.0.0.1:" + std::to_string(port);
  options.starttls = smtp::StartTls::off;
  options.from = "noreply@example.com";
  auto sender = make_sender(options);
  const auto sent = sender->send(test::sample_message());
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("at connect") != std::string::npos);
}

TEST_CASE("SMTP: concurrent sends each deliver their own code", "[senders][smtp][concurrency]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  constexpr int threads = 8;
  constexpr int per_thread = 4;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string code = std::to_string(100000 + t * 100 + i);
        if (!sender->send(test::sample_message("user" + std::to_string(t) + "@example.com", code))) ++failures;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(failures == 0);
  const auto envelopes = server.envelopes();
  REQUIRE(envelopes.size() == static_cast<std::size_t>(threads * per_thread));
  std::set<std::string> seen;
  for (const auto& envelope : envelopes) {
    const std::string code = test::indented_code(envelope.data);
    REQUIRE(code.size() == 6);
    const int t = (std::stoi(code) - 100000) / 100;
    CHECK(envelope.rcpt_to.at(0) == "<user" + std::to_string(t) + "@example.com>");
    seen.insert(code);
  }
  CHECK(seen.size() == static_cast<std::size_t>(threads * per_thread));
}

TEST_CASE("SMTP: render shows the message send would transmit", "[senders][smtp]") {
  FakeSmtpServer server;
  auto sender = make_sender(plain_options(server));
  const auto rendered = sender->render(test::sample_message());
  REQUIRE(rendered);
  const std::string text(rendered->reveal());
  CHECK(text.find("\r\nTo: alice@example.com\r\n") != std::string::npos);
  CHECK(text.find(test::sample_code) != std::string::npos);
  CHECK(server.connections() == 0);
}

TEST_CASE("SMTP: the minutes left are right for any two times, without overflow", "[senders][smtp]") {
  // Regression, found by tests/fuzz/smtp/email_message_fuzz.cpp: far-apart times such as an
  // unset sent_at and Timestamp::max() overflowed a signed difference, and the email said "0" (or
  // a negative count of) minutes; and an unset sent_at was counted from 1970 although the Date
  // header said now.
  smtp::SmtpOptions options;
  options.server_url = "smtp://127.0.0.1:25";
  options.starttls = smtp::StartTls::off;
  options.from = "noreply@example.com";
  options.user_permission_validation.body = "{code} {minutes}\n";
  auto sender = make_sender(options);
  const auto minutes = [&sender](Timestamp sent, Timestamp expires) {
    auto message = test::sample_message();
    message.sent_at = sent;
    message.code_expires_at = expires;
    const auto rendered = sender->render(message);
    REQUIRE(rendered);
    const std::string body = body_of(std::string(rendered->reveal()));
    return body.substr(body.find(' ') + 1);
  };
  CHECK(minutes(from_unix_ms(1), Timestamp::max()) == "153722867280913\r\n");  // ceil((2^63 - 2) / 60000)
  CHECK(minutes(Timestamp::max(), from_unix_ms(1)) == "0\r\n");
  // An unset sent_at counts from now, as the Date header does.
  const Timestamp now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  CHECK(minutes(Timestamp{}, now + std::chrono::minutes(5)) == "5\r\n");
  CHECK(minutes(Timestamp::min(), now + std::chrono::minutes(5)) == "5\r\n");
  CHECK(minutes(from_unix_ms(1'000), from_unix_ms(61'000)) == "1\r\n");
  CHECK(minutes(from_unix_ms(1'000), from_unix_ms(61'001)) == "2\r\n");
}

TEST_CASE("SMTP: a header line holding an encoded word stays within 76 characters", "[senders][smtp]") {
  // RFC 2047 section 2. Words of 45 source bytes made "Subject: " lines of 81 characters, and the
  // From line carried the address after its last word (found by the email_message fuzz target).
  smtp::SmtpOptions options;
  options.server_url = "smtp://127.0.0.1:25";
  options.starttls = smtp::StartTls::off;
  options.from = "a-rather-long-no-reply-address-for-security@notifications.example.com";
  options.from_name = "Sécurité du compte — équipe de vérification";
  options.user_permission_validation.subject =
      "Votre code de vérification à usage unique : {code} (valable {minutes} min)";
  auto sender = make_sender(options);
  const auto rendered = sender->render(test::sample_message());
  REQUIRE(rendered);
  const std::string headers = headers_of(std::string(rendered->reveal()));
  std::size_t words = 0;
  for (std::size_t start = 0, end = 0; start < headers.size(); start = end + 2) {
    end = headers.find("\r\n", start);
    const std::string line = headers.substr(start, end - start);
    if (line.find("=?UTF-8?B?") == std::string::npos) continue;
    ++words;
    CAPTURE(line);
    CHECK(line.size() <= 76);
  }
  CHECK(words >= 4);  // the subject and the display name each take two or more
  CHECK(headers.find("\r\n <a-rather-long-no-reply-address-for-security@notifications.example.com>\r\n") !=
        std::string::npos);
}

TEST_CASE("SMTP: a subject over the header line limit once filled is refused", "[senders][smtp]") {
  // RFC 5322 2.1.1: 998 bytes a line. A subject repeating {code} with a code far longer than any
  // policy draws would pass it; render refuses rather than send a malformed header.
  smtp::SmtpOptions options;
  options.server_url = "smtp://127.0.0.1:25";
  options.starttls = smtp::StartTls::off;
  options.from = "noreply@example.com";
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "{code}";
  options.user_permission_validation.subject = subject;
  auto sender = make_sender(options);
  auto message = test::sample_message();
  message.code = SecretString(std::string(24, '7'));  // 40 x 24 = 960 bytes: within the limit
  REQUIRE(sender->render(message));
  message.code = SecretString(std::string(25, '7'));  // 1000 bytes
  const auto refused = sender->render(message);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == Errc::invalid_input);
  CHECK(refused.error().message().find("7777") == std::string::npos);
}
