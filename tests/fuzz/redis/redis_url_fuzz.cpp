// Fuzzes the Redis URL parser (src/redis/redis_url.cpp), which reads an operator's
// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] and must refuse anything else without echoing it: the
// URL may hold a password, and the error ends up in logs. Inputs are raw bytes, or URLs built from
// fuzz-chosen parts (scheme, user, a made-up password, host, port, database, separators) so that
// the accepting paths are reached as often as the refusals. Checked:
// - nothing throws; an error is invalid_configuration with one of the parser's fixed messages,
//   which never holds the URL, its user or its password;
// - an accepted URL gives a host that is a name (letters, digits, '-', '.', '_') or a bracketed
//   IPv6 address (its zone after "%25" or a bare '%', held as ADDRESS%ZONE), a port in 1..65535,
//   a database in 0..1000000, and the user and password as the URL wrote them once
//   percent-decoded (by the harness's own decoder), never a user without a password; a '%'
//   starting no %XX escape in them is refused;
// - a URL built only from well-formed parts is accepted, as exactly those parts;
// - an accepted endpoint written back as a URL, in full and in its shortest form, parses to itself.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "fuzz_text.hpp"
#include "redis/redis_url.hpp"

namespace {

using reverify::test::escaped;

using reverify::redis::detail::Endpoint;

constexpr std::string_view scheme = "redis://";
constexpr int default_port = 6379;
constexpr int max_database = 1'000'000;  // the parser's bound

// Every message the parser may give: the fixed prefix and one reason.
constexpr std::string_view message_prefix =
    "redis connect: bad URL (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]): ";
constexpr std::array<std::string_view, 12> message_reasons = {
    "a '%' in the user or password must start a %XX escape",
    "rediss:// (TLS) is not supported; use redis://",
    "the scheme must be redis://",
    "the database must be a number from 0 to 1000000",
    "a user needs a password",
    "unclosed [ in the host",
    "only :PORT may follow ]",
    "no host",
    "the host in [ ] must be an IPv6 address",
    "an IPv6 address must be in [ ]",
    "the host may hold only letters, digits, '-', '.' and '_'",
    "the port must be a number from 1 to 65535"};

[[noreturn]] void violated(const char* what, std::string_view url) {
  // Unlike an operator's, these URLs are made up (the password is a fuzz token), and a replay run
  // saves no input: the URL is printed so that a failure can be reproduced.
  static_cast<void>(std::fprintf(stderr, "redis_url_fuzz: %s: \"%s\"\n", what, escaped(url).c_str()));
  std::abort();
}

using Input = reverify::test::FuzzInput;

bool has_any(std::string_view text, std::string_view chars) {
  return text.find_first_of(chars) != std::string_view::npos;
}

bool only(std::string_view text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view name_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

/// The grammar's hosts, written out independently of the parser: a name or IPv4 address of
/// letters, digits, '-', '.' and '_'; or (between brackets) an IPv6 address as inet_pton reads
/// one, with an optional zone naming an interface. `is_ipv6` reads a host as the endpoint holds
/// it (ADDRESS%ZONE).
bool is_name(std::string_view host) { return !host.empty() && only(host, name_chars); }

bool is_ipv6(std::string_view host) {
  const auto percent = host.find('%');
  const std::string address(host.substr(0, percent));
  in6_addr parsed{};
  // inet_pton stops at a NUL, which hiredis would too: "::1\0junk" is not an address.
  if (address.find('\0') != std::string::npos || ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return false;
  return percent == std::string_view::npos || is_name(host.substr(percent + 1));
}

/// What the URL's bracketed text makes: the zone follows "%25" (RFC 6874) or a bare '%', the
/// former whenever the text after the '%' starts with "25".
std::optional<std::string> expected_ipv6(std::string_view inside) {
  const auto percent = inside.find('%');
  if (percent == std::string_view::npos) return is_ipv6(inside) ? std::optional<std::string>(inside) : std::nullopt;
  const std::string_view after = inside.substr(percent + 1);
  const std::string_view zone = after.substr(0, 2) == "25" ? after.substr(2) : after;
  std::string host(inside.substr(0, percent));
  host += '%';
  host += zone;
  return is_ipv6(host) ? std::optional<std::string>(host) : std::nullopt;
}

/// A URL made of fuzz-chosen parts; `expected` is set when every part is well formed, so the
/// grammar alone says what the parser must make of it.
struct BuiltUrl {
  std::string url;
  std::string user;           // decoded, as the endpoint must hold it
  std::string password;       // likewise
  std::string password_text;  // as written in the URL, escapes and all
  std::optional<Endpoint> expected;
};

char hex_digit(unsigned value, bool upper) { return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[value & 0xfU]; }

/// `value` as URL text: '%' and the bytes in `must` always escaped, others now and then (either
/// case of hex digits); now and then a broken escape, which makes the URL not well formed.
std::string encode(Input& in, std::string_view value, std::string_view must, bool& well_formed) {
  std::string out;
  for (const char c : value) {
    const std::uint8_t choice = in.byte();
    if (c == '%' || must.find(c) != std::string_view::npos || choice % 4 == 0) {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex_digit(byte >> 4U, choice % 8 < 4);
      out += hex_digit(byte, choice % 8 < 4);
    } else {
      out += c;
    }
  }
  if (in.byte() % 16 == 0) {
    constexpr std::array<std::string_view, 4> broken = {"%", "%4", "%G1", "%zz"};
    out += broken[in.byte() % broken.size()];
    well_formed = false;
  }
  return out;
}

/// RFC 3986 percent-decoding, written apart from the parser's; nullopt for a broken escape.
std::optional<std::string> decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const std::string_view hex = text.substr(i + 1, 2);
    if (hex.size() != 2 || !std::all_of(hex.begin(), hex.end(),
                                        [](char h) { return std::isxdigit(static_cast<unsigned char>(h)) != 0; })) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(std::string(hex), nullptr, 16));
    i += 2;
  }
  return out;
}

/// Mostly the grammar's separator; now and then one that confuses it.
std::string separator(Input& in, std::string_view canonical, bool& well_formed) {
  constexpr std::array<std::string_view, 8> others = {"", "/", ":", "@", "[", "]", "::", "%40"};
  const std::uint8_t choice = in.byte();
  const std::string_view chosen = choice % 8 == 7 ? others[(choice / 8) % others.size()] : canonical;
  if (chosen != canonical) well_formed = false;
  return std::string(chosen);
}

/// "Pw~" and fuzz-chosen characters, the URL's separators among them: no fixed message holds
/// '~', so finding the token in a message can only mean the password was echoed.
std::string password_token(Input& in) { return "Pw~" + in.word("abcdefghijklmnopqrstuvwxyz0123456789XYZ@:/[]%!~", 12); }

std::string user_choice(Input& in) {
  switch (in.byte() % 4) {
    case 0:
      return "default";
    case 1:
      return "";
    case 2:
      return "Us~" + in.word("abcdefghijklmnopqrstuvwxyz0123456789-_.@:/", 10);
    default:
      return in.text(12);
  }
}

std::string password_choice(Input& in) {
  switch (in.byte() % 4) {
    case 0:
    case 1:
      return password_token(in);
    case 2:
      return "";
    default:
      return in.text(16);
  }
}

std::string host_choice(Input& in) {
  switch (in.byte() % 8) {
    case 0:
      return "localhost";
    case 1:
      return "127.0.0.1";
    case 2:
      return "[::1]";
    case 3:
      return "[" + in.word("0123456789abcdef:.%", 16) + "]";
    case 4:
      // A zone as RFC 6874 writes it, as ip(8) does, or an interface whose name starts with 25.
      return "[fe80::" + in.word("0123456789abcdef", 4) + (in.byte() % 2 == 0 ? "%25" : "%") +
             in.word("25eth0_.-%", 6) + "]";
    case 5:
      return in.word("abcdefghijklmnopqrstuvwxyz0123456789-._", 16);
    case 6: {
      // Separators, spaces and control bytes, NUL among them: none belongs in a host.
      constexpr std::string_view odd("a0.:[]@/% \t\n\x7f\0", 14);
      return in.word(odd, 12);
    }
    default:
      return in.text(16);
  }
}

/// A number's text as the grammar has it: 1 to 7 digits, no sign, at most `high`.
std::optional<int> plain_number(std::string_view text, int high) {
  if (text.empty() || text.size() > 7 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int value = std::stoi(std::string(text));
  return value <= high ? std::optional<int>(value) : std::nullopt;
}

std::string port_text(Input& in) {
  constexpr std::array<std::string_view, 8> edges = {"0", "65535", "65536", "06379", "-1", "+1", "", " 1"};
  switch (in.byte() % 3) {
    case 0: {
      const int high = in.byte();
      const int low = in.byte();
      return std::to_string(1 + (high << 8 | low));  // 1..65536
    }
    case 1:
      return std::string(edges[in.byte() % edges.size()]);
    default:
      return in.text(6);
  }
}

std::string database_text(Input& in) {
  constexpr std::array<std::string_view, 8> edges = {"0", "15", "1000000", "1000001", "-0", "-1", "007", "1/2"};
  switch (in.byte() % 3) {
    case 0: {
      int value = 0;
      for (int i = 0; i < 3; ++i) value = value << 8 | in.byte();
      return std::to_string(value % (max_database + 2));  // 0..1000001
    }
    case 1:
      return std::string(edges[in.byte() % edges.size()]);
    default:
      return in.text(8);
  }
}

/// What the grammar makes of a HOST (or [HOST]) part, when it is well formed.
std::optional<std::string> expected_host(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    if (text.size() < 2 || text.back() != ']') return std::nullopt;
    const std::string_view inside = text.substr(1, text.size() - 2);
    return expected_ipv6(inside);
  }
  return is_name(text) ? std::optional<std::string>(text) : std::nullopt;
}

BuiltUrl build_url(Input& in) {
  BuiltUrl built;
  Endpoint expected;
  std::string url;
  switch (in.byte() % 16) {
    case 5:
      url = "rediss://";
      break;
    case 6:
      url = "REDIS://";
      break;
    case 7:
      url = in.text(10);
      break;
    default:
      url = scheme;
  }
  bool well_formed = url == scheme;

  // Credentials: USER:PASSWORD@, :PASSWORD@, PASSWORD@ or none. The parser splits them at the
  // last '@' and the first ':', so a password may hold '@' and ':' as they are, a user neither,
  // and neither '/': those are written escaped.
  const std::uint8_t form = in.byte() % 5;
  if (form >= 2) {
    if (form == 2) built.user = user_choice(in);
    built.password = password_choice(in);
    if (form == 2) url += encode(in, built.user, ":/@", well_formed) + separator(in, ":", well_formed);
    if (form == 3) url += separator(in, ":", well_formed);
    built.password_text = encode(in, built.password, form == 4 ? ":/" : "/", well_formed);
    url += built.password_text + separator(in, "@", well_formed);
    if (!built.user.empty() && built.password.empty()) well_formed = false;
    expected.user = built.user;
    expected.password = built.password;
  }

  const std::string host = host_choice(in);
  url += host;
  if (const auto name = expected_host(host)) {
    expected.host = *name;
  } else {
    well_formed = false;
  }

  if (in.byte() % 2 == 1) {
    url += separator(in, ":", well_formed);
    const std::string port = port_text(in);
    url += port;
    const auto number = plain_number(port, 65535);
    if (!number || *number == 0) well_formed = false;
    expected.port = number.value_or(0);
  }
  if (in.byte() % 2 == 1) {
    url += separator(in, "/", well_formed);
    const std::string database = in.byte() % 4 == 0 ? std::string() : database_text(in);
    url += database;
    const auto number = database.empty() ? std::optional<int>(0) : plain_number(database, max_database);
    if (!number) well_formed = false;
    expected.database = number.value_or(0);
  }
  if (in.byte() % 8 == 0) {
    const std::string tail = in.text(8);
    if (!tail.empty()) well_formed = false;
    url += tail;
  }

  built.url = std::move(url);
  if (well_formed) built.expected = std::move(expected);
  return built;
}

bool same(const Endpoint& a, const Endpoint& b) {
  return a.host == b.host && a.port == b.port && a.database == b.database && a.user == b.user &&
         a.password == b.password;
}

/// Parses, turning an exception (which the parser must never throw) into a violation.
reverify::Result<Endpoint> parse(std::string_view url) {
  try {
    return reverify::redis::detail::parse_url(url);
  } catch (...) {
    violated("parse_url threw", url);
  }
}

/// Whether `part` shows up in a message although no fixed message holds it (a tiny user such as
/// "a" is in every one: finding it proves nothing).
bool echoed(const std::string& message, std::string_view part) {
  if (part.empty() || message.find(part) == std::string::npos) return false;
  return std::none_of(message_reasons.begin(), message_reasons.end(), [part](std::string_view reason) {
    return (std::string(message_prefix) + std::string(reason)).find(part) != std::string::npos;
  });
}

void check_error(const reverify::Error& error, std::string_view url, const BuiltUrl* built) {
  if (error.code() != reverify::Errc::invalid_configuration) violated("an error other than invalid_configuration", url);
  const std::string& message = error.message();
  if (echoed(message, url)) violated("the message holds the URL", url);
  if (built != nullptr && echoed(message, built->password)) violated("the message holds the password", url);
  if (built != nullptr && echoed(message, built->password_text)) violated("the message holds the password", url);
  if (built != nullptr && echoed(message, built->user)) violated("the message holds the user", url);
  const bool fixed = message.compare(0, message_prefix.size(), message_prefix) == 0 &&
                     std::find(message_reasons.begin(), message_reasons.end(),
                               std::string_view(message).substr(message_prefix.size())) != message_reasons.end();
  if (!fixed) violated("a message outside the fixed set", url);
  if (built != nullptr && built->expected) violated("a well-formed URL was refused", url);
}

void check_endpoint(const Endpoint& endpoint, std::string_view url) {
  if (url.substr(0, scheme.size()) != scheme) violated("a URL without redis:// was accepted", url);
  const std::string_view host = endpoint.host;
  if (!is_name(host) && !is_ipv6(host)) violated("a host that is neither a name nor an IPv6 address", url);
  if (endpoint.port < 1 || endpoint.port > 65535) violated("a port outside 1..65535", url);
  if (endpoint.database < 0 || endpoint.database > max_database) violated("a database outside 0..1000000", url);
  // The credentials are the text right after the scheme up to the last '@' before the first '/':
  // USER:PASSWORD, :PASSWORD or PASSWORD, each percent-decoded.
  if (!endpoint.user.empty() && endpoint.password.empty()) violated("a user without a password", url);
  const std::string_view after_scheme = url.substr(std::min(url.size(), scheme.size()));
  const std::string_view authority = after_scheme.substr(0, after_scheme.find('/'));
  const auto at = authority.rfind('@');
  std::string_view user_text;
  std::string_view password_text;
  if (at != std::string_view::npos) {
    const std::string_view credentials = authority.substr(0, at);
    const auto colon = credentials.find(':');
    user_text = colon == std::string_view::npos ? std::string_view() : credentials.substr(0, colon);
    password_text = colon == std::string_view::npos ? credentials : credentials.substr(colon + 1);
  }
  const auto user = decode(user_text);
  const auto password = decode(password_text);
  if (!user || !password) violated("a broken %-escape in the credentials accepted", url);
  if (*user != endpoint.user || *password != endpoint.password) {
    violated("a user or password other than the URL's, decoded", url);
  }
  // The host is what follows the credentials, up to the port, read as expected_host reads a
  // built one (so a zone written after %25 must come out without the 25).
  const std::string_view host_text = authority.substr(at == std::string_view::npos ? 0 : at + 1);
  const bool bracketed = !host_text.empty() && host_text.front() == '[';
  const auto host_end = bracketed ? host_text.find(']') : host_text.find(':');
  const std::string_view host_part = bracketed && host_end != std::string_view::npos ? host_text.substr(0, host_end + 1)
                                                                                     : host_text.substr(0, host_end);
  if (expected_host(host_part) != endpoint.host) violated("a host other than the URL's", url);
}

/// The endpoint as a URL; the shortest form leaves out the default port and database.
std::string format_url(const Endpoint& endpoint, bool shortest) {
  std::string url(scheme);
  // Credentials escaped in full: everything but letters, digits and "-._~".
  const auto escaped_all = [](std::string_view value) {
    std::string out;
    for (const char c : value) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
        out += c;
      } else {
        out += '%';
        out += hex_digit(static_cast<unsigned char>(c) >> 4U, true);
        out += hex_digit(static_cast<unsigned char>(c), true);
      }
    }
    return out;
  };
  if (!endpoint.user.empty() || !endpoint.password.empty()) {
    url += escaped_all(endpoint.user) + ":" + escaped_all(endpoint.password) + "@";
  }
  // Only an IPv6 address holds ':', and it must be bracketed so they are not read as the port's;
  // its zone is written after "%25", which reads back whatever the zone's name.
  std::string host = endpoint.host;
  if (const auto percent = host.find('%'); percent != std::string::npos) host.insert(percent + 1, "25");
  url += has_any(host, ":") ? "[" + host + "]" : host;
  if (!shortest || endpoint.port != default_port) url += ":" + std::to_string(endpoint.port);
  if (!shortest || endpoint.database != 0) url += "/" + std::to_string(endpoint.database);
  return url;
}

void check_round_trip(const Endpoint& endpoint, std::string_view url) {
  for (const bool shortest : {false, true}) {
    const std::string again_url = format_url(endpoint, shortest);
    const auto again = parse(again_url);
    if (!again) violated("the endpoint written back as a URL was refused", url);
    if (!same(*again, endpoint)) violated("the endpoint written back as a URL parsed differently", url);
  }
}

void check(std::string_view url, const BuiltUrl* built) {
  const auto endpoint = parse(url);
  if (!endpoint) {
    check_error(endpoint.error(), url, built);
    return;
  }
  check_endpoint(*endpoint, url);
  if (built != nullptr && built->expected && !same(*endpoint, *built->expected)) {
    violated("a well-formed URL parsed to other parts than it was built from", url);
  }
  check_round_trip(*endpoint, url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  switch (in.byte() % 4) {
    case 0:
      check(in.rest(), nullptr);
      break;
    case 1:
      check(std::string(scheme) + in.rest(), nullptr);  // raw bytes past the scheme check
      break;
    default: {
      const BuiltUrl built = build_url(in);
      check(built.url, &built);
    }
  }
  return 0;
}
