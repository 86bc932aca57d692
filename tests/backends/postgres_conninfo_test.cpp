// A PostgreSQL conninfo may hold a password: no error of PostgresStore::connect repeats it, nor
// the conninfo itself. No server needed: port 1 on the loopback refuses every connection.
#include <catch2/catch.hpp>

#include <string>

#include "reverify/postgres/postgres_store.hpp"

using namespace reverify;

namespace {

/// The error of connecting with `conninfo`, which must fail.
Error connect_error(const std::string& conninfo) {
  postgres::PostgresOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  auto store = postgres::PostgresStore::connect(conninfo, options);
  REQUIRE_FALSE(store.has_value());
  return store.error();
}

}  // namespace

TEST_CASE("a malformed conninfo is refused without quoting it or its password", "[backends][postgres]") {
  // libpq's own parse errors quote the raw password ("invalid percent-encoded token") or the whole
  // URI (an unclosed IPv6 bracket); each is a password a host could plausibly have generated.
  const auto [conninfo, secret] = GENERATE(table<std::string, std::string>({
      {"postgresql://app:50%off@127.0.0.1:1/app", "50%off"},
      {"postgresql://app:s3cret-pw@[::1/app", "s3cret-pw"},
      {"postgresql://app:s3cret-pw@[]:1/app", "s3cret-pw"},
      {"host=127.0.0.1 port=1 password='s3cret-pw", "s3cret-pw"},
      // A raw '@' or '/' in the password: libpq would split it into the host, port or database
      // ("ss-word@127.0.0.1", port "ab") and quote that part in its error.
      {"postgresql://app:p@ss-word@127.0.0.1:1/app", "ss-word"},
      {"postgresql://app:ab/cd@127.0.0.1:1/app", "ab/cd"},
      {"postgres://app:x/ab@127.0.0.1:1/app", "x/ab"},
  }));
  const Error error = connect_error(conninfo);
  INFO(error.message());
  CHECK(error == Errc::invalid_configuration);
  CHECK(error.message().find(secret) == std::string::npos);
  CHECK(error.message().find(conninfo) == std::string::npos);
  CHECK(error.message().find("malformed") != std::string::npos);
}

TEST_CASE("a refused connection names the failure but not the password", "[backends][postgres]") {
  const auto conninfo = GENERATE(std::string("postgresql://app:s3cret-pw@127.0.0.1:1/app"),
                                 // the same characters percent-encoded are a password like any other
                                 std::string("postgresql://app:s3cret-pw%40%2F@127.0.0.1:1/app"),
                                 std::string("postgresql://app@127.0.0.1:1/app?password=s3cret-pw&options=a@b"),
                                 // after a user name, a raw '@' in the database name is unambiguous
                                 std::string("postgresql://app:s3cret-pw@127.0.0.1:1/my@db"),
                                 std::string("host=127.0.0.1 port=1 user=app password=s3cret-pw dbname=app"));
  const Error error = connect_error(conninfo);
  INFO(error.message());
  CHECK(error == Errc::store_unavailable);
  CHECK(error.message().find("postgres connect: ") == 0);
  CHECK(error.message().size() > std::string("postgres connect: ").size());
  CHECK(error.message().find("s3cret-pw") == std::string::npos);
  // libpq's text for a refused connection has a second line; the error keeps to one.
  CHECK(error.message().find_first_of("\n\r\t") == std::string::npos);
}

TEST_CASE("an option's invalid value is quoted by libpq, but never the password in it", "[backends][postgres]") {
  // libpq quotes an invalid sslmode; a password pasted into it must not come back.
  const Error error = connect_error("host=127.0.0.1 port=1 password=s3cret-pw sslmode=s3cret-pw");
  INFO(error.message());
  CHECK(error.message().find("s3cret-pw") == std::string::npos);
  CHECK(error.message().find("[redacted]") != std::string::npos);
}
