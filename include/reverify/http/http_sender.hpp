#pragma once
/// @file
/// A `CodeSender` that POSTs each code as JSON to an SMS gateway or webhook (libcurl).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "reverify/clock.hpp"
#include "reverify/code_sender.hpp"
#include "reverify/export.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::http {

/// Which messages an `HttpSender` delivers; the others fail with `Errc::connector_not_found`.
enum class ChannelFilter : std::uint8_t {
  both = 1,        ///< email and SMS (default)
  email_only = 2,  ///< only `IdentifierType::email`
  sms_only = 3,    ///< only `IdentifierType::phone`
};

/// Configuration of an `HttpSender`. Checked by `HttpSender::create`.
struct REVERIFY_API HttpOptions {
  /// Where to POST. Must be `https://`; `http://` is accepted only for a loopback host
  /// (127.0.0.0/8, ::1, localhost) and without a proxy. Credentials in the URL are refused.
  std::string url;
  ChannelFilter channels = ChannelFilter::both;
  /// When not empty, sent as `Authorization: Bearer <token>`. Never logged.
  SecretString bearer_token;
  /// When not empty, each request carries `X-Reverify-Timestamp: <unix seconds>` and
  /// `X-Reverify-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, so the
  /// receiver can check origin and integrity and refuse stale (replayed) requests. Never logged.
  SecretString hmac_secret;
  /// Time allowed to connect (TCP and TLS handshake).
  std::chrono::milliseconds connect_timeout{5'000};
  /// Time allowed for the whole request, response included.
  std::chrono::milliseconds total_timeout{10'000};
  /// A PEM file of CA certificates to trust instead of the system store; empty uses the system
  /// store. Peer and host-name verification are always on. Refused unless it names a readable
  /// regular file, or when it holds a control character (errors name the path and stay one line).
  std::string ca_bundle_path;
  /// An `http://` or `https://` proxy URL (other schemes, SOCKS included, are refused), without
  /// credentials; empty means none. Refused with an `http://` url
  /// (the proxy would receive the request, code included, unencrypted). When set, it carries
  /// every request: proxy environment variables, `NO_PROXY` included, are ignored.
  std::string proxy;
  /// Source of the signature timestamp (read only with `hmac_secret` set); null uses the system
  /// clock. A throw, or a reading before 1970-01-01 or from 9999-01-01 on, makes `send` answer
  /// `sender_unavailable`, sending nothing.
  std::shared_ptr<Clock> clock;
};

/// Delivers codes by POSTing `application/json`:
/// `{"channel":"email"|"sms","to":…,"code":…,"template":…,"verificationRecordId":…,"expiresAt":…}`
/// (`template` is Logto's name, e.g. "UserPermissionValidation"; `expiresAt` ISO-8601 UTC).
/// A 2xx answer means delivered. Redirects are not followed (a 3xx fails). No retries.
///
/// Errors of `send`: `Errc::connector_not_found` for a channel the filter excludes;
/// `Errc::invalid_input` when a field is not valid UTF-8, or the channel or template is not a
/// value of its enum (refused before connecting);
/// `Errc::sender_unavailable` for a non-2xx status (named), a timeout, a TLS or connection
/// failure (curl's text). Messages never contain the request body, the code or a secret.
///
/// Thread safety: `send` may be called from any number of threads at once (one curl handle per
/// call). The token and HMAC secret are wiped when the sender is destroyed.
class REVERIFY_API HttpSender final : public CodeSender {
 public:
  /// Checks `options` and builds a sender. Nothing is connected yet.
  /// Errors: `Errc::invalid_configuration` naming the bad option (never a secret value).
  [[nodiscard]] static Result<std::shared_ptr<HttpSender>> create(HttpOptions options);

  ~HttpSender() override;

  /// POSTs one message. See the class comment for errors.
  [[nodiscard]] Result<void> send(const CodeMessage& message) override;

  /// The JSON body `send` would POST. It holds the code, hence a `SecretString`.
  /// Errors: `Errc::invalid_input` as `send`.
  [[nodiscard]] static Result<SecretString> to_json(const CodeMessage& message);

 private:
  struct Impl;
  explicit HttpSender(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::http
