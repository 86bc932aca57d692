#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>

#include "reverify/secret_string.hpp"

using reverify::SecretString;

namespace {
template <class T, class = void>
struct IsStreamable : std::false_type {};
template <class T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
/// Whether the bytes of `object` (its object representation) contain `secret`.
template <class T>
bool bytes_contain(const T& object, std::string_view secret) {
  const auto* begin = reinterpret_cast<const char*>(&object);
  const auto* end = begin + sizeof(T);
  return std::search(begin, end, secret.begin(), secret.end()) != end;
}
}  // namespace

TEST_CASE("a secret string cannot be streamed") { STATIC_REQUIRE_FALSE(IsStreamable<SecretString>::value); }

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

TEST_CASE("secrets inline and on the heap survive copies, moves and reassignment") {
  const std::string long_secret(SecretString::inline_capacity + 20, 'k');
  for (const std::string& value :
       {std::string("246810"), long_secret, std::string(SecretString::inline_capacity, 'i')}) {
    SecretString a(value);
    SecretString copy(a);
    CHECK(copy.reveal() == value);
    SecretString moved(std::move(copy));
    CHECK(moved.reveal() == value);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move)
    SecretString assigned("previous");
    assigned = moved;
    CHECK(assigned.reveal() == value);
    assigned = SecretString("after");
    CHECK(assigned.reveal() == "after");
    assigned = std::move(moved);
    CHECK(assigned.reveal() == value);
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
    auto& self = assigned;
    assigned = self;
    CHECK(assigned.reveal() == value);
  }
}

// Codes and short passwords live inside the object: its own bytes must not keep them once it is
// moved from, cleared or destroyed.
TEST_CASE("an inline secret's bytes are wiped when moved from, cleared or destroyed") {
  const std::string code = "918273";
  SecretString source(code);
  REQUIRE(bytes_contain(source, code));
  SecretString target(std::move(source));
  CHECK_FALSE(bytes_contain(source, code));  // NOLINT(bugprone-use-after-move)
  CHECK(bytes_contain(target, code));

  SecretString assigned;
  assigned = std::move(target);
  CHECK_FALSE(bytes_contain(target, code));  // NOLINT(bugprone-use-after-move)
  assigned.clear();
  CHECK_FALSE(bytes_contain(assigned, code));

  alignas(SecretString) unsigned char storage[sizeof(SecretString)];
  auto* placed = new (storage) SecretString(code);
  REQUIRE(std::search(storage, storage + sizeof storage, code.begin(), code.end()) != storage + sizeof storage);
  placed->~SecretString();
  CHECK(std::search(storage, storage + sizeof storage, code.begin(), code.end()) == storage + sizeof storage);
}

TEST_CASE("reassigning wipes the secret it replaces") {
  const std::string old_code = "554433";
  SecretString s(old_code);
  s = SecretString("12");
  CHECK(s.reveal() == "12");
  CHECK_FALSE(bytes_contain(s, "5433"));
}
