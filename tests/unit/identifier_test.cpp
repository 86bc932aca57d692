#include <catch2/catch.hpp>

#include <vector>

#include "identifier_match.hpp"
#include "reverify/identifier.hpp"

using reverify::Identifier;
using reverify::normalize_identifier;

TEST_CASE("emails are trimmed and lower-cased") {
  CHECK(normalize_identifier(Identifier::email("  Alice@Example.COM \t")).value() == "alice@example.com");
  CHECK(normalize_identifier(Identifier::email("a.b+tag@sub.example.org")).value() == "a.b+tag@sub.example.org");
}

TEST_CASE("malformed emails are invalid input") {
  for (const char* bad : {"", "   ", "alice", "alice@", "@example.com", "alice@example", "alice@example.",
                          "al ice@example.com", "a@b@example.com", "alice@.com"}) {
    INFO(bad);
    const auto result = normalize_identifier(Identifier::email(bad));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == reverify::Errc::invalid_input);
  }
  CHECK_FALSE(normalize_identifier(Identifier::email(std::string(250, 'a') + "@example.com")).has_value());
}

TEST_CASE("phones keep digits; a leading plus, spaces and dashes are stripped") {
  CHECK(normalize_identifier(Identifier::phone("15550001111")).value() == "15550001111");
  CHECK(normalize_identifier(Identifier::phone("+1 555-000-1111")).value() == "15550001111");
  CHECK(normalize_identifier(Identifier::phone(" +44 20 7946 0958 ")).value() == "442079460958");
}

TEST_CASE("phones with anything else are invalid input") {
  for (const char* bad :
       {"", "+", "555-CALL-NOW", "(555) 0001111", "1+555", "++15550001111", "555.000.1111", "123456789012345678901"}) {
    INFO(bad);
    const auto result = normalize_identifier(Identifier::phone(bad));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == reverify::Errc::invalid_input);
  }
}

TEST_CASE("error messages do not echo the identifier") {
  const auto result = normalize_identifier(Identifier::email("secret-person@nowhere"));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message().find("secret-person") == std::string::npos);
}

// The manager compares owned identifiers with detail::normalizes_to (no copy); it must agree with
// normalize_identifier on every pair.
TEST_CASE("normalizes_to agrees with normalize_identifier") {
  const std::vector<Identifier> raws = {
      Identifier::email("alice@example.com"),     Identifier::email("  ALICE@Example.com\t"),
      Identifier::email("alice@example.co"),      Identifier::email("alice @example.com"),
      Identifier::email("alic@example.com"),      Identifier::email("alice@@example.com"),
      Identifier::email("alice@example"),         Identifier::email(""),
      Identifier::email("Bob@Example.org"),       Identifier::email("bob@example.org "),
      Identifier::phone("15550001111"),           Identifier::phone("+1 555-000-1111"),
      Identifier::phone("++15550001111"),         Identifier::phone("1555000111"),
      Identifier::phone("155500011112"),          Identifier::phone("1555a0001111"),
      Identifier::phone(" +1-555-000-1111 "),     Identifier::phone("+"),
      Identifier::phone("1-5-5-5-0-0-0-1-1-1-1"), Identifier::phone("1555000111+1"),
  };
  int compared = 0;
  for (const Identifier& key_source : raws) {
    const auto key = normalize_identifier(key_source);
    if (!key) continue;
    for (const Identifier& raw : raws) {
      if (raw.type != key_source.type) continue;
      const auto normalized = normalize_identifier(raw);
      INFO("raw '" << raw.value << "' key '" << *key << "'");
      CHECK(reverify::detail::normalizes_to(raw, *key) == (normalized && *normalized == *key));
      ++compared;
    }
  }
  CHECK(compared > 50);
}
