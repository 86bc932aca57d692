// Certificate and host-name verification, against a TLS front with a freshly made self-signed
// certificate: trusted through ca_bundle_path the senders deliver; otherwise nothing is sent.

#include <catch2/catch.hpp>

#include "loopback_servers.hpp"
#include "sender_test_support.hpp"
#include "tls_terminator.hpp"
#if REVERIFY_TEST_HAVE_HTTP
#include "reverify/http/http_sender.hpp"
#endif
#if REVERIFY_TEST_HAVE_SMTP
#include "reverify/smtp/smtp_sender.hpp"
#endif

using namespace reverify;

#if REVERIFY_TEST_HAVE_HTTP
namespace {

Result<void> post_through(const test::TlsTerminator& tls, const std::string& ca_bundle) {
  http::HttpOptions options;
  options.url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/hook";
  options.ca_bundle_path = ca_bundle;
  options.total_timeout = std::chrono::seconds(10);
  auto sender = http::HttpSender::create(options);
  REQUIRE(sender);
  return (*sender)->send(test::sample_message());
}

}  // namespace

TEST_CASE("HTTPS: a server certificate trusted through ca_bundle_path is accepted", "[senders][http][tls]") {
  test::FakeHttpServer backend;
  test::TlsTerminator tls(backend.port(), "IP:127.0.0.1");
  REQUIRE(post_through(tls, tls.certificate_path()));
  CHECK(tls.handshakes() == 1);
  REQUIRE(backend.requests().size() == 1);
  CHECK(backend.requests()[0].body.find(test::sample_code) != std::string::npos);
}

TEST_CASE("HTTPS: an untrusted certificate fails and nothing is sent", "[senders][http][tls][security]") {
  test::FakeHttpServer backend;
  test::TlsTerminator tls(backend.port(), "IP:127.0.0.1");
  const auto sent = post_through(tls, "");
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("TLS failure") != std::string::npos);
  CHECK(tls.handshakes() == 0);
  CHECK(backend.requests().empty());
}

TEST_CASE("HTTPS: a trusted certificate for another host name fails", "[senders][http][tls][security]") {
  test::FakeHttpServer backend;
  test::TlsTerminator tls(backend.port(), "DNS:other.example");
  const auto sent = post_through(tls, tls.certificate_path());
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("TLS failure") != std::string::npos);
  CHECK(backend.requests().empty());
}
#endif

#if REVERIFY_TEST_HAVE_SMTP
namespace {

Result<void> mail_through(const test::TlsTerminator& tls, const std::string& ca_bundle) {
  smtp::SmtpOptions options;
  options.server_url = "smtps://127.0.0.1:" + std::to_string(tls.port());
  options.from = "noreply@example.com";
  options.username = "mailer";
  options.password = SecretString("hunter2-secret");
  options.ca_bundle_path = ca_bundle;
  options.total_timeout = std::chrono::seconds(10);
  auto sender = smtp::SmtpSender::create(options);
  REQUIRE(sender);
  return (*sender)->send(test::sample_message());
}

}  // namespace

TEST_CASE("SMTPS: a trusted relay receives credentials and message over TLS", "[senders][smtp][tls]") {
  test::FakeSmtpServer backend;
  test::TlsTerminator tls(backend.port(), "IP:127.0.0.1");
  REQUIRE(mail_through(tls, tls.certificate_path()));
  CHECK(tls.handshakes() == 1);
  REQUIRE(backend.envelopes().size() == 1);
  CHECK(backend.envelopes()[0].auth_password == "hunter2-secret");
  CHECK(backend.envelopes()[0].data.find(test::sample_code) != std::string::npos);
}

TEST_CASE("SMTPS: an untrusted relay gets neither credentials nor message", "[senders][smtp][tls][security]") {
  test::FakeSmtpServer backend;
  test::TlsTerminator tls(backend.port(), "IP:127.0.0.1");
  const auto sent = mail_through(tls, "");
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("at TLS handshake") != std::string::npos);
  CHECK(test::free_of(sent.error().message(), {"hunter2", test::sample_code}));
  CHECK(tls.handshakes() == 0);
  CHECK(backend.verbs().empty());
}
#endif
