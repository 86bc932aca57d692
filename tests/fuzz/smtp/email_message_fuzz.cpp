// Fuzzes the SMTP sender's option checks and message rendering: SmtpSender::create (it only
// parses and checks: no connection, no DNS) and SmtpSender::render; send() is never called. The
// recipient is what a user typed and the templates are what an operator wrote; both meet a wire
// format here, so header injection and malformed output are what is looked for. Options and
// messages are built from fuzz choices: server URLs with and without credentials, display names
// and templates with quotes, backslashes, non-ASCII text, long lines and placeholders, and
// recipients that are sometimes plain and sometimes carry CR, LF, ',', '<', spaces or non-ASCII
// bytes. Checked:
// - create(): an error is invalid_configuration on one line, without the password or URL
//   credentials; an accepted configuration meets the documented rules; a known-good one is
//   accepted;
// - render(): never throws; a phone message is connector_not_found; a recipient with a byte the
//   contract forbids is invalid_input, a plainly valid one is accepted; errors are one line
//   without the code;
// - a rendered message: CRLF line ends only, no NUL, no line over 998 bytes; an ASCII header
//   section of exactly the expected fields in order (other lines only folds), no line holding an
//   encoded word over 76 characters; Date and Message-ID well-formed; To: the address; From: and
//   Subject: decode (quoted-string and RFC 2047 B-words, decoded here) to the display name and
//   the filled subject; the body decodes (7bit, or quoted-printable with lines of at most 76
//   characters, decoded here) to the filled template with CRLF line ends, the code in it; no
//   password or URL credential anywhere.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "civil_days.hpp"
#include "fuzz_input.hpp"
#include "fuzz_text.hpp"
#include "reverify/smtp/smtp_sender.hpp"

namespace {

using reverify::test::contains;
using reverify::test::days_from_civil;
using reverify::test::ends_with;
using reverify::test::has_control;
using reverify::test::hex_token;
using reverify::test::one_printable_line;
using reverify::test::pick;
using reverify::test::starts_with;
using reverify::test::valid_utf8;

using reverify::CodeMessage;
using reverify::Errc;
using reverify::TemplateType;
using reverify::Timestamp;
using reverify::smtp::EmailTemplate;
using reverify::smtp::SmtpOptions;
using reverify::smtp::SmtpSender;
using reverify::smtp::StartTls;

[[noreturn]] void violated(const char* what, std::string_view detail = {}) {
  reverify::test::abort_violation("email_message_fuzz", what, detail);
}
bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

using Input = reverify::test::FuzzInput;

/// Values that must never reach an error or a message. Each is a fixed prefix of letters that
/// are not hex digits plus eight hex digits, so that no fixed text, Message-ID or short fuzz
/// text holds one by chance.
struct Secrets {
  std::string password;
  std::string url_user;
  std::string url_password;

  [[nodiscard]] std::optional<std::string_view> found_in(std::string_view text) const {
    // Pointers: a braced list of the strings would copy them, and the view returned would dangle.
    for (const std::string* secret : {&password, &url_user, &url_password}) {
      if (contains(text, *secret)) return std::string_view(*secret);
    }
    return std::nullopt;
  }
};

/// What smtp_sender.hpp says a recipient must not hold: CR, LF, control characters, space,
/// `<>,;:"()\`, non-ASCII bytes, or other than exactly one '@'; and at most 254 bytes.
bool forbidden_address(std::string_view address) {
  static constexpr std::string_view specials = "<>,;:\"()\\";
  const bool bad_byte = std::any_of(address.begin(), address.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c >= 0x7f || contains(specials, std::string_view(&ch, 1));
  });
  return bad_byte || address.empty() || address.size() > 254 || std::count(address.begin(), address.end(), '@') != 1;
}

/// Dot-separated non-empty parts, each made only of `allowed` characters.
bool dotted(std::string_view text, std::string_view allowed) {
  if (text.empty() || text.front() == '.' || text.back() == '.' || contains(text, "..")) return false;
  return std::all_of(text.begin(), text.end(), [allowed](char c) {
    return c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           contains(allowed, std::string_view(&c, 1));
  });
}

/// A conservative subset of the documented plain address (a dot-atom local part of letters,
/// digits and "+_-" within 64 bytes, '@', a host name): every such address must be accepted.
bool surely_plain(std::string_view address) {
  const auto at = address.find('@');
  if (at == std::string_view::npos || address.size() > 254 || at > 64) return false;
  return dotted(address.substr(0, at), "+_-") && dotted(address.substr(at + 1), "-");
}

std::string address(Input& in) {
  static constexpr std::array<std::string_view, 8> injections = {
      "\r\nBcc: eve@evil.test", "\nBcc: eve@evil.test",     ", eve@evil.test", ">\r\nRCPT TO:<eve@evil.test",
      ";eve@evil.test",         std::string_view("\0x", 2), " SIZE=1",         "\r\n\r\nbody"};
  static constexpr std::array<std::string_view, 6> displayed = {
      "Alice <alice@example.com>", "<alice@example.com>",  "\"alice\"@example.com",
      "alice@[127.0.0.1]",         "alice(x)@example.com", "\xc3\xa4lice@example.com"};
  static constexpr std::string_view local_chars = "abcxyz0189+_-.";
  static constexpr std::string_view host_chars = "abmnz0179-.";
  switch (in.byte() % 8) {
    case 1:
      return in.text(40);
    case 2:
      return "alice@example.com" + std::string(pick(injections, in.byte()));
    case 3:
      return in.text(12) + "@example.com";
    case 4: {
      // Mostly plain: dots may still land at an edge or twice in a row.
      std::string out;
      for (std::size_t n = 1 + in.byte() % 24; n > 0; --n) out.push_back(local_chars[in.byte() % local_chars.size()]);
      out.push_back('@');
      for (std::size_t n = 1 + in.byte() % 24; n > 0; --n) out.push_back(host_chars[in.byte() % host_chars.size()]);
      return out;
    }
    case 5:
      return std::string(pick(displayed, in.byte()));
    case 6: {
      // One fuzz byte inserted anywhere in a good address: CR, LF, ',', '<', space, 0x80...
      std::string out = "alice@example.com";
      const std::size_t at = in.byte() % (out.size() + 1);
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(in.byte()));
      return out;
    }
    case 7:
      // Around the 64-byte local part and 254-byte address limits.
      return std::string(40 + in.byte() % 40, 'a') + "@" + std::string(150 + in.byte() % 120, 'b') + ".test";
    default:
      return "alice@example.com";
  }
}

/// Text from up to `max_parts` pieces: fuzz bytes, placeholders, near-placeholders, line ends,
/// non-ASCII characters, long runs (long lines), and characters that matter to the encodings.
std::string pieces(Input& in, std::size_t max_parts) {
  static constexpr std::array<std::string_view, 3> line_ends = {"\n", "\r\n", "\r"};
  static constexpr std::array<std::string_view, 7> non_ascii = {"\xc3\xa9",
                                                                "\xe2\x80\x93",
                                                                "\xe2\x82\xac",
                                                                "\xf0\x9f\x98\x80",
                                                                "\xe6\x97\xa5\xe6\x9c\xac",
                                                                "Gr\xc3\xbc\xc3\x9f"
                                                                "e",
                                                                "\xc2\xa0"};
  static constexpr std::array<std::string_view, 8> runs = {" ", "=", "a", "\t", ".", "\xc3\xbc", "=?", "\xe6\x97\xa5"};
  static constexpr std::array<std::string_view, 6> near = {"{code", "{", "}", "{minutes", "{{code}}", "{Code}"};
  static constexpr std::array<std::string_view, 8> specials = {
      "=?UTF-8?B?QQ==?=", "=", "\"", "\\", " ", "=20", ".", "?="};
  std::string out;
  for (std::size_t n = in.byte() % (max_parts + 1); n > 0; --n) {
    switch (in.byte() % 10) {
      case 1:
        out += "{code}";
        break;
      case 2:
        out += "{minutes}";
        break;
      case 3:
        out += pick(line_ends, in.byte());
        break;
      case 4:
        out += pick(non_ascii, in.byte());
        break;
      case 5: {
        const std::string_view run = pick(runs, in.byte());
        for (std::size_t k = std::size_t{8} * in.byte(); k > 0; --k) out += run;
        break;
      }
      case 6:
        out += pick(near, in.byte());
        break;
      case 7:
        out += pick(specials, in.byte());
        break;
      case 0:
        out += in.text(20);
        break;
      default:
        out += in.text(8);
    }
  }
  return out;
}

/// A subject: empty (the default), a fixed one, or built from pieces. `known_good` tells whether
/// it is one the sender must accept.
std::string subject(Input& in, bool& known_good) {
  static constexpr std::array<std::string_view, 5> fixed = {
      "Code {code} for {minutes} min", "Best\xc3\xa4tigen Sie Ihre Adresse \xe2\x80\x93 Code {code}",
      R"("Quoted" \ back {code} =?UTF-8?Q?x?= Bcc: eve@evil.test)",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe7\xa2\xba\xe8\xaa\x8d\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89 "
      "{code} \xe2\x80\x94 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 "
      "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
      "   {minutes}{code}{minutes}   "};
  switch (in.byte() % 4) {
    case 0:
      return {};
    case 1:
      return std::string(pick(fixed, in.byte()));
    default:
      known_good = false;
      return pieces(in, 4);
  }
}

/// A body: empty (the default), a fixed one, or built from pieces and mostly given a {code}.
std::string body(Input& in, bool& known_good) {
  static const std::array<std::string, 5> fixed = {
      "Use {code} within {minutes} minutes.\n{unknown} {code\nlast line\n",
      "Ihr Code: {code}. G\xc3\xbcltig {minutes} Minuten.\r\n",
      "Your code: {code}. " + std::string(1100, 'x') + "\nnext\n",
      "trailing spaces   \ntab\t\n= sign =3D\r{code}\r\r\n.\n..two\nno end", "{code}"};
  switch (in.byte() % 4) {
    case 0:
      return {};
    case 1:
      return fixed[in.byte() % fixed.size()];
    default: {
      known_good = false;
      std::string out = pieces(in, 12);
      if (!out.empty() && in.byte() % 4 != 0) out += "{code}";
      return out;
    }
  }
}

/// The options plus what the harness knows of them.
struct Config {
  SmtpOptions options;
  Secrets secrets;
  bool known_good = true;        // every choice is one the documented rules accept
  bool url_credentials = false;  // the URL carries a user (and maybe a password)
  bool remote_host = false;      // the URL names mail.example.com (not loopback)
  bool smtps = false;            // ... with the smtps scheme
};

std::string server_url(Input& in, Config& config) {
  static constexpr std::array<std::string_view, 4> schemes = {"http", "SMTPS", "imap", "smtp"};
  switch (in.byte() % 8) {
    case 1:
      return "smtp://127.0.0.1:2525";
    case 2:
      config.remote_host = true;
      return "smtp://mail.example.com:587";
    case 3:
      config.url_credentials = true;
      return "smtps://" + config.secrets.url_user + ":" + config.secrets.url_password + "@mail.example.com:465";
    case 4:
      config.url_credentials = true;
      return "smtp://" + config.secrets.url_user + "@localhost:25";
    case 5:
      config.known_good = false;
      return "smtp://" + in.text(32);
    case 6:
      config.known_good = false;
      return in.text(48);
    case 7: {
      const std::string_view scheme = pick(schemes, in.byte());
      config.known_good = false;  // SMTPS is fine (curl lowers it), the others are not
      return std::string(scheme) + "://mail.example.com";
    }
    default:
      config.remote_host = true;
      config.smtps = true;
      return "smtps://mail.example.com:465";
  }
}

std::string from_name(Input& in, Config& config) {
  static constexpr std::array<std::string_view, 4> fixed = {
      "Example Security", R"(Say "hi" \ to "Security")",
      "S\xc3\xa9"
      "curit\xc3\xa9 \xc2\xab Exemple \xc2\xbb \xe2\x80\x93 \xe5\xae\x89\xe5\x85\xa8",
      "=?UTF-8?B?QQ==?="};
  static constexpr std::array<std::string_view, 4> repeated = {"\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
                                                               "\xf0\x9f\x98\x80", "\"\\"};
  switch (in.byte() % 8) {
    case 1:
    case 2:
      return std::string(pick(fixed, in.byte()));
    case 3: {
      std::string out;
      const std::string_view unit = pick(repeated, in.byte());
      for (std::size_t n = in.byte() % 48; n > 0; --n) out += unit;
      config.known_good = config.known_good && out.size() <= 128;
      return out;
    }
    case 4:
      config.known_good = false;
      return in.text(40);
    case 5:
      config.known_good = false;
      return pieces(in, 4);
    case 6:
      config.known_good = false;
      return "Security\r\nBcc: eve@evil.test";
    default:
      return {};
  }
}

Config make_config(Input& in) {
  Config config;
  config.secrets = {hex_token(in, "Pw"), hex_token(in, "Uu"), hex_token(in, "Up")};
  SmtpOptions& options = config.options;
  options.server_url = server_url(in, config);
  const std::uint8_t tls = in.byte();
  options.starttls = tls % 8 == 5 ? StartTls::optional : tls % 8 == 6 ? StartTls::off : StartTls::required;
  if (tls % 8 == 7) {
    options.starttls = static_cast<StartTls>(in.byte());  // an out-of-range value must be refused
    config.known_good = false;
  }
  switch (in.byte() % 4) {
    case 1:
      break;
    case 2:
      options.username = in.text(16);
      config.known_good = false;
      break;
    case 3:
      options.username = "mailer\r\nAUTH";
      config.known_good = false;
      break;
    default:
      options.username = "mailer";
  }
  switch (in.byte() % 4) {
    case 1:
      break;
    case 2:
      options.password = reverify::SecretString(in.text(8) + config.secrets.password + in.text(8));
      config.known_good = false;
      break;
    case 3:
      options.password = reverify::SecretString(config.secrets.password + "\n");
      config.known_good = false;
      break;
    default:
      options.password = reverify::SecretString(config.secrets.password);
  }
  options.from = address(in);
  options.from_name = from_name(in, config);
  for (EmailTemplate* text : {&options.user_permission_validation, &options.bind_new_identifier, &options.bind_mfa}) {
    text->subject = subject(in, config.known_good);
    text->body = body(in, config.known_good);
  }
  switch (in.byte() % 8) {
    case 6:
      options.connect_timeout = std::chrono::milliseconds(0);
      break;
    case 7:
      options.total_timeout = std::chrono::milliseconds(-1);
      break;
    default:
      break;
  }
  switch (in.byte() % 16) {
    case 14:
      options.ca_bundle_path = "/nonexistent/ca-bundle.pem";
      break;
    case 15:
      // A path an error names: a line break or an escape sequence in it must not reach the error.
      options.ca_bundle_path = in.byte() % 2 == 0 ? "/nonexistent/ca\nBcc: x.pem" : "/nonexistent/\x1b[31mca.pem";
      break;
    default:
      break;
  }

  const bool tls_guaranteed = config.smtps || options.starttls == StartTls::required;
  config.known_good = config.known_good && !config.url_credentials && surely_plain(options.from) &&
                      options.username.empty() == options.password.empty() &&
                      (options.username.empty() || tls_guaranteed || !config.remote_host) &&
                      options.connect_timeout.count() > 0 && options.total_timeout.count() > 0 &&
                      options.ca_bundle_path.empty();
  return config;
}

const EmailTemplate& configured(const SmtpOptions& options, TemplateType type) {
  switch (type) {
    case TemplateType::bind_new_identifier:
      return options.bind_new_identifier;
    case TemplateType::bind_mfa:
      return options.bind_mfa;
    default:
      return options.user_permission_validation;
  }
}

/// The template the sender uses for `type`: the configured one, its empty parts the default's.
EmailTemplate effective(const SmtpOptions& options, TemplateType type) {
  EmailTemplate text = configured(options, type);
  const EmailTemplate fallback = reverify::smtp::default_email_template(type);
  if (text.subject.empty()) text.subject = fallback.subject;
  if (text.body.empty()) text.body = fallback.body;
  return text;
}

/// What create() may accept, by the documented rules (smtp_sender.hpp): checked when it did.
void check_accepted(const Config& config) {
  const SmtpOptions& options = config.options;
  if (config.url_credentials) violated("create accepted credentials in the URL", options.server_url);
  if (options.starttls != StartTls::required && options.starttls != StartTls::optional &&
      options.starttls != StartTls::off) {
    violated("create accepted a starttls value outside StartTls");
  }
  if (options.username.empty() != options.password.empty()) violated("create accepted a user without a password");
  if (!options.username.empty() && config.remote_host && !config.smtps && options.starttls != StartTls::required) {
    violated("create accepted credentials that would travel in clear", options.server_url);
  }
  if (forbidden_address(options.from)) violated("create accepted a From address that is not bare", options.from);
  if (has_control(options.from_name) || !valid_utf8(options.from_name)) {
    violated("create accepted a display name with control characters or bad UTF-8", options.from_name);
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    violated("create accepted a timeout that is not positive");
    if (!options.ca_bundle_path.empty()) violated("create accepted a CA bundle path that does not exist");
  }
  for (const TemplateType type :
       {TemplateType::user_permission_validation, TemplateType::bind_new_identifier, TemplateType::bind_mfa}) {
    const EmailTemplate text = effective(options, type);
    if (contains(text.subject, "\r") || contains(text.subject, "\n") || !valid_utf8(text.subject)) {
      violated("create accepted a subject that is not one line of UTF-8", text.subject);
    }
    if (!valid_utf8(text.body) || !contains(text.body, "{code}")) {
      violated("create accepted a body without {code} or with bad UTF-8", text.body);
    }
  }
}

std::shared_ptr<SmtpSender> create(const Config& config) {
  std::optional<reverify::Result<std::shared_ptr<SmtpSender>>> created;
  try {
    created.emplace(SmtpSender::create(config.options));
  } catch (...) {
    violated("create threw");
  }
  if (*created) {
    check_accepted(config);
    return **created;
  }
  const reverify::Error& error = created->error();
  if (error != Errc::invalid_configuration) violated("create failed with another code", error.message());
  if (!one_printable_line(error.message())) violated("a create error that is not one line", error.message());
  if (const auto secret = config.secrets.found_in(error.message())) violated("a secret in a create error", *secret);
  if (config.known_good) violated("create refused good options", error.message());
  return nullptr;
}

Timestamp at_ms(std::uint64_t ms) { return reverify::from_unix_ms(static_cast<std::int64_t>(ms)); }

CodeMessage message(Input& in) {
  CodeMessage out;
  out.channel = in.byte() % 8 == 7 ? reverify::IdentifierType::phone : reverify::IdentifierType::email;
  out.to = address(in);
  std::string code;
  for (std::size_t n = 4 + in.byte() % 9; n > 0; --n) code.push_back(static_cast<char>('0' + in.byte() % 10));
  out.code = reverify::SecretString(code);
  out.template_type = static_cast<TemplateType>(1 + in.byte() % 3);
  constexpr std::uint64_t base = 1'700'000'000'000;
  switch (in.byte() % 4) {
    case 1:
      break;  // no time: the Date header takes the system clock's
    case 2:
      out.sent_at = at_ms(in.u64());
      break;
    case 3:
      out.sent_at = at_ms(base + (in.u64() >> 28U));
      break;
    default:
      out.sent_at = at_ms(base);
  }
  // Wrapping arithmetic: far-off expiries, both ways, are wanted.
  const auto sent = static_cast<std::uint64_t>(reverify::to_unix_ms(out.sent_at));
  switch (in.byte() % 4) {
    case 1:
      out.code_expires_at = at_ms(sent + static_cast<std::uint64_t>(static_cast<std::int32_t>(in.u64())));
      break;
    case 2:
      out.code_expires_at = at_ms(sent + 90'000 - in.byte() % 2);
      break;
    case 3:
      out.code_expires_at = at_ms(in.u64());
      break;
    default:
      out.code_expires_at = at_ms(sent + 600'000);
  }
  return out;
}

/// Whole minutes from `sent` to `expires`, rounded up; "0" when already expired. Each time is
/// split into whole minutes and a remainder (floor division), so nothing overflows and the
/// rounding is not the library's: the minutes differ by the difference of the quotients, plus one
/// when the later remainder is the larger.
std::string expected_minutes(Timestamp sent, Timestamp expires) {
  const std::int64_t from = reverify::to_unix_ms(sent);
  const std::int64_t until = reverify::to_unix_ms(expires);
  if (until <= from) return "0";
  const auto floor_split = [](std::int64_t ms) {
    std::int64_t minutes = ms / 60'000;
    std::int64_t rest = ms % 60'000;
    if (rest < 0) {
      rest += 60'000;
      minutes -= 1;
    }
    return std::pair<std::int64_t, std::int64_t>(minutes, rest);
  };
  const auto [until_minutes, until_rest] = floor_split(until);
  const auto [from_minutes, from_rest] = floor_split(from);
  const auto whole = static_cast<std::uint64_t>(until_minutes - from_minutes);
  return std::to_string(whole + (until_rest > from_rest ? 1U : 0U));
}

/// "{code}" and "{minutes}" replaced in one left-to-right pass; inserted text is not rescanned.
std::string fill_placeholders(std::string_view text, std::string_view code, std::string_view minutes) {
  std::string out;
  while (!text.empty()) {
    if (starts_with(text, "{code}")) {
      out += code;
      text.remove_prefix(6);
    } else if (starts_with(text, "{minutes}")) {
      out += minutes;
      text.remove_prefix(9);
    } else {
      out.push_back(text.front());
      text.remove_prefix(1);
    }
  }
  return out;
}

/// Every CR, LF or CRLF as one CRLF, and a final CRLF: how a body goes on the wire.
std::string with_crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out.push_back(text[i]);
    }
  }
  if (!ends_with(out, "\r\n")) out += "\r\n";
  return out;
}

/// An upper-case hex digit's value (RFC 2045 6.7 requires upper case from encoders), else -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Strict base64 (RFC 4648 alphabet, padded, unused bits zero); nullopt if not that.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  const std::size_t padding = ends_with(text, "==") ? 2 : ends_with(text, "=") ? 1 : 0;
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int value = sextet(text[i]);
    if (value < 0) return std::nullopt;
    bits = (bits << 6U) | static_cast<std::uint32_t>(value);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((bits >> static_cast<unsigned>(held)) & 0xffU));
    }
  }
  if ((bits & ((1U << static_cast<unsigned>(held)) - 1U)) != 0) return std::nullopt;
  return out;
}

/// RFC 2047: whitespace-separated "=?UTF-8?B?…?=" words, each at most 75 characters and whole
/// UTF-8 characters (section 5); the whitespace between words is not part of the text.
std::optional<std::string> decode_encoded_words(std::string_view text) {
  static constexpr std::string_view open = "=?UTF-8?B?";
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(text.find_first_of(" \t", i), text.size());
    const std::string_view word = text.substr(i, end - i);
    i = end;
    if (word.size() > 75 || word.size() < open.size() + 2 || !starts_with(word, open) || !ends_with(word, "?=")) {
      return std::nullopt;
    }
    const auto decoded = base64_decode(word.substr(open.size(), word.size() - open.size() - 2));
    if (!decoded || decoded->empty() || !valid_utf8(*decoded)) return std::nullopt;
    out += *decoded;
  }
  return out;
}

/// RFC 2045 6.7, strictly as an encoder must write it: lines of at most 76 characters, "=" then
/// two upper-case hex digits or a soft line break, literal bytes 33-126 but '=', space and tab
/// never last on a line. Returns the decoded text (hard line breaks as CRLF), or why not.
std::pair<std::optional<std::string>, const char*> decode_quoted_printable(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) return {std::nullopt, "a quoted-printable body not ending in CRLF"};
    std::string_view line = text.substr(start, end - start);
    start = end + 2;
    if (line.size() > 76) return {std::nullopt, "a quoted-printable line over 76 characters"};
    const bool soft = ends_with(line, "=");
    if (soft) line.remove_suffix(1);
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t') && !soft) {
      return {std::nullopt, "whitespace at the end of a quoted-printable line"};
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c == '=') {
        if (i + 2 >= line.size()) return {std::nullopt, "a bad '=' escape in quoted-printable"};
        const int high = hex_value(line[i + 1]);
        const int low = hex_value(line[i + 2]);
        if (high < 0 || low < 0) return {std::nullopt, "a bad '=' escape in quoted-printable"};
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
      } else if ((c >= 33 && c <= 126) || c == ' ' || c == '\t') {
        out.push_back(static_cast<char>(c));
      } else {
        return {std::nullopt, "a byte quoted-printable must escape"};
      }
    }
    if (!soft) out += "\r\n";
  }
  return {out, nullptr};
}

/// CRLF only, no NUL, no line over 998 bytes (RFC 5322 2.1.1, CRLF not counted), a final CRLF.
void check_lines(std::string_view message) {
  if (!ends_with(message, "\r\n")) violated("a message not ending in CRLF");
  std::size_t line = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\0') violated("a NUL byte in the message");
    if (c == '\r') {
      if (i + 1 == message.size() || message[i + 1] != '\n') violated("a bare CR", message.substr(i, 40));
      continue;
    }
    if (c == '\n') {
      if (i == 0 || message[i - 1] != '\r') violated("a bare LF", message.substr(i, 40));
      line = 0;
      continue;
    }
    if (++line > 998) violated("a line over 998 bytes");
  }
}

struct Field {
  std::string_view name;
  std::string value;                    // unfolded: the CRLF before each fold's whitespace removed
  std::vector<std::string_view> lines;  // as written, the name on the first
};

/// The header section as exactly these fields in this order: every line starts the next
/// expected field ("Name: ") or is a fold (whitespace, then text) of the current one.
std::vector<Field> parse_header(std::string_view header) {
  static constexpr std::array<std::string_view, 9> expected = {
      "Date",          "Message-ID",   "From",         "To",
      "Subject",       "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
      "Auto-Submitted"};
  for (std::size_t i = 0; i < header.size(); ++i) {
    const auto c = static_cast<unsigned char>(header[i]);
    if (!(c == '\r' || c == '\n' || c == '\t' || (c >= 0x20 && c <= 0x7e))) {
      violated("a non-ASCII or control byte in the header", header.substr(header.rfind('\n', i) + 1));
    }
  }
  std::vector<Field> fields;
  std::size_t start = 0;
  while (start < header.size()) {
    const std::size_t end = header.find("\r\n", start);
    const std::string_view line = header.substr(start, end - start);
    start = end + 2;
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (fields.empty()) violated("a fold before the first field", line);
      if (line.find_first_not_of(" \t") == std::string_view::npos) violated("a header line of whitespace only");
      fields.back().value += line;
      fields.back().lines.push_back(line);
      continue;
    }
    if (fields.size() == expected.size()) violated("an extra header line", line);
    const std::string_view name = expected[fields.size()];
    if (line.substr(0, name.size()) != name || line.substr(name.size(), 2) != ": ") {
      violated("an unexpected header line (injected, or a field missing or out of order)", line);
    }
    fields.push_back({name, std::string(line.substr(name.size() + 2)), {line}});
  }
  if (fields.size() != expected.size()) violated("a header field missing");
  return fields;
}

/// "Www, DD Mmm YYYY HH:MM:SS +0000", and, when the message has a time, that time (UTC).
void check_date(std::string_view value, std::int64_t sent_ms) {
  static constexpr std::array<std::string_view, 7> days = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto number = [value](std::size_t at, std::size_t length) -> std::int64_t {
    std::int64_t n = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      if (i >= value.size() || value[i] < '0' || value[i] > '9') violated("a malformed Date", value);
      n = n * 10 + (value[i] - '0');
    }
    return n;
  };
  // The year has four or more digits: it runs up to the space before the time.
  const std::size_t year_end = value.find(' ', 12);
  if (value.size() < 31 || value.substr(3, 2) != ", " || value[7] != ' ' || value[11] != ' ' ||
      year_end == std::string_view::npos || year_end < 16 || !ends_with(value, " +0000") ||
      value.size() != year_end + 15 || value[year_end + 3] != ':' || value[year_end + 6] != ':') {
    violated("a malformed Date", value);
  }
  const auto* const weekday = std::find(days.begin(), days.end(), value.substr(0, 3));
  const auto* const month = std::find(months.begin(), months.end(), value.substr(8, 3));
  if (weekday == days.end() || month == months.end()) violated("a malformed Date", value);
  const std::int64_t day = number(5, 2);
  const std::int64_t year = number(12, year_end - 12);
  const std::int64_t seconds = number(year_end + 1, 2) * 3600 + number(year_end + 4, 2) * 60 + number(year_end + 7, 2);
  if (sent_ms <= 0) return;
  const std::int64_t sent_days = sent_ms / 1000 / 86'400;
  if (days_from_civil(year, static_cast<int>(month - months.begin()) + 1, static_cast<int>(day)) != sent_days ||
      seconds != sent_ms / 1000 % 86'400 || weekday - days.begin() != sent_days % 7) {
    violated("a Date that is not the message's time", value);
  }
}

/// "<32 lower-case hex digits@the From address's domain>".
void check_message_id(std::string_view value, std::string_view from) {
  const std::string_view domain = from.substr(from.rfind('@') + 1);
  if (value.size() != 35 + domain.size()) violated("a malformed Message-ID", value);
  const std::string_view digits = value.substr(1, 32);
  const bool hex = std::all_of(digits.begin(), digits.end(),
                               [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!hex || value.front() != '<' || value[33] != '@' || value.substr(34, domain.size()) != domain ||
      value.back() != '>') {
    violated("a malformed Message-ID", value);
  }
}

/// RFC 2047 section 2: a line holding an encoded word has at most 76 characters. Only fields the
/// library encoded are checked: an operator's printable text that merely looks like one is sent
/// as written.
void check_encoded_lines(const Field& field) {
  for (const std::string_view line : field.lines) {
    if (line.find("=?UTF-8?B?") != std::string_view::npos && line.size() > 76) {
      violated("a header line with an encoded word over 76 characters", line);
    }
  }
}

/// From: the bare address without a display name; else the name as a quoted-string or as
/// encoded words, then " <address>".
void check_from(const Field& field, const SmtpOptions& options) {
  const std::string_view value = field.value;
  if (options.from_name.empty()) {
    if (value != options.from) violated("a From that is not the bare address", value);
    return;
  }
  const std::string angle = " <" + options.from + ">";
  if (!ends_with(value, angle)) violated("a From without the address in angle brackets", value);
  const std::string_view name = value.substr(0, value.size() - angle.size());
  std::optional<std::string> decoded;
  if (starts_with(name, "\"")) {
    std::string text;
    std::size_t i = 1;
    for (; i < name.size() && name[i] != '"'; ++i) {
      if (name[i] == '\\' && ++i == name.size()) break;
      text.push_back(name[i]);
    }
    if (i + 1 == name.size()) decoded = std::move(text);  // the closing quote ends the name
  } else {
    check_encoded_lines(field);
    decoded = decode_encoded_words(name);
  }
  if (!decoded || *decoded != options.from_name)
    violated("a From display name that does not decode to from_name", name);
}

/// The Subject: `filled` as it is, or encoded words decoding to it (`filled_later`: the same
/// filled with a moment's later minutes, when the call may have counted from either).
void check_subject(const Field& field, std::string_view filled, std::string_view filled_later) {
  const std::string_view value = field.value;
  for (const std::string_view candidate : {filled, filled_later}) {
    if (printable_ascii(candidate) && value == candidate) return;
  }
  check_encoded_lines(field);
  const auto decoded = decode_encoded_words(value);
  if (!decoded || (*decoded != filled && *decoded != filled_later))
    violated("a Subject that does not decode to the filled subject",
             std::string(value) + " | expected " + std::string(filled));
}

/// The body as decoded by its Content-Transfer-Encoding; a body 7bit cannot carry is refused.
std::string decode_body(std::string_view encoding, std::string_view body) {
  if (encoding == "7bit") {
    if (std::any_of(body.begin(), body.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
      violated("an 8-bit byte in a 7bit body");
    }
    return std::string(body);
  }
  if (encoding != "quoted-printable") violated("an unexpected Content-Transfer-Encoding", encoding);
  auto [decoded, why] = decode_quoted_printable(body);
  if (!decoded) violated(why, body);
  return std::move(*decoded);
}

/// The time render() counts {minutes} from: the message's, or, when it left it unset, a moment
/// between `before` and `after` (read around the call).
struct SentWindow {
  Timestamp earliest;
  Timestamp latest;
};

void check_rendered(std::string_view message, const Config& config, const CodeMessage& sent, SentWindow window) {
  const SmtpOptions& options = config.options;
  check_lines(message);
  const std::size_t blank = message.find("\r\n\r\n");
  if (blank == std::string_view::npos) violated("no blank line after the header");
  const std::vector<Field> fields = parse_header(message.substr(0, blank + 2));
  const std::string_view body = message.substr(blank + 4);

  const EmailTemplate text = effective(options, sent.template_type);
  const std::string code(sent.code.reveal());
  // Minutes only fall as time passes: the latest moment gives the fewest.
  const std::string most_minutes = expected_minutes(window.earliest, sent.code_expires_at);
  const std::string fewest_minutes = expected_minutes(window.latest, sent.code_expires_at);
  const std::string& minutes = most_minutes;
  check_date(fields[0].value, reverify::to_unix_ms(sent.sent_at));
  check_message_id(fields[1].value, options.from);
  check_from(fields[2], options);
  if (fields[3].value != sent.to) violated("a To that is not the address", fields[3].value);
  // The rare call that straddles a minute boundary may have counted from either side of it.
  check_subject(fields[4], fill_placeholders(text.subject, code, minutes),
                fill_placeholders(text.subject, code, fewest_minutes));
  if (fields[5].value != "1.0") violated("a MIME-Version other than 1.0", fields[5].value);
  if (fields[6].value != "text/plain; charset=utf-8") violated("an unexpected Content-Type", fields[6].value);
  if (fields[8].value != "auto-generated") violated("an unexpected Auto-Submitted", fields[8].value);

  const std::string decoded = decode_body(fields[7].value, body);
  if (decoded != with_crlf(fill_placeholders(text.body, code, minutes)) &&
      decoded != with_crlf(fill_placeholders(text.body, code, fewest_minutes))) {
    violated("a body that does not decode to the filled template", decoded);
  }
  if (contains(text.body, "{code}") && !contains(decoded, code)) violated("a body without the code");

  // The message echoes operator and user text: a secret fuzz text copied there is no leak.
  const std::string echoed = options.from + options.from_name + text.subject + text.body + sent.to;
  const auto secret = config.secrets.found_in(message);
  if (secret && !contains(echoed, *secret)) violated("a secret in the message", *secret);
}

void render(const SmtpSender& sender, const Config& config, const CodeMessage& sent) {
  std::optional<reverify::Result<reverify::SecretString>> rendered;
  const auto now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  };
  SentWindow window{sent.sent_at, sent.sent_at};
  if (reverify::to_unix_ms(sent.sent_at) <= 0) window.earliest = now();
  try {
    rendered.emplace(sender.render(sent));
  } catch (...) {
    violated("render threw");
  }
  if (reverify::to_unix_ms(sent.sent_at) <= 0) window.latest = now();
  const bool email = sent.channel == reverify::IdentifierType::email;
  if (*rendered) {
    if (!email) violated("a phone message rendered as email");
    if (forbidden_address(sent.to)) violated("render accepted an address that is not plain", sent.to);
    check_rendered((*rendered)->reveal(), config, sent, window);
    return;
  }
  const reverify::Error& error = rendered->error();
  const Errc want = email ? Errc::invalid_input : Errc::connector_not_found;
  if (error != want) violated("render failed with an unexpected code", error.message());
  if (email && surely_plain(sent.to)) violated("render refused a plain address", sent.to);
  if (!one_printable_line(error.message())) violated("a render error that is not one line", error.message());
  // Short codes could match digits of an unrelated text by chance.
  if (sent.code.reveal().size() >= 6 && contains(error.message(), sent.code.reveal())) {
    violated("the code in a render error", error.message());
  }
  if (const auto secret = config.secrets.found_in(error.message())) violated("a secret in a render error", *secret);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const Config config = make_config(in);
  const auto sender = create(config);
  if (!sender) return 0;
  // Several messages per sender: create() is the costlier half.
  for (int i = 0; i < 4 && (i == 0 || !in.done()); ++i) render(*sender, config, message(in));
  return 0;
}
