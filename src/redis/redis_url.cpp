#include "redis_url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace reverify::redis::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding, as other Redis clients read USER and PASSWORD: %2F is how a password
// holds '/', which would otherwise start the database. A '%' not followed by two hex digits is
// refused rather than guessed at.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

// Digits only (from_chars alone would take "-0"), within [low, high].
bool parse_int(std::string_view text, int low, int high, int& out) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), is_digit)) return false;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) return false;
  out = value;
  return true;
}

// A host name or IPv4 address: what DNS and container runtimes use ('_' included). Anything else
// (a '?', a '#', a second ':', non-ASCII, a NUL that would cut short the C string hiredis is
// given) is a typo or an attack, not a host.
bool is_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_'; });
}

// An IPv6 address as inet_pton reads one, optionally followed by a zone naming an interface:
// %25ZONE as RFC 6874 writes it in a URI, or %ZONE as ip(8) and many clients write it. "%25" is
// always the RFC's delimiter (redis-py reads it so too), so a zone that starts with "25", a name
// or an index, is written after it: %2525eth0, %25251.
// Gives the host as getaddrinfo reads it (ADDRESS or ADDRESS%ZONE), or nothing.
std::optional<std::string> ipv6_host(std::string_view text) {
  const auto percent = text.find('%');
  std::string address(text.substr(0, percent));
  in6_addr parsed{};
  // inet_pton stops at a NUL, which hiredis would too: "::1\0junk" is not an address.
  if (address.find('\0') != std::string::npos || ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) {
    return std::nullopt;
  }
  if (percent == std::string_view::npos) return address;
  std::string_view zone = text.substr(percent + 1);
  if (zone.substr(0, 2) == "25") zone.remove_prefix(2);
  if (zone.empty() || !is_host_name(zone)) return std::nullopt;
  return address + '%' + std::string(zone);
}

tl::unexpected<Error> bad(std::string_view why) {
  std::string message = "redis connect: bad URL (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]): ";
  message += why;
  return fail(Errc::invalid_configuration, std::move(message));
}

}  // namespace

Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, 9) == "rediss://") return bad("rediss:// (TLS) is not supported; use redis://");
  if (url.substr(0, scheme.size()) != scheme) return bad("the scheme must be redis://");
  std::string_view rest = url.substr(scheme.size());
  Endpoint endpoint;

  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !parse_int(db, 0, 1'000'000, endpoint.database)) {
      return bad("the database must be a number from 0 to 1000000");
    }
  }
  // Credentials end at the last '@' before the path, so a password may hold '@' as it is; '/' and
  // '%' it holds as %2F and %25, and a user ':' as %3A.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    const std::string_view user = colon == std::string_view::npos ? std::string_view() : credentials.substr(0, colon);
    const std::string_view password = colon == std::string_view::npos ? credentials : credentials.substr(colon + 1);
    auto decoded_user = percent_decode(user);
    auto decoded_password = percent_decode(password);
    if (!decoded_user || !decoded_password) return bad("a '%' in the user or password must start a %XX escape");
    endpoint.user = std::move(*decoded_user);
    endpoint.password = std::move(*decoded_password);
    // AUTH is sent only with a password: a user without one would silently connect as `default`.
    if (!endpoint.user.empty() && endpoint.password.empty()) return bad("a user needs a password");
  }
  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("only :PORT may follow ]");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty()) return bad("no host");
    auto address = ipv6_host(host);
    if (!address) return bad("the host in [ ] must be an IPv6 address");
    endpoint.host = std::move(*address);
  } else {
    if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      has_port = true;
      if (port.find(':') != std::string_view::npos) return bad("an IPv6 address must be in [ ]");
    }
    if (host.empty()) return bad("no host");
    if (!is_host_name(host)) return bad("the host may hold only letters, digits, '-', '.' and '_'");
    endpoint.host = std::string(host);
  }
  if (has_port && !parse_int(port, 1, 65535, endpoint.port)) return bad("the port must be a number from 1 to 65535");
  return endpoint;
}

}  // namespace reverify::redis::detail
