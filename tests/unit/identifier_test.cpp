#include <catch2/catch.hpp>

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
