#include <catch2/catch.hpp>

#include "code_digest.hpp"

using reverify::digests_equal;
using reverify::Pepper;
using reverify::detail::binding_digest;
using reverify::detail::code_digest;

TEST_CASE("a code digest binds pepper, record id and code") {
  const Pepper p1 = Pepper::random(1);
  const Pepper p2 = Pepper::random(2);
  const auto base = code_digest(p1, "record-a", "123456");
  CHECK(digests_equal(base, code_digest(p1, "record-a", "123456")));
  CHECK_FALSE(digests_equal(base, code_digest(p2, "record-a", "123456")));
  CHECK_FALSE(digests_equal(base, code_digest(p1, "record-b", "123456")));
  CHECK_FALSE(digests_equal(base, code_digest(p1, "record-a", "123457")));
  // Length prefixes: moving a character across the boundary changes the digest.
  CHECK_FALSE(digests_equal(code_digest(p1, "ab", "c"), code_digest(p1, "a", "bc")));
}

TEST_CASE("a binding digest differs from a code digest over the same bytes") {
  const Pepper p = Pepper::random(1);
  CHECK_FALSE(digests_equal(binding_digest(p, "x", "y"), code_digest(p, "x", "y")));
  CHECK(digests_equal(binding_digest(p, "payment", "payee=1;amount=2"),
                      binding_digest(p, "payment", "payee=1;amount=2")));
}

TEST_CASE("peppers come from exactly 32 bytes") {
  CHECK(Pepper::from_bytes(1, std::string(32, 'k')).has_value());
  const auto short_pepper = Pepper::from_bytes(1, std::string(31, 'k'));
  REQUIRE_FALSE(short_pepper.has_value());
  CHECK(short_pepper.error() == reverify::Errc::invalid_configuration);
  CHECK(short_pepper.error().message().find("kkkk") == std::string::npos);
}
