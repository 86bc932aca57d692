#include <catch2/catch.hpp>

#include <sstream>
#include <type_traits>

#include "reverify/secret_string.hpp"

using reverify::SecretString;

namespace {
template <class T, class = void>
struct is_streamable : std::false_type {};
template <class T>
struct is_streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
}  // namespace

TEST_CASE("a secret string cannot be streamed") { STATIC_REQUIRE_FALSE(is_streamable<SecretString>::value); }

TEST_CASE("a secret string holds and reveals its value") {
  const SecretString s("hunter2");
  CHECK(s.reveal() == "hunter2");
  CHECK(s.size() == 7);
  CHECK_FALSE(s.empty());
}

TEST_CASE("moving leaves the source empty") {
  SecretString a("correct horse battery staple");
  SecretString b(std::move(a));
  CHECK(b.reveal() == "correct horse battery staple");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is what we test
  SecretString c("short");
  SecretString d;
  d = std::move(c);
  CHECK(d.reveal() == "short");
  CHECK(c.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("taking a std::string wipes the original") {
  std::string original = "123456";
  const SecretString s(std::move(original));
  CHECK(s.reveal() == "123456");
  CHECK(original.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("clear empties") {
  SecretString s("x");
  s.clear();
  CHECK(s.empty());
}
