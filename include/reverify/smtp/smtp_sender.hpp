#pragma once
/// @file
/// A `CodeSender` that emails each code through an SMTP relay (libcurl).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "reverify/code_sender.hpp"
#include "reverify/export.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::smtp {

/// Whether an `smtp://` connection must upgrade to TLS with STARTTLS. `smtps://` URLs are TLS
/// from the first byte whatever this says.
enum class StartTls : std::uint8_t {
  required = 1,  ///< fail unless the server offers STARTTLS and the handshake succeeds (default)
  optional = 2,  ///< upgrade when offered, else send in clear (an active attacker can strip it)
  off = 3,       ///< never upgrade (loopback relays)
};

/// The subject and body of one kind of email. Placeholders, replaced once, left to right:
/// `{code}` (the one-time code) and `{minutes}` (whole minutes until it expires, rounded up).
/// Any other text, braces included, is copied as written. Lines end in "\n" or "\r\n".
struct REVERIFY_API EmailTemplate {
  std::string subject;  ///< one line, UTF-8; RFC 2047-encoded when not ASCII
  std::string body;     ///< plain text, UTF-8; must contain `{code}`
};

/// The English template used when `SmtpOptions` leaves one empty.
[[nodiscard]] REVERIFY_API EmailTemplate default_email_template(TemplateType type);

/// Configuration of an `SmtpSender`. Checked by `SmtpSender::create`.
struct REVERIFY_API SmtpOptions {
  /// `smtp://host[:port]` or `smtps://host[:port]`. Credentials in the URL are refused (use
  /// `username` and `password`). A path, if any, is the domain curl sends with EHLO.
  std::string server_url;
  StartTls starttls = StartTls::required;
  /// SMTP AUTH user; empty sends no AUTH.
  std::string username;
  /// SMTP AUTH password. Never logged nor put in an error message. Credentials are accepted only
  /// over TLS (`smtps://` or `StartTls::required`) unless the server is a loopback address.
  SecretString password;
  /// Envelope sender and `From:` address, a bare `local@domain` (no display name, no brackets).
  std::string from;
  /// Optional display name for the `From:` header (UTF-8, no control characters).
  std::string from_name;
  /// Time allowed to connect (TCP and TLS handshake).
  std::chrono::milliseconds connect_timeout{10'000};
  /// Time allowed for the whole delivery of one message.
  std::chrono::milliseconds total_timeout{30'000};
  /// A PEM file of CA certificates to trust instead of the system store; empty uses the system
  /// store. Peer and host-name verification are always on. Refused unless it names a readable
  /// regular file, or when it holds a control character (errors name the path and stay one line).
  std::string ca_bundle_path;
  /// Per-template texts; an empty subject or body takes `default_email_template`'s.
  EmailTemplate user_permission_validation;
  EmailTemplate bind_new_identifier;
  EmailTemplate bind_mfa;
};

/// Emails one-time codes: an RFC 5322 message (Date, Message-ID, From, To, Subject,
/// MIME-Version, text/plain; charset=utf-8) sent over SMTP with libcurl. One connection per
/// message; no retries (the manager reports a failed send and counts nothing).
///
/// Only email: a phone message fails with `Errc::connector_not_found`.
/// Errors of `send`: `Errc::invalid_input` when `to` is not a plain `local@domain` address (any
/// CR, LF, control character, space, `<>,;:"()\`, non-ASCII byte, or not exactly one `@`) —
/// refused before any connection, so a caller cannot inject headers or recipients, or when the
/// subject is over 989 bytes once filled (no header line may pass RFC 5322's 998), or when the
/// template type is not a `TemplateType` value;
/// `Errc::sender_unavailable` for every delivery failure, naming the stage (connect, TLS,
/// AUTH, MAIL FROM, RCPT TO, DATA, message) and curl's error text, never the code or password.
///
/// Thread safety: `send` may be called from any number of threads at once (one curl handle per
/// call). Ownership: the sender keeps its own copy of the options; the password is wiped when the
/// sender is destroyed.
class REVERIFY_API SmtpSender final : public CodeSender {
 public:
  /// Checks `options` and builds a sender. Nothing is connected yet.
  /// Errors: `Errc::invalid_configuration` naming the bad option (never its secret value).
  [[nodiscard]] static Result<std::shared_ptr<SmtpSender>> create(SmtpOptions options);

  ~SmtpSender() override;

  /// Emails `message.code` to `message.to`. See the class comment for errors.
  [[nodiscard]] Result<void> send(const CodeMessage& message) override;

  /// The message `send` would transmit (headers and body, CRLF line ends), for previews and
  /// tests. It holds the code, hence a `SecretString`. Errors: as `send`'s refusals before
  /// connecting.
  [[nodiscard]] Result<SecretString> render(const CodeMessage& message) const;

 private:
  struct Impl;
  explicit SmtpSender(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::smtp
