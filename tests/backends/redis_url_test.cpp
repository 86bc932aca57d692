// The Redis URL parser (src/redis/redis_url.hpp). A host with a space or control byte is refused
// as a bad URL: one with a NUL used to be accepted whole, and hiredis, given the host as a C
// string, then connected to the part before the NUL (found by tests/fuzz/redis/redis_url_fuzz.cpp).
// Other lenient readings the fuzz target showed are refused too: an unbracketed IPv6 address
// ("::1" read as host ":" port 1), hosts with '?', '#' or non-ASCII, a signed database, and a user
// without a password (no AUTH would be sent, so the connection would silently be `default`).

#include <catch2/catch.hpp>

#include <string>

#include "redis/redis_url.hpp"

using reverify::redis::detail::parse_url;
using namespace std::string_literals;

TEST_CASE("redis URL: a host with a space or control byte is refused") {
  for (const std::string& url : {"redis://127.0.0.1\0.example.com:6379"s, "redis://:secret-pw@localhost\n"s,
                                 "redis://local host:6379/0"s, "redis://[::1\t]:6379"s, "redis://cache\x7f/1"s}) {
    CAPTURE(url.size());
    const auto endpoint = parse_url(url);
    REQUIRE_FALSE(endpoint);
    CHECK(endpoint.error().code() == reverify::Errc::invalid_configuration);
    CHECK(endpoint.error().message().find("secret-pw") == std::string::npos);
  }
}

namespace {

std::string refusal(const std::string& url) {
  const auto endpoint = parse_url(url);
  REQUIRE_FALSE(endpoint);
  CHECK(endpoint.error().code() == reverify::Errc::invalid_configuration);
  CHECK(endpoint.error().message().find("Pw-") == std::string::npos);
  return endpoint.error().message();
}

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

TEST_CASE("redis URL: lenient readings are refused with a reason") {
  CHECK(ends_with(refusal("redis://::1"), "an IPv6 address must be in [ ]"));
  CHECK(ends_with(refusal("redis://fe80::1:6379"), "an IPv6 address must be in [ ]"));
  CHECK(ends_with(refusal("redis://h?db=1"), "the host may hold only letters, digits, '-', '.' and '_'"));
  CHECK(ends_with(refusal("redis://cache#1:6379"), "the host may hold only letters, digits, '-', '.' and '_'"));
  CHECK(ends_with(refusal("redis://caf\xc3\xa9.example"), "the host may hold only letters, digits, '-', '.' and '_'"));
  CHECK(ends_with(refusal("redis://[cache.internal]:6379"), "the host in [ ] must be an IPv6 address"));
  CHECK(ends_with(refusal("redis://[:]:6379"), "the host in [ ] must be an IPv6 address"));
  CHECK(ends_with(refusal("redis://[1:2:3:4:5:6:7:8:9]"), "the host in [ ] must be an IPv6 address"));
  CHECK(ends_with(refusal("redis://[::1\0.evil]:6379"s), "the host in [ ] must be an IPv6 address"));
  CHECK(ends_with(refusal("redis://[::1]6379"), "only :PORT may follow ]"));
  CHECK(ends_with(refusal("redis://localhost/-0"), "the database must be a number from 0 to 1000000"));
  CHECK(ends_with(refusal("redis://localhost/+1"), "the database must be a number from 0 to 1000000"));
  CHECK(ends_with(refusal("redis://localhost:+6379"), "the port must be a number from 1 to 65535"));
  CHECK(ends_with(refusal("redis://localhost:0"), "the port must be a number from 1 to 65535"));
  CHECK(ends_with(refusal("redis://app:@localhost"), "a user needs a password"));
  CHECK(ends_with(refusal("rediss://:Pw-1@localhost"), "rediss:// (TLS) is not supported; use redis://"));
}

TEST_CASE("redis URL: an IPv6 zone is read as RFC 6874 writes it (%25) and as ip(8) does (%)") {
  // Regression: "%25eth0", the URI form, used to reach getaddrinfo as interface "25eth0".
  const auto host_of = [](const std::string& url) {
    const auto endpoint = parse_url(url);
    return endpoint ? endpoint->host : "refused: " + endpoint.error().message();
  };
  CHECK(host_of("redis://[fe80::1%25eth0]:6380") == "fe80::1%eth0");
  CHECK(host_of("redis://[fe80::1%eth0]") == "fe80::1%eth0");
  CHECK(host_of("redis://[fe80::1%2525eth0]") == "fe80::1%25eth0");  // an interface named 25eth0
  // Numeric zones (interface indices) too, as redis-py reads them: %251 is index 1, not 251.
  CHECK(host_of("redis://[fe80::1%251]") == "fe80::1%1");
  CHECK(host_of("redis://[fe80::1%25251]") == "fe80::1%251");
  CHECK(host_of("redis://[fe80::1%2525]") == "fe80::1%25");
  CHECK(host_of("redis://[::1]") == "::1");
  // A zone is a name: empty, escaped or holding other bytes, it is refused.
  using namespace std::string_literals;
  for (const std::string& zone : {"%"s, "%25"s, "%25%25eth0"s, "%25eth%30"s, "%eth 0"s, "%25eth0:1"s, "%25eth\0x"s}) {
    const std::string url = "redis://[fe80::1" + zone + "]";
    INFO(url);
    CHECK(ends_with(host_of(url), "the host in [ ] must be an IPv6 address"));
  }
}

TEST_CASE("redis URL: printable hosts are still accepted") {
  const auto endpoint = parse_url("redis://default:p@ss@cache-1.internal:6380/2");
  REQUIRE(endpoint);
  CHECK(endpoint->host == "cache-1.internal");
  CHECK(endpoint->port == 6380);
  CHECK(endpoint->database == 2);
  CHECK(endpoint->user == "default");
  CHECK(endpoint->password == "p@ss");
  const auto ipv6 = parse_url("redis://[fe80::1%eth0]");
  REQUIRE(ipv6);
  CHECK(ipv6->host == "fe80::1%eth0");
  CHECK(ipv6->port == 6379);
  const auto named = parse_url("redis://:Pw-x@redis_primary.svc:06379/");
  REQUIRE(named);
  CHECK(named->host == "redis_primary.svc");
  CHECK(named->port == 6379);
  CHECK(named->database == 0);
  CHECK(named->user.empty());
  CHECK(named->password == "Pw-x");
}

TEST_CASE("redis URL: user and password are percent-decoded, so a password can hold '/'") {
  // Generated passwords (base64) often hold '/', which unescaped would start the database; every
  // other Redis client reads %2F there.
  const auto slashed = parse_url("redis://app:aB3%2Fx%2b9%25%3A@cache:6380/4");
  REQUIRE(slashed);
  CHECK(slashed->user == "app");
  CHECK(slashed->password == "aB3/x+9%:");
  CHECK(slashed->host == "cache");
  CHECK(slashed->port == 6380);
  CHECK(slashed->database == 4);
  const auto user = parse_url("redis://ops%3Ateam%40x:%50w@localhost");
  REQUIRE(user);
  CHECK(user->user == "ops:team@x");
  CHECK(user->password == "Pw");
  const auto password_only = parse_url("redis://%2F%2F@localhost");
  REQUIRE(password_only);
  CHECK(password_only->user.empty());
  CHECK(password_only->password == "//");
  const auto binary = parse_url("redis://:a%00b@localhost");
  REQUIRE(binary);
  CHECK(binary->password == "a\0b"s);
}

TEST_CASE("redis URL: a '%' that starts no %XX escape is refused, without echoing the password") {
  for (const char* url : {"redis://:Pw%@localhost", "redis://:Pw%4@localhost", "redis://:Pw%G1@localhost",
                          "redis://us%zz:Pw@localhost", "redis://:100%sure@localhost"}) {
    CAPTURE(url);
    const std::string why = refusal(url);
    CHECK(ends_with(why, "a '%' in the user or password must start a %XX escape"));
    CHECK(why.find("Pw") == std::string::npos);
    CHECK(why.find("sure") == std::string::npos);
  }
  // An escaped user still needs a password.
  CHECK(ends_with(refusal("redis://app%41:@localhost"), "a user needs a password"));
}
