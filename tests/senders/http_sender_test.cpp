// HttpSender against a fake HTTP/1.1 endpoint on 127.0.0.1.

#include <sodium.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "loopback_servers.hpp"
#include "reverify/http/http_sender.hpp"
#include "sender_test_support.hpp"

using namespace reverify;
using reverify::test::FakeHttpServer;

namespace {

const std::string expected_body =
    R"({"channel":"email","to":"alice@example.com","code":"482915","template":"UserPermissionValidation",)"
    R"("verificationRecordId":"rec0123456789abcdefgh","expiresAt":"2023-11-14T22:23:20.000Z"})";

http::HttpOptions options_for(const std::string& url) {
  http::HttpOptions options;
  options.url = url;
  options.connect_timeout = std::chrono::seconds(5);
  options.total_timeout = std::chrono::seconds(10);
  return options;
}

std::shared_ptr<http::HttpSender> make_sender(http::HttpOptions options) {
  auto sender = http::HttpSender::create(std::move(options));
  REQUIRE(sender);
  return *sender;
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::array<char, crypto_auth_hmacsha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return hex.data();
}

}  // namespace

TEST_CASE("HTTP: POSTs the JSON message", "[senders][http]") {
  FakeHttpServer server;
  auto sender = make_sender(options_for(server.url("/sms/send")));
  REQUIRE(sender->send(test::sample_message()));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& request = requests.front();
  CHECK(request.method == "POST");
  CHECK(request.target == "/sms/send");
  CHECK(request.headers.at("content-type") == "application/json");
  CHECK(request.headers.count("authorization") == 0);
  CHECK(request.headers.count("x-reverify-signature") == 0);
  CHECK(request.headers.at("user-agent").rfind("reverify/", 0) == 0);
  CHECK(request.body == expected_body);
}

TEST_CASE("HTTP: SMS messages and JSON escaping", "[senders][http]") {
  FakeHttpServer server;
  auto sender = make_sender(options_for(server.url()));
  SECTION("phone channel") {
    auto message = test::sample_message("+15551234567");
    message.channel = IdentifierType::phone;
    message.template_type = TemplateType::bind_mfa;
    REQUIRE(sender->send(message));
    const auto body = server.requests().at(0).body;
    CHECK(body.rfind(R"({"channel":"sms","to":"+15551234567","code":"482915","template":"BindMfa",)", 0) == 0);
  }
  SECTION("quotes, backslashes and control characters are escaped") {
    REQUIRE(sender->send(test::sample_message("a\"b\\c\n\x01@example.com")));
    CHECK(server.requests().at(0).body.find(R"("to":"a\"b\\c\u000a\u0001@example.com")") != std::string::npos);
  }
  SECTION("invalid UTF-8 is refused before connecting") {
    const auto sent = sender->send(test::sample_message("\xff\xfe@example.com"));
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::invalid_input);
    CHECK(server.connections() == 0);
  }
}

TEST_CASE("HTTP: a bearer token is sent as Authorization", "[senders][http]") {
  FakeHttpServer server;
  auto options = options_for(server.url());
  options.bearer_token = SecretString("tok-7f3a9c");
  auto sender = make_sender(options);
  REQUIRE(sender->send(test::sample_message()));
  CHECK(server.requests().at(0).headers.at("authorization") == "Bearer tok-7f3a9c");
}

TEST_CASE("HTTP: the HMAC-SHA256 signature verifies with the shared secret", "[senders][http][security]") {
  FakeHttpServer server;
  auto clock = std::make_shared<ManualClock>(from_unix_ms(1'700'000'123'456));
  const std::string secret = "0123456789abcdef-shared-secret";
  auto options = options_for(server.url());
  options.hmac_secret = SecretString(secret);
  options.clock = clock;
  auto sender = make_sender(options);
  REQUIRE(sender->send(test::sample_message()));
  const auto request = server.requests().at(0);
  const std::string timestamp = request.headers.at("x-reverify-timestamp");
  CHECK(timestamp == "1700000123");
  const std::string signature = request.headers.at("x-reverify-signature");
  CHECK(signature == "v1=" + hmac_hex(secret, timestamp + "." + request.body));
  // A receiver that re-signs with a different timestamp or body gets a different value.
  CHECK(signature != "v1=" + hmac_hex(secret, "1700000124." + request.body));
  CHECK(signature != "v1=" + hmac_hex(secret, timestamp + "." + request.body + " "));
  CHECK(signature != "v1=" + hmac_hex("another-secret-of-16+", timestamp + "." + request.body));
  CHECK(request.headers.count("authorization") == 0);
  CHECK(request.headers.find("x-reverify-signature")->second.find(secret) == std::string::npos);
}

TEST_CASE("HTTP: a signing clock that throws or reads outside 1970..9999 sends nothing", "[senders][http][security]") {
  // The clock is host code: its throw must come back typed (send may be called without a manager),
  // and a broken reading gets the manager's refusal rather than a signature dated by it.
  class ThrowingClock final : public Clock {
   public:
    Timestamp now() override { throw std::runtime_error("clock offline"); }
  };
  class ThrowingOddClock final : public Clock {
   public:
    Timestamp now() override { throw 42; }  // NOLINT(hicpp-exception-baseclass): host code may throw anything
  };
  const std::string secret = "0123456789abcdef-shared-secret";
  FakeHttpServer server;
  const auto send_with = [&server, &secret](std::shared_ptr<Clock> clock) {
    auto options = options_for(server.url());
    options.hmac_secret = SecretString(secret);
    options.clock = std::move(clock);
    return make_sender(options)->send(test::sample_message());
  };
  const auto thrown = send_with(std::make_shared<ThrowingClock>());
  REQUIRE_FALSE(thrown);
  CHECK(thrown.error() == Errc::sender_unavailable);
  CHECK(thrown.error().message() == "HTTP sender: the clock threw: clock offline");
  const auto odd = send_with(std::make_shared<ThrowingOddClock>());
  REQUIRE_FALSE(odd);
  CHECK(odd.error() == Errc::sender_unavailable);
  CHECK(odd.error().message() == "HTTP sender: the clock threw a non-standard exception");
  for (const std::int64_t ms : {std::int64_t{-1}, std::int64_t{253'370'764'800'000}, INT64_MAX, INT64_MIN}) {
    const auto refused = send_with(std::make_shared<ManualClock>(from_unix_ms(ms)));
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == Errc::sender_unavailable);
    CHECK(refused.error().message() == "HTTP sender: the clock read a time outside 1970-01-01..9999-01-01");
    CHECK(test::free_of(refused.error().message(), {test::sample_code, "shared-secret"}));
  }
  CHECK(server.connections() == 0);
  // Both ends of the range sign.
  for (const std::int64_t ms : {std::int64_t{0}, std::int64_t{253'370'764'799'999}}) {
    CHECK(send_with(std::make_shared<ManualClock>(from_unix_ms(ms))));
  }
  REQUIRE(server.requests().size() == 2);
  for (const auto& [request, seconds] :
       {std::pair{server.requests().at(0), "0"}, std::pair{server.requests().at(1), "253370764799"}}) {
    CHECK(request.headers.at("x-reverify-timestamp") == seconds);
    CHECK(request.headers.at("x-reverify-signature") ==
          "v1=" + hmac_hex(secret, std::string(seconds) + "." + request.body));
  }
  // Without a signing secret the clock is never read, so even a broken one does not stop a send.
  auto unsigned_options = options_for(server.url());
  unsigned_options.clock = std::make_shared<ThrowingClock>();
  CHECK(make_sender(unsigned_options)->send(test::sample_message()));
  REQUIRE(server.requests().size() == 3);
  CHECK(server.requests().at(2).headers.count("x-reverify-timestamp") == 0);
}

TEST_CASE("HTTP: non-2xx answers are sender_unavailable naming the status, never the body",
          "[senders][http][security]") {
  for (const int status : {301, 400, 401, 404, 429, 500, 502, 503}) {
    CAPTURE(status);
    FakeHttpServer::Config config;
    config.status = status;
    FakeHttpServer server(config);
    auto options = options_for(server.url("/hooks/T0KEN-IN-PATH"));
    options.bearer_token = SecretString("tok-7f3a9c");
    options.hmac_secret = SecretString("0123456789abcdef-shared-secret");
    auto sender = make_sender(options);
    const auto sent = sender->send(test::sample_message());
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::sender_unavailable);
    const auto& text = sent.error().message();
    CHECK(text.find(std::to_string(status)) != std::string::npos);
    CHECK(test::free_of(
        text, {test::sample_code, "tok-7f3a9c", "shared-secret", "T0KEN-IN-PATH", "alice", "verificationRecordId"}));
    CHECK(server.requests().size() == 1);
  }
}

TEST_CASE("HTTP: 2xx other than 200 is delivered", "[senders][http]") {
  for (const int status : {201, 202, 204}) {
    FakeHttpServer::Config config;
    config.status = status;
    FakeHttpServer server(config);
    auto sender = make_sender(options_for(server.url()));
    CHECK(sender->send(test::sample_message()));
  }
}

TEST_CASE("HTTP: the total timeout is honoured", "[senders][http]") {
  FakeHttpServer::Config config;
  config.never_answer = true;
  FakeHttpServer server(config);
  auto options = options_for(server.url());
  options.total_timeout = std::chrono::milliseconds(300);
  auto sender = make_sender(options);
  const auto started = std::chrono::steady_clock::now();
  const auto sent = sender->send(test::sample_message());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("timed out") != std::string::npos);
  CHECK(test::free_of(sent.error().message(), {test::sample_code}));
  CHECK(elapsed < std::chrono::seconds(3));
}

TEST_CASE("HTTP: an https URL to a plain-HTTP server fails the TLS handshake, sending nothing in clear",
          "[senders][http][security]") {
  FakeHttpServer server;
  auto sender = make_sender(options_for("https://127.0.0.1:" + std::to_string(server.port()) + "/hook"));
  const auto sent = sender->send(test::sample_message());
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(sent.error().message().find("TLS") != std::string::npos);
  CHECK(server.requests().empty());
  CHECK(server.malformed() == 1);
}

TEST_CASE("HTTP: a closed port is sender_unavailable", "[senders][http]") {
  std::uint16_t port = 0;
  {
    FakeHttpServer gone;
    port = gone.port();
  }
  auto sender = make_sender(options_for("http://127.0.0.1:" + std::to_string(port) + "/hooks/T0KEN-IN-PATH"));
  const auto sent = sender->send(test::sample_message());
  REQUIRE_FALSE(sent);
  CHECK(sent.error() == Errc::sender_unavailable);
  CHECK(test::free_of(sent.error().message(), {test::sample_code, "T0KEN-IN-PATH"}));
}

TEST_CASE("HTTP: a channel or template outside its enum is refused, not sent under another name", "[senders][http]") {
  FakeHttpServer server;
  auto sender = make_sender(options_for(server.url()));
  for (const int raw : {0, 3, 255}) {
    CAPTURE(raw);
    auto message = test::sample_message();
    message.channel = static_cast<IdentifierType>(raw);
    const auto sent = sender->send(message);
    REQUIRE_FALSE(sent);
    CHECK(sent.error() == Errc::invalid_input);
    CHECK_FALSE(http::HttpSender::to_json(message));
  }
  test::check_templates_outside_enum_refused(*sender);
  CHECK(server.connections() == 0);
  CHECK(sender->send(test::sample_message()));
}

TEST_CASE("HTTP: the channel filter answers connector_not_found for the other channel", "[senders][http]") {
  FakeHttpServer server;
  auto sms = test::sample_message("+15551234567");
  sms.channel = IdentifierType::phone;
  const auto email = test::sample_message();

  auto options = options_for(server.url());
  options.channels = http::ChannelFilter::email_only;
  auto email_only = make_sender(options);
  options.channels = http::ChannelFilter::sms_only;
  auto sms_only = make_sender(options);

  const auto refused_sms = email_only->send(sms);
  REQUIRE_FALSE(refused_sms);
  CHECK(refused_sms.error() == Errc::connector_not_found);
  const auto refused_email = sms_only->send(email);
  REQUIRE_FALSE(refused_email);
  CHECK(refused_email.error() == Errc::connector_not_found);
  CHECK(server.connections() == 0);

  // The filter answers first, whatever else is wrong with the message.
  auto bad_sms = sms;
  bad_sms.to = "+1555\xff";
  CHECK(email_only->send(bad_sms).error() == Errc::connector_not_found);

  CHECK(email_only->send(email));
  CHECK(sms_only->send(sms));
  CHECK(server.requests().size() == 2);
}

TEST_CASE("HTTP: create refuses unsafe or broken options", "[senders][http][security]") {
  auto refused = [](http::HttpOptions options) {
    auto created = http::HttpSender::create(std::move(options));
    REQUIRE_FALSE(created);
    CHECK(created.error() == Errc::invalid_configuration);
    CHECK(test::free_of(created.error().message(), {"s3cret-pass", "tok-7f3a9c"}));
  };
  REQUIRE(http::HttpSender::create(options_for("https://sms.example.com/send")));
  REQUIRE(http::HttpSender::create(options_for("http://localhost:8080/send")));
  REQUIRE(http::HttpSender::create(options_for("http://[::1]:8080/send")));
  refused(options_for("http://sms.example.com/send"));
  refused(options_for("http://10.0.0.1/send"));
  refused(options_for("ftp://sms.example.com/send"));
  refused(options_for("https://user:s3cret-pass@sms.example.com/send"));
  refused(options_for("not a url"));
  auto options = options_for("https://sms.example.com/send");
  options.bearer_token = SecretString("tok-7f3a9c\r\nX-Evil: 1");
  refused(options);
  options = options_for("https://sms.example.com/send");
  options.hmac_secret = SecretString("short");
  refused(options);
  options = options_for("https://sms.example.com/send");
  options.connect_timeout = std::chrono::milliseconds(-1);
  refused(options);
  options = options_for("https://sms.example.com/send");
  options.ca_bundle_path = "/nonexistent/ca.pem";
  refused(options);
  options.ca_bundle_path = "/etc/ssl/certs";  // readable, but a directory: curl wants one PEM file
  refused(options);
  options = options_for("https://sms.example.com/send");
  for (const char* proxy : {"ftp://proxy.example.com", "socks4://proxy.example.com:1080",
                            "SOCKS5h://proxy.example.com:1080", "gopher://proxy"}) {
    CAPTURE(proxy);
    options.proxy = proxy;
    refused(options);
    CHECK(http::HttpSender::create(options).error().message() == "proxy must be an http:// or https:// URL");
  }
  // Other faults keep their own reasons.
  options.proxy = "proxy.example.com:3128";
  refused(options);
  options.proxy = "http://ops:s3cret-pass@proxy.example.com:3128";
  refused(options);
  CHECK(http::HttpSender::create(options).error().message().find("credentials") != std::string::npos);
  for (const char* proxy : {"http://proxy.example.com:3128", "https://proxy.example.com", "HTTP://[::1]:3128"}) {
    CAPTURE(proxy);
    options.proxy = proxy;
    CHECK(http::HttpSender::create(options));
  }
  // Regression (tests/fuzz/http/http_sender_fuzz.cpp): the path is named in the error, which a
  // line break or an escape sequence in it split or garbled.
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt\nsecond line", "/nonexistent/\x1b[31mred"}) {
    options.ca_bundle_path = path;
    refused(options);
    const auto message = http::HttpSender::create(options).error().message();
    CHECK(std::none_of(message.begin(), message.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  }
}

TEST_CASE("HTTP: an http:// url is refused with a proxy, which would receive the request in clear",
          "[senders][http][security]") {
  // Regression, found by tests/fuzz/http/http_sender_fuzz.cpp: curl hands an http:// request, code
  // and bearer token included, to the proxy as it is, so a loopback url with a proxy elsewhere
  // sent both off this host unencrypted.
  for (const char* proxy : {"http://proxy.example.com:3128", "https://proxy.example.com", "http://127.0.0.1:3128"}) {
    CAPTURE(proxy);
    auto options = options_for("http://127.0.0.1:8080/hook");
    options.bearer_token = SecretString("tok-7f3a9c");
    options.proxy = proxy;
    const auto created = http::HttpSender::create(options);
    REQUIRE_FALSE(created);
    CHECK(created.error() == Errc::invalid_configuration);
    CHECK(test::free_of(created.error().message(), {"tok-7f3a9c"}));
    options.url = "https://sms.example.com/send";
    CHECK(http::HttpSender::create(options));
  }
}

namespace {

/// Sets an environment variable for its lifetime, then restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* before = std::getenv(name)) before_ = before;
    REQUIRE(::setenv(name, value, 1) == 0);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (before_) {
      (void)::setenv(name_, before_->c_str(), 1);
    } else {
      (void)::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> before_;
};

}  // namespace

TEST_CASE("HTTP: the proxy carries every request, whatever NO_PROXY says", "[senders][http][security]") {
  // The header promises that proxy environment variables are ignored; curl reads NO_PROXY even
  // when a proxy is set, and would then connect around the operator's proxy.
  FakeHttpServer proxy(FakeHttpServer::Config{403, false});
  auto options = options_for("https://sms.example.invalid/send");
  options.proxy = proxy.url("");
  auto sender = make_sender(options);
  const ScopedEnv no_proxy_upper("NO_PROXY", "*");
  const ScopedEnv no_proxy_lower("no_proxy", "*");
  const auto sent = sender->send(test::sample_message());
  CHECK_FALSE(sent);  // the fake proxy refuses the tunnel
  const auto requests = proxy.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests.front().method == "CONNECT");
  CHECK(requests.front().target == "sms.example.invalid:443");
}

TEST_CASE("HTTP: concurrent sends each deliver their own code", "[senders][http][concurrency]") {
  FakeHttpServer server;
  auto sender = make_sender(options_for(server.url()));
  constexpr int threads = 8;
  constexpr int per_thread = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (!sender->send(test::sample_message("alice@example.com", std::to_string(100000 + t * 100 + i)))) {
          ++failures;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(failures == 0);
  std::set<std::string> bodies;
  for (const auto& request : server.requests()) bodies.insert(request.body);
  CHECK(bodies.size() == static_cast<std::size_t>(threads * per_thread));
}
