// Fuzzes the HTTP (SMS/webhook) sender's option checks and JSON body: HttpSender::create (it only
// parses and checks: curl's URL parser, access() on the CA path; no connection, no DNS) and the
// static HttpSender::to_json; send() is never called. The URL decides whether a code and a bearer
// token may travel in clear, and the body carries what a user typed to a gateway, so clear text to
// another host, leaked secrets and malformed JSON are what is looked for. Options and messages
// are built from fuzz choices: URLs with many schemes, loopback and look-alike hosts ("127.1",
// "[::ffff:127.0.0.1]", "127.0.0.1.example.com", percent-escapes, IDN), credentials and '@'/'#'
// tricks; proxies with and without credentials; tokens, secrets, timeouts, channel filters and CA
// paths valid and not; messages whose strings carry quotes, backslashes, control bytes, NUL and
// invalid UTF-8, with expiries from Timestamp::min() to Timestamp::max(). Checked:
// - create(): never throws; an error is invalid_configuration, one line of printable text, without
//   the bearer token, the HMAC secret, URL or proxy credentials or the URL's path token; an
//   accepted configuration meets the documented rules (http_sender.hpp, docs/senders.md):
//   https://, or http:// to a loopback host (127.0.0.0/8, ::1, localhost) by the harness's label
//   of the host it wrote and by its own reading of the host curl's URL parser extracts, and then
//   no proxy at all (curl would hand it the clear request); no credentials in the URL or
//   the proxy URL; a ChannelFilter value; a bearer token without control characters; an HMAC
//   secret empty or of 16 bytes or more; positive timeouts; ca_bundle_path empty or naming a
//   readable regular file; a proxy scheme of http or https; a known-good
//   configuration is accepted;
// - to_json(): never throws; invalid UTF-8 in `to`, the code or the record id, or a channel or
//   template outside its enum, is invalid_input on one line without the code; otherwise strict JSON (RFC 8259, decoded
//   here, and by nlohmann_json when it is installed): valid UTF-8, no raw control character, one object of exactly the
//   six documented keys, each a string decoding back to the message's field, `template` Logto's name, `expiresAt`
//   ISO-8601 UTC naming code_expires_at to the millisecond.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fuzz_input.hpp"
#include "fuzz_text.hpp"
#include "iso8601_reading.hpp"
#include "reverify/http/http_sender.hpp"

#ifdef REVERIFY_FUZZ_HAVE_NLOHMANN_JSON
#include <nlohmann/json.hpp>
#endif

namespace {

using reverify::test::contains;
using reverify::test::has_control;
using reverify::test::hex_token;
using reverify::test::one_printable_line;
using reverify::test::pick;
using reverify::test::valid_utf8;

using namespace std::string_view_literals;
using reverify::CodeMessage;
using reverify::Errc;
using reverify::IdentifierType;
using reverify::SecretString;
using reverify::TemplateType;
using reverify::Timestamp;
using reverify::http::ChannelFilter;
using reverify::http::HttpOptions;
using reverify::http::HttpSender;

[[noreturn]] void violated(const char* what, std::string_view detail = {}) {
  reverify::test::abort_violation("http_sender_fuzz", what, detail);
}
std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// A hex digit's value (either case), else -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

using Input = reverify::test::FuzzInput;

/// Values that must never reach an error.
struct Secrets {
  std::string bearer;          // the bearer token
  std::string hmac;            // the HMAC secret's distinctive part
  std::string url_user;        // written into the URL
  std::string url_password;    // likewise
  std::string proxy_user;      // written into the proxy URL
  std::string proxy_password;  // likewise
  std::string path;            // a webhook token in the URL's path or query

  [[nodiscard]] std::optional<std::string_view> found_in(std::string_view text) const {
    // Views of the members, not of copies: a braced list of strings would copy them, and the view
    // returned would dangle.
    const std::array<std::string_view, 7> all = {bearer,     hmac,           url_user, url_password,
                                                 proxy_user, proxy_password, path};
    for (const std::string_view secret : all) {
      if (contains(text, secret)) return secret;
    }
    return std::nullopt;
  }
};

// ---- Hosts: the harness's own loopback decision -------------------------------------------------

/// `yes`: loopback by the documented rule (127.0.0.0/8, ::1, localhost). `equivalent`: reaches this
/// host too but is not named by the rule (LOCALHOST, ::ffff:127.0.0.0/104): create() may take or
/// refuse it. `no`: may be another host.
enum class Loopback : std::uint8_t { no, yes, equivalent };

/// Strict dotted-decimal IPv4 (curl rewrites "127.1", "0x7f.1" and the like to this form); a
/// leading zero is refused, as resolvers would read it as octal.
std::optional<std::array<std::uint32_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint32_t, 4> parts{};
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(text.find('.', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    if (count == 4 || part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0')) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value > 255) return std::nullopt;
    parts.at(count++) = value;
    if (end == text.size()) break;
    start = end + 1;
  }
  if (count != 4) return std::nullopt;
  return parts;
}

/// Colon-separated groups of 1-4 hex digits; with `v4_last`, the last may be a dotted quad (two
/// groups). Empty text is no groups.
std::optional<std::vector<std::uint16_t>> ipv6_groups(std::string_view text, bool v4_last) {
  std::vector<std::uint16_t> groups;
  if (text.empty()) return groups;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(text.find(':', start), text.size());
    const std::string_view group = text.substr(start, end - start);
    if (end == text.size() && v4_last && contains(group, ".")) {
      const auto v4 = parse_ipv4(group);
      if (!v4) return std::nullopt;
      groups.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8U) | (*v4)[1]));
      groups.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8U) | (*v4)[3]));
      return groups;
    }
    if (group.empty() || group.size() > 4) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : group) {
      const int digit = hex_value(c);
      if (digit < 0) return std::nullopt;
      value = value * 16 + static_cast<std::uint32_t>(digit);
    }
    groups.push_back(static_cast<std::uint16_t>(value));
    if (end == text.size()) return groups;
    start = end + 1;
  }
}

/// An IPv6 literal (RFC 4291 2.2) without brackets or zone, as eight groups.
std::optional<std::array<std::uint16_t, 8>> parse_ipv6(std::string_view text) {
  const std::size_t gap = text.find("::");
  std::array<std::uint16_t, 8> address{};
  if (gap == std::string_view::npos) {
    const auto groups = ipv6_groups(text, true);
    if (!groups || groups->size() != 8) return std::nullopt;
    std::copy(groups->begin(), groups->end(), address.begin());
    return address;
  }
  const auto head = ipv6_groups(text.substr(0, gap), false);
  const std::string_view rest = text.substr(gap + 2);
  if (contains(rest, "::")) return std::nullopt;
  const auto tail = ipv6_groups(rest, true);
  if (!head || !tail || head->size() + tail->size() > 7) return std::nullopt;
  std::copy(head->begin(), head->end(), address.begin());
  std::copy(tail->begin(), tail->end(), address.end() - static_cast<std::ptrdiff_t>(tail->size()));
  return address;
}

/// The harness's own decision on a host as curl's URL parser gives it (IPv6 in brackets).
Loopback loopback_of(std::string_view host) {
  if (host == "localhost") return Loopback::yes;
  if (lower(host) == "localhost") return Loopback::equivalent;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string_view inner = host.substr(1, host.size() - 2);
    inner = inner.substr(0, inner.find('%'));  // a zone id names the interface, not the address
    const auto v6 = parse_ipv6(inner);
    if (!v6) return Loopback::no;
    static constexpr std::array<std::uint16_t, 8> one = {0, 0, 0, 0, 0, 0, 0, 1};
    if (*v6 == one) return Loopback::yes;
    const bool mapped = std::all_of(v6->begin(), v6->begin() + 5, [](std::uint16_t g) { return g == 0; }) &&
                        (*v6)[5] == 0xffff && ((*v6)[6] >> 8U) == 127;
    return mapped ? Loopback::equivalent : Loopback::no;
  }
  const auto v4 = parse_ipv4(host);
  return v4 && (*v4)[0] == 127 ? Loopback::yes : Loopback::no;
}

/// What curl makes of a URL when it is given as CURLOPT_URL or CURLOPT_PROXY (same flags as
/// libcurl's own parse of those), read by curl's URL API; nullopt when curl refuses it.
struct CurlView {
  std::string scheme;
  std::string host;
  bool credentials = false;
};

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

std::optional<CurlView> curl_view(const std::string& url) {
  const std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle) violated("curl_url() failed");
  // c_str(): curl is handed the text up to a NUL, by create() and by send() alike.
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
      CURLUE_OK) {
    return std::nullopt;
  }
  const auto part = [&handle](CURLUPart which) {
    char* text = nullptr;
    std::string value;
    if (curl_url_get(handle.get(), which, &text, 0) == CURLUE_OK && text != nullptr) value = text;
    curl_free(text);
    return value;
  };
  return CurlView{lower(part(CURLUPART_SCHEME)), part(CURLUPART_HOST),
                  !part(CURLUPART_USER).empty() || !part(CURLUPART_PASSWORD).empty()};
}

// ---- Options ----------------------------------------------------------------------------------

/// What the harness wrote into a URL, when it built it from known parts (`labelled`).
struct UrlFacts {
  bool labelled = false;
  std::string scheme;  // lower case, as curl reads it
  Loopback loopback = Loopback::no;
  bool credentials = false;
  bool plain = false;  // every part is one create() must accept
};

struct Host {
  std::string_view text;
  Loopback loopback;
  bool plain;  // a form create() must accept (with https://, or with http:// when loopback)
};

// Loopback forms curl rewrites or decodes ("127.1", "%31", zone ids) are labelled yes without
// being plain: refusing them is allowed.
constexpr std::array<Host, 34> hosts = {{
    {"127.0.0.1", Loopback::yes, true},
    {"localhost", Loopback::yes, true},
    {"[::1]", Loopback::yes, true},
    {"127.255.0.9", Loopback::yes, true},
    {"127.1", Loopback::yes, false},
    {"0x7f.1", Loopback::yes, false},
    {"0177.0.0.1", Loopback::yes, false},
    {"2130706433", Loopback::yes, false},
    {"127.0.0.%31", Loopback::yes, false},
    {"loc%61lhost", Loopback::yes, false},
    {"[0:0:0:0:0:0:0:1]", Loopback::yes, false},
    {"[::1%25lo]", Loopback::yes, false},
    {"[::ffff:127.0.0.1]", Loopback::equivalent, false},
    {"LOCALHOST", Loopback::equivalent, false},
    {"sms.example.com", Loopback::no, true},
    {"10.0.0.1", Loopback::no, true},
    {"128.0.0.1", Loopback::no, false},
    {"126.255.255.255", Loopback::no, false},
    {"127.0.0.1.example.com", Loopback::no, false},
    {"localhost.evil.test", Loopback::no, false},
    {"localhost%2eevil.test", Loopback::no, false},
    {"evil-localhost", Loopback::no, false},
    {"localhost.", Loopback::no, false},
    {"127.0.0.1.", Loopback::no, false},
    {"0.0.0.0", Loopback::no, false},
    {"[::2]", Loopback::no, false},
    {"[::127.0.0.1]", Loopback::no, false},
    {"[::ffff:10.0.0.1]", Loopback::no, false},
    {"[fe80::1]", Loopback::no, false},
    {"ex%C3%A4mple.com", Loopback::no, false},
    {"ex\xc3\xa4mple.com", Loopback::no, false},
    {"127\xe3\x80\x82"
     "0.0.1",
     Loopback::no, false},  // U+3002 ideographic full stop: IDNA maps it to '.'
    {"xn--exmple-cua.com", Loopback::no, false},
    {"", Loopback::no, false},
}};

struct Scheme {
  std::string_view text;
  std::string_view lower;
  bool plain;
};

constexpr std::array<Scheme, 10> schemes = {{
    {"https", "https", true},
    {"http", "http", true},
    {"HTTPS", "https", false},
    {"hTtP", "http", false},
    {"ftp", "ftp", false},
    {"ws", "ws", false},
    {"file", "file", false},
    {"gopher", "gopher", false},
    {"httpx", "httpx", false},
    {"", "", false},
}};

/// URLs whose real host or credentials are not what a glance suggests.
struct Trick {
  std::string_view url;
  Loopback loopback;
  bool credentials;
};

constexpr std::array<Trick, 12> tricks = {{
    {R"(http://127.0.0.1\@evil.test/)", Loopback::no, true},
    {"http://evil.test#@127.0.0.1/", Loopback::no, false},
    {"http://127.0.0.1:80@evil.test/", Loopback::no, true},
    {"http://127.0.0.1?@evil.test/", Loopback::yes, false},
    {"http://localhost/@evil.test", Loopback::yes, false},
    {"http://@localhost/", Loopback::yes, false},
    {"http://evil.test/127.0.0.1", Loopback::no, false},
    {"http://localhost:8080.evil.test/", Loopback::no, false},
    {"http:/127.0.0.1/", Loopback::yes, false},
    {"http://127.0.0.1\0.evil.test/"sv, Loopback::yes, false},  // curl is given the text up to the NUL
    {"http://[::1]:8080\r\nHost: evil.test/", Loopback::yes, false},
    {"http://localhost\t.evil.test/", Loopback::no, false},
}};

std::string structured_url(Input& in, const Secrets& secrets, UrlFacts& facts) {
  static constexpr std::array<std::string_view, 7> ports = {"", ":8080", ":443", ":0", ":65535", ":99999", ":x"};
  const Scheme& scheme = pick(schemes, in.byte());
  const Host& host = pick(hosts, in.byte());
  std::string userinfo;
  switch (in.byte() % 8) {
    case 1:
      userinfo = secrets.url_user + ":" + secrets.url_password + "@";
      facts.credentials = true;
      break;
    case 2:
      userinfo = secrets.url_user + "@";
      facts.credentials = true;
      break;
    case 3:
      userinfo = ":" + secrets.url_password + "@";
      facts.credentials = true;
      break;
    case 4:
      userinfo = "%55" + secrets.url_user.substr(1) + "@";  // the user percent-encoded
      facts.credentials = true;
      break;
    case 5:
      userinfo = "@";  // empty: no credentials, but not a form create() must take
      break;
    default:
      break;
  }
  const std::size_t port = in.byte() % ports.size();
  std::string path;
  bool plain_path = true;
  switch (in.byte() % 8) {
    case 1:
      path = "/hooks/" + secrets.path;
      break;
    case 2:
      path = "/send?token=" + secrets.path;
      break;
    case 3:
      break;
    case 4:
      path = "/#frag";
      break;
    case 5:
      path = "/a b";
      plain_path = false;
      break;
    case 6:
      path = "/" + in.text(12);
      plain_path = false;
      break;
    default:
      path = "/send";
  }
  facts.labelled = true;
  facts.scheme = scheme.lower;
  facts.loopback = host.loopback;
  facts.plain = scheme.plain && host.plain && userinfo.empty() && port < 3 && plain_path &&
                (scheme.lower == "https" || host.loopback == Loopback::yes);
  return std::string(scheme.text) + "://" + userinfo + std::string(host.text) + std::string(ports.at(port)) + path;
}

std::string make_url(Input& in, const Secrets& secrets, UrlFacts& facts) {
  switch (in.byte() % 8) {
    case 3: {
      const Trick& trick = pick(tricks, in.byte());
      facts = {true, "http", trick.loopback, trick.credentials, false};
      return std::string(trick.url);
    }
    case 4:
      return in.text(64);  // unlabelled: only curl's reading and the harness's decision judge it
    case 5:
      return std::string(pick(schemes, in.byte()).text) + "://" + in.text(32);
    case 6:
    case 7: {
      static constexpr std::array<Trick, 5> good = {{{"https://sms.example.com/send", Loopback::no, false},
                                                     {"http://127.0.0.1:8080/hook", Loopback::yes, false},
                                                     {"http://localhost/sms", Loopback::yes, false},
                                                     {"http://[::1]:9000/", Loopback::yes, false},
                                                     {"https://10.0.0.1/hooks/", Loopback::no, false}}};
      const Trick& url = pick(good, in.byte());
      facts = {true, std::string(url.url.substr(0, url.url.find(':'))), url.loopback, false, true};
      return std::string(url.url) + (url.url.back() == '/' ? secrets.path : "");
    }
    default:
      return structured_url(in, secrets, facts);
  }
}

std::string make_proxy(Input& in, const Secrets& secrets, UrlFacts& facts) {
  facts.labelled = true;
  switch (in.byte() % 12) {
    case 1:
      facts.plain = true;
      return "http://proxy.example.com:3128";
    case 2:
      facts.plain = true;
      return "https://proxy.example.com";
    case 3:
      facts.loopback = Loopback::yes;
      return "http://127.0.0.1:3128";
    case 4:
      facts.credentials = true;
      return "http://" + secrets.proxy_user + ":" + secrets.proxy_password + "@proxy.example.com:3128";
    case 5:
      facts.credentials = true;
      facts.loopback = Loopback::yes;
      return "socks5h://" + secrets.proxy_user + "@127.0.0.1:1080";
    case 6:
      return "proxy.example.com:3128";
    case 7:
      facts.labelled = false;
      return in.text(40);
    case 8:
      // Not documented proxy schemes: only http:// and https:// are.
      facts.scheme = std::array<const char*, 4>{"socks5", "socks4", "ftp", "gopher"}[in.byte() % 4];
      return facts.scheme + "://proxy.example.com:1080";
    case 9:
      facts.loopback = Loopback::yes;
      return "http://[::1]:3128";
    case 10:
      facts.credentials = true;
      return "http://:" + secrets.proxy_password + "@proxy.example.com:3128";
    default:
      facts.plain = true;
      return {};
  }
}

/// The options plus what the harness knows of them.
struct Config {
  HttpOptions options;
  Secrets secrets;
  UrlFacts url;
  UrlFacts proxy;
  bool known_good = true;  // every choice is one the documented rules accept
};

constexpr std::string_view system_bundle = "/etc/ssl/certs/ca-certificates.crt";

/// A readable regular file, by the harness's own look (the bundle may be missing on a machine).
bool readable_file(std::string_view path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(std::string(path)), ec)) return false;
  std::FILE* file = std::fopen(std::string(path).c_str(), "rb");
  if (file == nullptr) return false;
  static_cast<void>(std::fclose(file));
  return true;
}

std::string make_ca_bundle_path(Input& in, bool& known_good) {
  // Fixed paths only: a fuzz-chosen one would make the harness probe the file system at random.
  const std::uint8_t choice = in.byte() % 16;
  std::string path;
  switch (choice) {
    case 8:
      path = system_bundle;
      break;
    case 9:
      path = "/nonexistent/reverify-fuzz/ca.pem";
      break;
    case 10:
      path = std::string(system_bundle) + "\nX-Injected: 1";
      break;
    case 11:
      path = "/nonexistent/ca.pem\r\nsecond line";
      break;
    case 12:
      path = std::string(system_bundle) + std::string(1, '\0') + "tail";
      break;
    case 13:
      path = std::string(system_bundle) + "\t";
      break;
    case 14:
      path = "/etc/ssl/certs";
      break;
    case 15:
      path = "/nonexistent/\x1b[31mred";
      break;
    default:
      return {};
  }
  known_good = known_good && choice == 8 && readable_file(path);
  return path;
}

SecretString make_bearer(Input& in, const std::string& token_text, bool& known_good) {
  switch (in.byte() % 10) {
    case 1:
    case 2:
      return SecretString(token_text);
    case 3:
      known_good = false;
      return SecretString(token_text + "\r\nX-Evil: 1");
    case 4:
      known_good = false;
      return SecretString("Bearer " + token_text);
    case 5:
      known_good = false;
      return SecretString(token_text + "\t");
    case 6:
      known_good = false;
      return SecretString(token_text + std::string(1, '\0') + "x");
    case 7:
      known_good = false;
      return SecretString(token_text + "\xc3\xa9");
    case 8:
      known_good = false;
      return SecretString(token_text + "\x7f");
    default:
      return {};
  }
}

SecretString make_hmac(Input& in, const std::string& token_text, bool& known_good) {
  switch (in.byte() % 8) {
    case 1:
    case 2:
      return SecretString(token_text + "-webhook-signing");
    case 3:
      known_good = false;
      return SecretString(token_text);  // 10 bytes: under the documented 16
    case 4:
      known_good = false;
      return SecretString(token_text + "-wxyz");  // 15
    case 5:
      return SecretString(token_text + "-wxyzq");  // 16
    case 6:
      return SecretString(token_text + std::string(1, '\0') + "\r\n\xff\x80 binary key");
    default:
      return {};
  }
}

std::chrono::milliseconds make_timeout(Input& in, bool& known_good) {
  using ms = std::chrono::milliseconds;
  switch (in.byte() % 10) {
    case 1:
      return ms(1);
    case 2:
      return ms(std::numeric_limits<ms::rep>::max());
    case 3:
      known_good = false;
      return ms(0);
    case 4:
      known_good = false;
      return ms(-1);
    case 5:
      known_good = false;
      return ms(std::numeric_limits<ms::rep>::min());
    case 6: {
      const auto value = static_cast<ms::rep>(in.u64());
      known_good = known_good && value > 0;
      return ms(value);
    }
    default:
      return ms(5'000);
  }
}

Config make_config(Input& in) {
  Config config;
  Secrets& secrets = config.secrets;
  secrets = {hex_token(in, "Tk"), hex_token(in, "Hm"), hex_token(in, "Uu"), hex_token(in, "Up"),
             hex_token(in, "Xu"), hex_token(in, "Xp"), hex_token(in, "Qt")};
  HttpOptions& options = config.options;
  options.url = make_url(in, secrets, config.url);
  options.proxy = make_proxy(in, secrets, config.proxy);
  const std::uint8_t channels = in.byte();
  options.channels = channels % 8 == 7 ? static_cast<ChannelFilter>(in.byte())  // maybe out of range
                                       : static_cast<ChannelFilter>(1 + channels % 3);
  const bool channels_valid = channels % 8 != 7;
  bool known_good = channels_valid;
  options.bearer_token = make_bearer(in, secrets.bearer, known_good);
  options.hmac_secret = make_hmac(in, secrets.hmac, known_good);
  options.connect_timeout = make_timeout(in, known_good);
  options.total_timeout = make_timeout(in, known_good);
  options.ca_bundle_path = make_ca_bundle_path(in, known_good);
  // A proxy is known good only for https://: an http:// request would reach the proxy in clear.
  const bool proxy_good =
      options.proxy.empty() || (config.proxy.plain && config.url.labelled && config.url.scheme == "https");
  config.known_good = known_good && config.url.labelled && config.url.plain && proxy_good;
  return config;
}

// ---- create() ---------------------------------------------------------------------------------

/// What create() may accept, by the documented rules: checked when it did.
void check_accepted(const Config& config) {
  const HttpOptions& options = config.options;
  const auto url = curl_view(options.url);
  if (!url) violated("create accepted a url curl refuses", options.url);
  if (url->credentials || (config.url.labelled && config.url.credentials)) {
    violated("create accepted credentials in the url", options.url);
  }
  const bool clear = url->scheme == "http";
  if (!clear && url->scheme != "https") violated("create accepted a scheme other than https and http", options.url);
  if (config.url.labelled && config.url.scheme != "https" && config.url.scheme != "http") {
    violated("create accepted a url written with another scheme", options.url);
  }
  if (clear) {
    // Two independent readings: the harness's label of the host it wrote, and its own decision
    // on the host curl extracts (the one curl connects to).
    if (loopback_of(url->host) == Loopback::no)
      violated("create accepted http:// to a host that is not loopback", url->host);
    if (config.url.labelled && config.url.loopback == Loopback::no) {
      violated("create accepted http:// to a host labelled not loopback", options.url);
    }
  }
  if (!options.proxy.empty()) {
    const auto proxy = curl_view(options.proxy);
    if (!proxy) violated("create accepted a proxy curl refuses", options.proxy);
    if (proxy->credentials || (config.proxy.labelled && config.proxy.credentials)) {
      violated("create accepted credentials in the proxy url", options.proxy);
    }
    // curl hands an http:// request to the proxy as it is, so the documented rule is no proxy at
    // all with an http:// url (even a loopback proxy may forward it anywhere).
    if (clear) violated("create accepted a proxy for an http:// url", options.url + " via " + options.proxy);
    const auto documented = [](const std::string& scheme) { return scheme == "http" || scheme == "https"; };
    if (!documented(proxy->scheme) ||
        (config.proxy.labelled && !config.proxy.scheme.empty() && !documented(config.proxy.scheme))) {
      violated("create accepted a proxy scheme other than http and https", options.proxy);
    }
  }
  if (options.channels != ChannelFilter::both && options.channels != ChannelFilter::email_only &&
      options.channels != ChannelFilter::sms_only) {
    violated("create accepted a channels value outside ChannelFilter");
  }
  if (has_control(options.bearer_token.reveal())) violated("create accepted a bearer token with a control character");
  if (!options.hmac_secret.empty() && options.hmac_secret.size() < 16) {
    violated("create accepted an HMAC secret under 16 bytes");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    violated("create accepted a timeout that is not positive");
  }
  if (!options.ca_bundle_path.empty()) {
    // What curl is given: the text up to a NUL.
    if (!readable_file(options.ca_bundle_path.c_str())) {
      violated("create accepted a ca_bundle_path that is not a readable regular file", options.ca_bundle_path);
    }
  }
}

void create(const Config& config) {
  std::optional<reverify::Result<std::shared_ptr<HttpSender>>> created;
  try {
    created.emplace(HttpSender::create(config.options));
  } catch (...) {
    violated("create threw");
  }
  if (*created) {
    if (!**created) violated("create returned a null sender");
    check_accepted(config);
    return;
  }
  const reverify::Error& error = created->error();
  if (error != Errc::invalid_configuration) violated("create failed with another code", error.message());
  if (!one_printable_line(error.message())) violated("a create error that is not one printable line", error.message());
  if (const auto secret = config.secrets.found_in(error.message())) violated("a secret in a create error", *secret);
  if (config.known_good) violated("create refused good options", config.options.url + " | " + error.message());
}

// ---- Messages ---------------------------------------------------------------------------------

/// Text from up to `max_parts` pieces: fuzz bytes, JSON metacharacters and escapes, control bytes,
/// NUL, valid non-ASCII characters and invalid UTF-8 sequences.
std::string pieces(Input& in, std::size_t max_parts) {
  static constexpr std::array<std::string_view, 20> json = {
      "\"",   "\\",        R"(\")", R"(\u0000)", R"(",)",   R"("code":"1")", "}",
      "{",    "</script>", "/",     "\0"sv,      "\x01",    "\x1f",          "\x7f",
      "\r\n", "\t",        "\b",    "\x0c",      "\x1b[0m", "\\\\"};
  static constexpr std::array<std::string_view, 8> non_ascii = {"\xc3\xa9",         "\xe2\x80\xa8",    "\xe2\x80\xa9",
                                                                "\xf0\x9f\x98\x80", "\xef\xbf\xbf",    "\xef\xbb\xbf",
                                                                "\xc2\x80",         "\xf4\x8f\xbf\xbf"};
  static constexpr std::array<std::string_view, 14> invalid = {"\x80",
                                                               "\xbf",
                                                               "\xc0\xaf",
                                                               "\xc1\xbf",
                                                               "\xe0\x80\xaf",
                                                               "\xed\xa0\x80",
                                                               "\xed\xbf\xbf",
                                                               "\xf4\x90\x80\x80",
                                                               "\xf5\x80\x80\x80",
                                                               "\xf8\x88\x80\x80\x80",
                                                               "\xff",
                                                               "\xe2\x82",
                                                               "\xf0\x9f\x98",
                                                               "\xc3"};
  std::string out;
  for (std::size_t n = in.byte() % (max_parts + 1); n > 0; --n) {
    switch (in.byte() % 8) {
      case 1:
      case 2:
        out += pick(json, in.byte());
        break;
      case 3:
        out += pick(non_ascii, in.byte());
        break;
      case 4:
        out += pick(invalid, in.byte());
        break;
      case 5:
        out += "alice@example.com";
        break;
      default:
        out += in.text(8);
    }
  }
  return out;
}

std::string recipient(Input& in) {
  switch (in.byte() % 8) {
    case 1:
      return "+15551234567";
    case 2:
      return in.text(40);
    case 3:
    case 4:
      return pieces(in, 8);
    case 5: {
      std::string out = "alice@example.com";
      const std::size_t at = in.byte() % (out.size() + 1);
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(in.byte()));
      return out;
    }
    case 6: {
      // Long: each byte of the run may need a six-byte escape.
      const std::string unit = pieces(in, 2);
      std::string out;
      for (std::size_t n = std::size_t{4} * in.byte(); n > 0 && out.size() < 4096; --n) out += unit;
      return out;
    }
    default:
      return "alice@example.com";
  }
}

/// A code, and whether it is one an error could not hold by chance (six or more digits).
std::pair<std::string, bool> code(Input& in) {
  switch (in.byte() % 8) {
    case 1:
      return {in.text(12), false};
    case 2:
      return {pieces(in, 4), false};
    case 3: {
      std::string out;
      for (std::size_t n = in.byte() % 6; n > 0; --n) out.push_back(static_cast<char>('0' + in.byte() % 10));
      return {out, false};
    }
    default: {
      std::string out;
      for (std::size_t n = 6 + in.byte() % 7; n > 0; --n) out.push_back(static_cast<char>('0' + in.byte() % 10));
      return {out, true};
    }
  }
}

std::string record_id(Input& in) {
  static constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  switch (in.byte() % 4) {
    case 1:
      return pieces(in, 4);
    case 2:
      return {};
    default: {
      std::string out;
      for (int i = 0; i < 21; ++i) out.push_back(alphabet[in.byte() % alphabet.size()]);
      return out;
    }
  }
}

Timestamp at_ms(std::int64_t ms) { return reverify::from_unix_ms(ms); }

/// `t` moved by `step` ms, wrapping: far-off times near both ends are wanted, and a signed
/// overflow would be undefined.
Timestamp moved(Timestamp t, std::int64_t step) {
  return at_ms(static_cast<std::int64_t>(static_cast<std::uint64_t>(reverify::to_unix_ms(t)) +
                                         static_cast<std::uint64_t>(step)));
}

Timestamp expiry(Input& in, Timestamp sent) {
  // Year 9999's last millisecond and year 10000's first; year 0's first and the one before it.
  static constexpr std::array<std::int64_t, 8> edges = {
      253'402'300'799'999, 253'402'300'800'000, -62'167'219'200'000, -62'167'219'200'001, 0, -1,
      951'782'400'000,     4'107'542'400'000};  // 2000-02-29 and 2100-03-01
  switch (in.byte() % 8) {
    case 1:
      return Timestamp::min();
    case 2:
      return Timestamp::max();
    case 3:
      return at_ms(static_cast<std::int64_t>(in.u64()));
    case 4:
      return at_ms(pick(edges, in.byte()));
    case 5:
      return moved(sent, static_cast<std::int32_t>(in.u64()));
    default:
      return moved(sent, 600'000);
  }
}

/// The message and whether its code is distinctive.
std::pair<CodeMessage, bool> message(Input& in) {
  CodeMessage out;
  const std::uint8_t channel = in.byte();
  out.channel = channel % 8 == 7 ? static_cast<IdentifierType>(in.byte())
                                 : (channel % 2 == 0 ? IdentifierType::email : IdentifierType::phone);
  out.to = recipient(in);
  auto [code_text, distinctive] = code(in);
  out.code = SecretString(code_text);
  const std::uint8_t type = in.byte();
  out.template_type = type % 8 == 7 ? static_cast<TemplateType>(in.byte()) : static_cast<TemplateType>(1 + type % 3);
  out.record_id = record_id(in);
  out.user_id = in.byte() % 4 == 3 ? pieces(in, 4) : "user-1";
  out.sent_at = in.byte() % 4 == 3 ? at_ms(static_cast<std::int64_t>(in.u64())) : at_ms(1'700'000'000'000);
  out.code_expires_at = expiry(in, out.sent_at);
  return {std::move(out), distinctive};
}

// ---- JSON -------------------------------------------------------------------------------------

using Members = std::vector<std::pair<std::string, std::string>>;

/// A strict RFC 8259 reader for one object whose values are strings (all that to_json writes).
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  /// The members in order, or nullopt with `why()`.
  std::optional<Members> object() {
    Members members;
    if (!expect('{')) return std::nullopt;
    skip_space();
    if (peek() == '}') {
      ++at_;
    } else {
      while (true) {
        std::string key;
        std::string value;
        if (!string(key) || !expect(':') || !string(value)) return std::nullopt;
        members.emplace_back(std::move(key), std::move(value));
        skip_space();
        if (peek() == ',') {
          ++at_;
          continue;
        }
        if (!expect('}')) return std::nullopt;
        break;
      }
    }
    skip_space();
    if (at_ != text_.size()) {
      why_ = "text after the object";
      return std::nullopt;
    }
    return members;
  }

  [[nodiscard]] const char* why() const { return why_; }

 private:
  bool fail(const char* why) {
    why_ = why;
    return false;
  }
  [[nodiscard]] int peek() const { return at_ < text_.size() ? static_cast<unsigned char>(text_[at_]) : -1; }
  void skip_space() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++at_;
  }
  bool expect(char c) {
    skip_space();
    if (peek() != static_cast<unsigned char>(c))
      return fail("a missing structural character or a value that is not a string");
    ++at_;
    return true;
  }
  std::optional<std::uint32_t> hex4() {
    if (text_.size() - at_ < 4) return std::nullopt;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hex_value(text_[at_++]);
      if (digit < 0) return std::nullopt;
      value = value * 16 + static_cast<std::uint32_t>(digit);
    }
    return value;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0U | (cp >> 6U)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0U | (cp >> 12U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
    } else {
      out.push_back(static_cast<char>(0xf0U | (cp >> 18U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3fU)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
    }
  }
  /// Section 7: no raw byte below 0x20, only the listed escapes, \u surrogates in pairs. The text
  /// was checked to be UTF-8 as a whole, so other bytes are copied.
  bool string(std::string& out) {
    if (!expect('"')) return false;
    while (true) {
      if (at_ >= text_.size()) return fail("an unterminated string");
      const char c = text_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("a raw control character in a string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_ >= text_.size()) return fail("an unterminated escape");
      const char e = text_[at_++];
      static constexpr std::string_view simple = "\"\\/bfnrt";
      static constexpr std::string_view meaning = "\"\\/\b\f\n\r\t";
      if (const std::size_t k = simple.find(e); k != std::string_view::npos) {
        out.push_back(meaning[k]);
        continue;
      }
      if (e != 'u') return fail("an unknown escape");
      auto cp = hex4();
      if (!cp) return fail("a bad \\u escape");
      if (*cp >= 0xdc00 && *cp <= 0xdfff) return fail("a lone low surrogate");
      if (*cp >= 0xd800 && *cp <= 0xdbff) {
        if (text_.substr(at_, 2) != "\\u") return fail("a lone high surrogate");
        at_ += 2;
        const auto low = hex4();
        if (!low || *low < 0xdc00 || *low > 0xdfff) return fail("a high surrogate without its low half");
        cp = 0x10000 + ((*cp - 0xd800) << 10U) + (*low - 0xdc00);
      }
      append_utf8(out, *cp);
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
  const char* why_ = "malformed JSON";
};

/// expiresAt names code_expires_at to the millisecond, in to_iso8601's form (read back by
/// tests/support/iso8601_reading.hpp).
void check_expires_at(std::string_view text, Timestamp expected) {
  const std::int64_t ms = reverify::to_unix_ms(expected);
  if (const char* why = reverify::test::iso8601_mismatch(text, ms)) {
    violated(why, "expiresAt " + std::string(text) + " | ms " + std::to_string(ms));
  }
}

std::optional<std::string_view> logto_name(TemplateType type) {
  switch (type) {
    case TemplateType::user_permission_validation:
      return "UserPermissionValidation";
    case TemplateType::bind_new_identifier:
      return "BindNewIdentifier";
    case TemplateType::bind_mfa:
      return "BindMfa";
  }
  return std::nullopt;
}

#ifdef REVERIFY_FUZZ_HAVE_NLOHMANN_JSON
/// A second, independent reader: nlohmann_json must read the same members.
void cross_check(std::string_view body, const Members& members) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& error) {
    violated("nlohmann_json refused the body", error.what());
  }
  if (!parsed.is_object() || parsed.size() != members.size()) violated("nlohmann_json read another object", body);
  for (const auto& [key, value] : members) {
    const auto found = parsed.find(key);
    if (found == parsed.end() || !found->is_string() || found->get<std::string>() != value) {
      violated("nlohmann_json read another member", key);
    }
  }
}
#endif

void check_body(std::string_view body, const CodeMessage& sent) {
  if (!valid_utf8(body)) violated("a JSON body that is not UTF-8", body);
  if (has_control(body)) violated("a raw control character in the JSON body", body);
  JsonReader reader(body);
  const auto members = reader.object();
  if (!members) violated(reader.why(), body);
#ifdef REVERIFY_FUZZ_HAVE_NLOHMANN_JSON
  cross_check(body, *members);
#endif
  static constexpr std::array<std::string_view, 6> keys = {"channel",  "to", "code", "template", "verificationRecordId",
                                                           "expiresAt"};
  if (members->size() != keys.size()) violated("a JSON body without exactly the six keys", body);
  const auto value = [&members, body](std::string_view key) -> const std::string& {
    const auto found = std::find_if(members->begin(), members->end(), [key](const auto& m) { return m.first == key; });
    if (found == members->end()) violated("a JSON body without a key", key);
    if (std::count_if(members->begin(), members->end(), [key](const auto& m) { return m.first == key; }) != 1) {
      violated("a duplicate key in the JSON body", body);
    }
    return found->second;
  };
  // Only messages of known channel and template get here (to_json refuses the others).
  const std::string& channel = value("channel");
  if (channel != (sent.channel == IdentifierType::phone ? "sms" : "email")) violated("a wrong channel", channel);
  if (value("to") != sent.to) violated("a \"to\" that does not decode to the recipient", body);
  if (value("code") != sent.code.reveal()) violated("a \"code\" that does not decode to the code", body);
  const std::string& name = value("template");
  if (name != logto_name(sent.template_type).value_or("")) {
    violated("a template that is not Logto's name of the type", name);
  }
  if (value("verificationRecordId") != sent.record_id)
    violated("a verificationRecordId that is not the record id", body);
  check_expires_at(value("expiresAt"), sent.code_expires_at);
}

void to_json(const CodeMessage& sent, bool distinctive_code) {
  std::optional<reverify::Result<SecretString>> body;
  try {
    body.emplace(HttpSender::to_json(sent));
  } catch (...) {
    violated("to_json threw");
  }
  const bool named = (sent.channel == IdentifierType::email || sent.channel == IdentifierType::phone) &&
                     logto_name(sent.template_type).has_value();
  const bool valid = named && valid_utf8(sent.to) && valid_utf8(sent.code.reveal()) && valid_utf8(sent.record_id);
  if (*body) {
    if (!named) violated("to_json accepted a channel or template outside its enum");
    if (!valid) violated("to_json accepted a field that is not UTF-8", sent.to + " | " + sent.record_id);
    check_body((*body)->reveal(), sent);
    return;
  }
  const reverify::Error& error = body->error();
  if (error != Errc::invalid_input) violated("to_json failed with another code", error.message());
  if (valid) violated("to_json refused a message of valid UTF-8 and known enums", error.message());
  if (!one_printable_line(error.message())) violated("a to_json error that is not one printable line", error.message());
  if (distinctive_code && contains(error.message(), sent.code.reveal())) violated("the code in a to_json error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  create(make_config(in));
  // to_json is static: messages are checked whatever create() said, several per input.
  for (int i = 0; i < 4 && (i == 0 || !in.done()); ++i) {
    const auto [sent, distinctive] = message(in);
    to_json(sent, distinctive);
  }
  return 0;
}
