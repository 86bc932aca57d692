#include "redis_url.hpp"

#include <charconv>

namespace reverify::redis::detail {
namespace {

bool parse_int(std::string_view text, int low, int high, int& out) {
  if (text.empty()) return false;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) return false;
  out = value;
  return true;
}

tl::unexpected<Error> bad(std::string_view why) {
  std::string message = "redis connect: bad URL (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]): ";
  message += why;
  return fail(Errc::invalid_configuration, std::move(message));
}

}  // namespace

Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return bad("the scheme must be redis://");
  std::string_view rest = url.substr(scheme.size());
  Endpoint endpoint;

  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !parse_int(db, 0, 1'000'000, endpoint.database)) return bad("the database must be a number");
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      endpoint.password = std::string(credentials);
    } else {
      endpoint.user = std::string(credentials.substr(0, colon));
      endpoint.password = std::string(credentials.substr(colon + 1));
    }
  }
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || !parse_int(after.substr(1), 1, 65535, endpoint.port)) return bad("bad port");
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    if (!parse_int(rest.substr(colon + 1), 1, 65535, endpoint.port)) return bad("bad port");
  }
  if (host.empty()) return bad("no host");
  endpoint.host = std::string(host);
  return endpoint;
}

}  // namespace reverify::redis::detail
