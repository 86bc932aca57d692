#include "reverify/http/http_sender.hpp"

#include <sodium.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "clock_range.hpp"
#include "curl_support.hpp"
#include "reverify/version.hpp"
#include "sender_text.hpp"
#include "store_codec.hpp"

namespace reverify::http {
namespace cs = reverify::curl_support;

struct HttpSender::Impl {
  HttpOptions options;
  std::string url_path;   // redacted from error text: webhook URLs often hold tokens
  std::string url_query;  // likewise
};

namespace {

constexpr std::size_t min_hmac_secret_bytes = 16;

// The parts of the URL to keep out of error text, as curl's own parser splits them.
struct UrlSecrets {
  std::string path;
  std::string query;
};

Result<UrlSecrets> check_options(const HttpOptions& options) {
  auto url = cs::parse_url(options.url, "url");
  if (!url) return fail(url.error());
  if (url->scheme != "https" && !(url->scheme == "http" && cs::is_loopback_host(url->host))) {
    return fail(Errc::invalid_configuration, "url must be https:// (http:// only for a loopback host)");
  }
  if (options.channels != ChannelFilter::both && options.channels != ChannelFilter::email_only &&
      options.channels != ChannelFilter::sms_only) {
    return fail(Errc::invalid_configuration, "channels is not a ChannelFilter value");
  }
  if (sender_text::has_control(options.bearer_token.reveal()) ||
      options.bearer_token.reveal().find(' ') != std::string_view::npos) {
    return fail(Errc::invalid_configuration, "bearer_token must not contain spaces or control characters");
  }
  if (!options.hmac_secret.empty() && options.hmac_secret.size() < min_hmac_secret_bytes) {
    return fail(Errc::invalid_configuration, "hmac_secret must be at least 16 bytes");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return fail(Errc::invalid_configuration, "connect_timeout and total_timeout must be positive");
  }
  if (auto ca = cs::check_ca_bundle_path(options.ca_bundle_path); !ca) return fail(ca.error());
  if (!options.proxy.empty()) {
    // An HTTP(S) proxy tunnels the https:// request with CONNECT, so TLS stays end to end. Other
    // schemes are refused by name: read from the text first, because curl's URL parser would call
    // one it does not know (socks5://) just "not a valid URL".
    const char* only_http = "proxy must be an http:// or https:// URL";
    if (const auto separator = options.proxy.find("://"); separator != std::string::npos) {
      std::string scheme = options.proxy.substr(0, separator);
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (scheme != "http" && scheme != "https") return fail(Errc::invalid_configuration, only_http);
    }
    auto proxy = cs::parse_url(options.proxy, "proxy");
    if (!proxy) return fail(proxy.error());
    if (proxy->scheme != "http" && proxy->scheme != "https") return fail(Errc::invalid_configuration, only_http);
    // curl hands an http:// request to the proxy as it is: the code and the token would leave
    // this host in clear, which is what the loopback rule for http:// is there to prevent.
    if (url->scheme == "http") {
      return fail(Errc::invalid_configuration,
                  "proxy cannot be used with an http:// url (the request is not encrypted)");
    }
  }
  return UrlSecrets{url->path == "/" ? std::string() : url->path, url->query};
}

bool known_channel(IdentifierType channel) {
  return channel == IdentifierType::email || channel == IdentifierType::phone;
}

bool accepts(ChannelFilter filter, IdentifierType channel) {
  switch (filter) {
    case ChannelFilter::email_only:
      return channel == IdentifierType::email;
    case ChannelFilter::sms_only:
      return channel == IdentifierType::phone;
    case ChannelFilter::both:
    default:
      return true;
  }
}

std::string hmac_sha256_hex(std::string_view key, std::string_view timestamp, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(timestamp.data()), timestamp.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  std::array<char, crypto_auth_hmacsha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return std::string(hex.data());
}

// The response body is not used: 2xx is success. Reading it keeps the connection orderly.
std::size_t discard(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) { return size * count; }

// A header line holding a secret (after a public prefix such as "Bearer "), built in one buffer
// and wiped once curl has copied it into its list.
bool append_secret_header(cs::List& headers, std::string_view name, std::string_view prefix, std::string_view secret) {
  std::string line;
  line.reserve(name.size() + 2 + prefix.size() + secret.size());
  line.append(name).append(": ").append(prefix).append(secret);
  const bool ok = cs::append(headers, line.c_str());
  sodium_memzero(line.data(), line.size());
  return ok;
}

// The X-Reverify-Timestamp value: whole seconds of the configured clock. The clock is host code,
// so it is read as the manager reads its own (send may be called without a manager around it).
Result<std::string> signature_timestamp(Clock& clock) {
  const auto reading = reverify::detail::read_host_clock(clock, Errc::sender_unavailable, "HTTP sender: ");
  if (!reading) return fail(reading.error());
  return std::to_string(to_unix_ms(*reading) / 1000);
}

}  // namespace

HttpSender::HttpSender(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

HttpSender::~HttpSender() = default;

Result<std::shared_ptr<HttpSender>> HttpSender::create(HttpOptions options) {
  if (sodium_init() < 0) return fail(Errc::internal, "libsodium could not be initialised");
  auto url_secrets = check_options(options);
  if (!url_secrets) return fail(url_secrets.error());
  if (cs::global_init() != CURLE_OK) return fail(Errc::invalid_configuration, "curl_global_init failed");
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr || (info->features & CURL_VERSION_SSL) == 0) {
    return fail(Errc::invalid_configuration, "this libcurl has no TLS support");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->url_path = std::move(url_secrets->path);
  impl->url_query = std::move(url_secrets->query);
  if (!impl->options.clock) impl->options.clock = std::make_shared<SystemClock>();
  return std::shared_ptr<HttpSender>(new HttpSender(std::move(impl)));
}

Result<SecretString> HttpSender::to_json(const CodeMessage& message) {
  // A value outside the enums (a cast by the caller) has no wire name: refused rather than sent
  // under a wrong channel or template.
  if (!known_channel(message.channel)) {
    return fail(Errc::invalid_input, "the message's channel is not an IdentifierType value");
  }
  if (!reverify::detail::template_type_from(static_cast<std::int64_t>(message.template_type))) {
    return fail(Errc::invalid_input, "the message's template_type is not a TemplateType value");
  }
  if (!reverify::detail::message_text_is_utf8(message)) {
    return fail(Errc::invalid_input, "a message field is not valid UTF-8");
  }
  std::string body = "{\"channel\":";
  sender_text::append_json_string(body, message.channel == IdentifierType::phone ? "sms" : "email");
  body += ",\"to\":";
  sender_text::append_json_string(body, message.to);
  body += ",\"code\":";
  sender_text::append_json_string(body, message.code.reveal());
  body += ",\"template\":";
  sender_text::append_json_string(body, to_string(message.template_type));
  body += ",\"verificationRecordId\":";
  sender_text::append_json_string(body, message.record_id);
  body += ",\"expiresAt\":";
  sender_text::append_json_string(body, to_iso8601(message.code_expires_at));
  body += '}';
  return SecretString(std::move(body));
}

Result<void> HttpSender::send(const CodeMessage& message) {
  const HttpOptions& options = impl_->options;
  if (!known_channel(message.channel)) {  // before the filter, whose message names the channel
    return fail(Errc::invalid_input, "the message's channel is not an IdentifierType value");
  }
  if (!accepts(options.channels, message.channel)) {
    return fail(Errc::connector_not_found, std::string("the HTTP sender is not configured for ") +
                                               (message.channel == IdentifierType::phone ? "SMS" : "email"));
  }
  auto body = to_json(message);
  if (!body) return fail(body.error());

  const cs::Easy handle(curl_easy_init());
  if (!handle) return fail(Errc::sender_unavailable, "HTTP sender: curl_easy_init failed");

  cs::List headers;
  bool headers_ok = cs::append(headers, "Content-Type: application/json") && cs::append(headers, "Expect:");
  if (!options.bearer_token.empty()) {
    headers_ok = headers_ok && append_secret_header(headers, "Authorization", "Bearer ", options.bearer_token.reveal());
  }
  if (!options.hmac_secret.empty()) {
    const auto timestamp = signature_timestamp(*options.clock);
    if (!timestamp) return fail(timestamp.error());
    const std::string signature = "v1=" + hmac_sha256_hex(options.hmac_secret.reveal(), *timestamp, body->reveal());
    headers_ok = headers_ok && cs::append(headers, ("X-Reverify-Timestamp: " + *timestamp).c_str()) &&
                 cs::append(headers, ("X-Reverify-Signature: " + signature).c_str());
  }
  if (!headers_ok) return fail(Errc::sender_unavailable, "HTTP sender: out of memory");

  char error_buffer[CURL_ERROR_SIZE] = {};
  static const std::string user_agent = "reverify/" + std::to_string(REVERIFY_VERSION_MAJOR) + "." +
                                        std::to_string(REVERIFY_VERSION_MINOR) + "." +
                                        std::to_string(REVERIFY_VERSION_PATCH);
  cs::Setter set(handle.get());
  cs::apply_common(set, "http,https", options.ca_bundle_path);
  set(CURLOPT_URL, options.url.c_str());
  set(CURLOPT_PROXY, options.proxy.c_str());
  set(CURLOPT_NOPROXY, "");  // NO_PROXY in the environment must not route around the proxy
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, body->reveal().data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_USERAGENT, user_agent.c_str());
  set(CURLOPT_WRITEFUNCTION, &discard);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  set(CURLOPT_ERRORBUFFER, error_buffer);
  if (!set.ok()) return fail(Errc::sender_unavailable, "HTTP sender: " + set.failure());

  const CURLcode rc = curl_easy_perform(handle.get());
  auto redacted = [&](const std::string& text) {
    return cs::redact(text, {message.code.reveal(), options.bearer_token.reveal(), options.hmac_secret.reveal(),
                             impl_->url_path, impl_->url_query, message.to});
  };
  if (rc != CURLE_OK) {
    std::string text = "HTTP sender: ";
    text += cs::is_tls_failure(rc)           ? "TLS failure: "
            : rc == CURLE_OPERATION_TIMEDOUT ? "timed out: "
                                             : "request failed: ";
    text += cs::describe(rc, error_buffer);
    return fail(Errc::sender_unavailable, redacted(text));
  }
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    return fail(Errc::sender_unavailable, "HTTP sender: the gateway answered status " + std::to_string(status));
  }
  return {};
}

}  // namespace reverify::http
