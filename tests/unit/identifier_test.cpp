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

// The manager builds its send and lock keys in place (detail::IdentifierKey); the keys must be
// the scope, the type and exactly normalize_identifier's result, at every length the rules allow.
TEST_CASE("identifier keys hold the scope, the type and the normalised identifier") {
  using reverify::IdentifierType;
  using reverify::detail::IdentifierKey;
  using reverify::detail::KeyScope;

  IdentifierKey send(KeyScope::send, IdentifierType::email);
  REQUIRE(send.append_normalized(Identifier::email("  Alice@Example.COM ")).has_value());
  CHECK(send.view() == "send:email:alice@example.com");
  CHECK(send.normalized() == "alice@example.com");

  IdentifierKey lock(KeyScope::lock, IdentifierType::phone);
  REQUIRE(lock.append_normalized(Identifier::phone("+1 555-000-1111")).has_value());
  CHECK(lock.view() == "lock:phone:15550001111");

  SECTION("every prefix is the scope, to_string(type) and a colon") {
    for (const auto type : {IdentifierType::email, IdentifierType::phone}) {
      const std::string name(reverify::to_string(type));
      CHECK(IdentifierKey(KeyScope::send, type).view() == "send:" + name + ":");
      CHECK(IdentifierKey(KeyScope::lock, type).view() == "lock:" + name + ":");
    }
  }

  SECTION("the longest identifiers fit") {
    const std::string longest_email = std::string(256 - 12, 'A') + "@example.com";
    IdentifierKey key(KeyScope::lock, IdentifierType::email);
    REQUIRE(key.append_normalized(Identifier::email(longest_email)).has_value());
    CHECK(key.normalized() == normalize_identifier(Identifier::email(longest_email)).value());
    CHECK(key.view().size() == 11 + 256);

    const std::string longest_phone = "+" + std::string(20, '7');
    IdentifierKey phone(KeyScope::send, IdentifierType::phone);
    REQUIRE(phone.append_normalized(Identifier::phone(longest_phone)).has_value());
    CHECK(phone.normalized() == std::string(20, '7'));
  }

  SECTION("a refused identifier leaves the prefix alone, never a part of it") {
    IdentifierKey key(KeyScope::send, IdentifierType::email);
    REQUIRE(key.append_normalized(Identifier::email("bob@example.org")).has_value());
    for (const Identifier& bad : {Identifier::email(std::string(257 - 12, 'a') + "@example.com"),
                                  Identifier::email("not an address"), Identifier::email("")}) {
      const auto result = key.append_normalized(bad);
      REQUIRE_FALSE(result.has_value());
      CHECK(result.error() == reverify::Errc::invalid_input);
      CHECK(key.view() == "send:email:");
    }
    IdentifierKey phone(KeyScope::lock, IdentifierType::phone);
    // Far more digits than fit: refused, and (under ASan) nothing written past the key.
    const auto result = phone.append_normalized(Identifier::phone(std::string(4000, '9')));
    REQUIRE_FALSE(result.has_value());
    CHECK(phone.view() == "lock:phone:");
  }
}
