#include "reverify/smtp/smtp_sender.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "curl_support.hpp"
#include "email_message.hpp"
#include "sender_text.hpp"
#include "store_codec.hpp"

namespace reverify::smtp {
namespace cs = reverify::curl_support;

EmailTemplate default_email_template(TemplateType type) {
  switch (type) {
    case TemplateType::bind_new_identifier:
      return {"Confirm your email address",
              "Use this code to confirm this email address for your account:\n\n    {code}\n\n"
              "It expires in {minutes} minutes. If you did not ask for it, you can ignore this email.\n"};
    case TemplateType::bind_mfa:
      return {"Your two-step verification code",
              "Use this code to set up two-step verification:\n\n    {code}\n\n"
              "It expires in {minutes} minutes. If you did not ask for it, someone may know your "
              "password: change it.\n"};
    case TemplateType::user_permission_validation:
    default:
      return {"Your verification code",
              "Your verification code is:\n\n    {code}\n\n"
              "It expires in {minutes} minutes. Never share it. If you did not ask for it, someone may "
              "know your password: change it.\n"};
  }
}

struct SmtpSender::Impl {
  SmtpOptions options;

  [[nodiscard]] const EmailTemplate& template_for(TemplateType type) const {
    switch (type) {
      case TemplateType::bind_new_identifier:
        return options.bind_new_identifier;
      case TemplateType::bind_mfa:
        return options.bind_mfa;
      case TemplateType::user_permission_validation:
      default:
        return options.user_permission_validation;
    }
  }
};

namespace {

constexpr std::size_t max_subject_bytes = 256;
constexpr std::size_t max_body_bytes = std::size_t{64} * 1024;

Result<void> check_template(EmailTemplate& text, TemplateType type) {
  const EmailTemplate fallback = default_email_template(type);
  if (text.subject.empty()) text.subject = fallback.subject;
  if (text.body.empty()) text.body = fallback.body;
  const std::string name(to_string(type));
  if (text.subject.size() > max_subject_bytes || sender_text::has_control(text.subject) ||
      !sender_text::is_valid_utf8(text.subject)) {
    return fail(Errc::invalid_configuration, "the " + name +
                                                 " subject must be one line of UTF-8 without control characters, "
                                                 "at most 256 bytes");
  }
  if (text.body.size() > max_body_bytes || sender_text::has_control(text.body, true) ||
      !sender_text::is_valid_utf8(text.body)) {
    return fail(Errc::invalid_configuration,
                "the " + name + " body must be UTF-8 text without control characters, at most 64 KiB");
  }
  if (text.body.find("{code}") == std::string::npos) {
    return fail(Errc::invalid_configuration, "the " + name + " body has no {code} placeholder");
  }
  return {};
}

Result<void> check_options(SmtpOptions& options) {
  auto url = cs::parse_url(options.server_url, "server_url");
  if (!url) return fail(url.error());
  if (url->scheme != "smtp" && url->scheme != "smtps") {
    return fail(Errc::invalid_configuration, "server_url must start with smtp:// or smtps://");
  }
  if (options.starttls != StartTls::required && options.starttls != StartTls::optional &&
      options.starttls != StartTls::off) {
    return fail(Errc::invalid_configuration, "starttls is not a StartTls value");
  }
  if (options.username.empty() != options.password.empty()) {
    return fail(Errc::invalid_configuration, "username and password must be set together");
  }
  if (sender_text::has_control(options.username) || sender_text::has_control(options.password.reveal())) {
    return fail(Errc::invalid_configuration, "username and password must not contain control characters");
  }
  const bool tls_guaranteed = url->scheme == "smtps" || options.starttls == StartTls::required;
  if (!options.username.empty() && !tls_guaranteed && !cs::is_loopback_host(url->host)) {
    return fail(Errc::invalid_configuration,
                "credentials would travel in clear: use smtps:// or StartTls::required (or a loopback relay)");
  }
  if (!detail::is_plain_address(options.from)) {
    return fail(Errc::invalid_configuration, "from must be a bare address like noreply@example.com");
  }
  if (options.from_name.size() > 128 || sender_text::has_control(options.from_name) ||
      !sender_text::is_valid_utf8(options.from_name)) {
    return fail(Errc::invalid_configuration, "from_name must be UTF-8 without control characters, at most 128 bytes");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return fail(Errc::invalid_configuration, "connect_timeout and total_timeout must be positive");
  }
  if (auto ca = cs::check_ca_bundle_path(options.ca_bundle_path); !ca) return fail(ca.error());
  for (auto [text, type] : {std::pair<EmailTemplate*, TemplateType>{&options.user_permission_validation,
                                                                    TemplateType::user_permission_validation},
                            {&options.bind_new_identifier, TemplateType::bind_new_identifier},
                            {&options.bind_mfa, TemplateType::bind_mfa}}) {
    auto checked = check_template(*text, type);
    if (!checked) return checked;
  }
  return {};
}

// Which SMTP command curl sent last: the stage a failure is reported at. Only the verb is kept,
// never the rest of the line (AUTH continuation lines carry credentials). QUIT is not a stage:
// curl sends it after the failure we want to name.
struct StageTracker {
  const char* stage = "connect";
};

int track_stage(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size, void* user) {
  auto* tracker = static_cast<StageTracker*>(user);
  if (type == CURLINFO_HEADER_IN && std::strcmp(tracker->stage, "connect") == 0) {
    tracker->stage = "greeting";
  } else if (type == CURLINFO_HEADER_OUT) {
    const std::string_view line(data, size);
    static constexpr std::pair<std::string_view, const char*> verbs[] = {
        {"EHLO", "EHLO"},      {"HELO", "HELO"},    {"STARTTLS", "STARTTLS"}, {"AUTH", "AUTH"},
        {"MAIL", "MAIL FROM"}, {"RCPT", "RCPT TO"}, {"DATA", "DATA"}};
    for (const auto& [verb, stage] : verbs) {
      if (line.size() >= verb.size() && line.compare(0, verb.size(), verb) == 0) tracker->stage = stage;
    }
  } else if (type == CURLINFO_DATA_OUT) {
    tracker->stage = "message";
  }
  return 0;
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

std::string minutes_until(Timestamp from, Timestamp until) {
  if (until <= from) return "0";
  // Unsigned: two far-apart times (an unset sent_at and Timestamp::max()) overflow a signed
  // difference, and rounding up by adding 59'999 would overflow near the top.
  const std::uint64_t ms = static_cast<std::uint64_t>(to_unix_ms(until)) - static_cast<std::uint64_t>(to_unix_ms(from));
  return std::to_string(ms / 60'000 + (ms % 60'000 != 0 ? 1 : 0));
}

}  // namespace

SmtpSender::SmtpSender(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

SmtpSender::~SmtpSender() = default;

Result<std::shared_ptr<SmtpSender>> SmtpSender::create(SmtpOptions options) {
  if (sodium_init() < 0) return fail(Errc::internal, "libsodium could not be initialised");
  auto checked = check_options(options);
  if (!checked) return fail(checked.error());
  if (cs::global_init() != CURLE_OK) return fail(Errc::invalid_configuration, "curl_global_init failed");
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr || (info->features & CURL_VERSION_SSL) == 0) {
    return fail(Errc::invalid_configuration, "this libcurl has no TLS support");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  return std::shared_ptr<SmtpSender>(new SmtpSender(std::move(impl)));
}

Result<SecretString> SmtpSender::render(const CodeMessage& message) const {
  if (message.channel != IdentifierType::email) {
    return fail(Errc::connector_not_found, "the SMTP sender delivers email only");
  }
  if (!detail::is_plain_address(message.to)) {
    return fail(Errc::invalid_input, "the recipient is not a plain email address (local@domain)");
  }
  // A value outside the enum (a cast by the caller) has no text of its own: refused rather than
  // sent with another template's wording.
  if (!reverify::detail::template_type_from(static_cast<std::int64_t>(message.template_type))) {
    return fail(Errc::invalid_input, "the message's template_type is not a TemplateType value");
  }
  const SmtpOptions& options = impl_->options;
  const EmailTemplate& text = impl_->template_for(message.template_type);
  // When the message is sent: the caller's time, or now when it left it unset. The Date header and
  // {minutes} both count from it.
  const Timestamp sent_at =
      to_unix_ms(message.sent_at) > 0
          ? message.sent_at
          : std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const std::string minutes = minutes_until(sent_at, message.code_expires_at);
  SecretString subject(detail::fill_template(text.subject, message.code.reveal(), minutes));
  // RFC 5322 lines hold 998 bytes; "Subject: " takes 9. Only a code far longer than any policy
  // draws, repeated in the template, gets here.
  if (subject.size() > 989) return fail(Errc::invalid_input, "the subject is over 989 bytes once filled");
  SecretString body(detail::fill_template(text.body, message.code.reveal(), minutes));
  detail::MessageParts parts;
  parts.from = options.from;
  parts.from_name = options.from_name;
  parts.to = message.to;
  parts.subject = subject.reveal();
  parts.body = body.reveal();
  parts.date = sent_at;
  return SecretString(detail::build_message(parts));
}

Result<void> SmtpSender::send(const CodeMessage& message) {
  auto rendered = render(message);
  if (!rendered) return fail(rendered.error());
  const SmtpOptions& options = impl_->options;

  const cs::Easy handle(curl_easy_init());
  if (!handle) return fail(Errc::sender_unavailable, "SMTP: curl_easy_init failed");
  cs::List recipients;
  const std::string envelope_from = "<" + options.from + ">";
  const std::string envelope_to = "<" + message.to + ">";
  if (!cs::append(recipients, envelope_to.c_str())) return fail(Errc::sender_unavailable, "SMTP: out of memory");

  Upload upload{rendered->reveal()};
  StageTracker tracker;
  char error_buffer[CURL_ERROR_SIZE] = {};
  long use_ssl = CURLUSESSL_ALL;
  if (options.starttls == StartTls::optional) use_ssl = CURLUSESSL_TRY;
  if (options.starttls == StartTls::off) use_ssl = CURLUSESSL_NONE;

  cs::Setter set(handle.get());
  cs::apply_common(set, "smtp,smtps", options.ca_bundle_path);
  set(CURLOPT_URL, options.server_url.c_str());
  set(CURLOPT_PROXY, "");
  set(CURLOPT_USE_SSL, use_ssl);
  if (!options.username.empty()) {
    // reveal() views are not NUL-terminated strings; curl copies both values.
    std::string password(options.password.reveal());
    set(CURLOPT_USERNAME, options.username.c_str());
    set(CURLOPT_PASSWORD, password.c_str());
    sodium_memzero(password.data(), password.size());
  }
  set(CURLOPT_MAIL_FROM, envelope_from.c_str());
  set(CURLOPT_MAIL_RCPT, recipients.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_READFUNCTION, &read_upload);
  set(CURLOPT_READDATA, &upload);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.data.size()));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_DEBUGFUNCTION, &track_stage);
  set(CURLOPT_DEBUGDATA, &tracker);
  set(CURLOPT_VERBOSE, 1L);
  if (!set.ok()) return fail(Errc::sender_unavailable, "SMTP: " + set.failure());

  const CURLcode rc = curl_easy_perform(handle.get());
  if (rc == CURLE_OK) return {};

  long reply = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &reply);
  std::string stage = tracker.stage;
  const bool before_any_reply = std::strcmp(tracker.stage, "connect") == 0;
  curl_off_t connected_after = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_CONNECT_TIME_T, &connected_after);
  if (cs::is_tls_failure(rc)) {
    stage = before_any_reply ? "TLS handshake" : "STARTTLS";
  } else if (before_any_reply && connected_after > 0) {
    stage = "greeting";  // connected, but the server never greeted
  }
  std::string text = "SMTP delivery failed at " + stage;
  if (reply != 0) text += " (server replied " + std::to_string(reply) + ")";
  text += ": " + cs::describe(rc, error_buffer);
  return fail(Errc::sender_unavailable,
              cs::redact(text, {options.password.reveal(), message.code.reveal(), message.to}));
}

}  // namespace reverify::smtp
