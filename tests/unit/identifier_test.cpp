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

// The value is stored and sent as given, so padding that normalises away must not make it large.
TEST_CASE("a value over 512 bytes as given is invalid input, however little of it counts") {
  const std::string dashes(512 - 1, '-');
  CHECK(normalize_identifier(Identifier::phone("1" + dashes)).value() == "1");
  CHECK(normalize_identifier(Identifier::email(std::string(512 - 11, ' ') + "a@b.example")).value() == "a@b.example");
  for (const Identifier& padded : {Identifier::phone("1-" + dashes), Identifier::phone("1" + std::string(70'000, ' ')),
                                   Identifier::email(" a@b.example" + std::string(501, '\t'))}) {
    const auto result = normalize_identifier(padded);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == reverify::Errc::invalid_input);
    CHECK(result.error().message() == "identifier is longer than 512 bytes");
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
// the scope, the identifier's own type and exactly normalize_identifier's result, at every length
// the rules allow.
TEST_CASE("identifier keys hold the scope, the type and the normalised identifier") {
  using reverify::IdentifierType;
  using reverify::detail::IdentifierKey;
  using reverify::detail::KeyScope;

  IdentifierKey send(KeyScope::send);
  REQUIRE(send.assign(Identifier::email("  Alice@Example.COM ")).has_value());
  CHECK(send.view() == "send:email:alice@example.com");
  CHECK(send.normalized() == "alice@example.com");

  IdentifierKey lock(KeyScope::lock);
  REQUIRE(lock.assign(Identifier::phone("+1 555-000-1111")).has_value());
  CHECK(lock.view() == "lock:phone:15550001111");

  SECTION("the type in the key is the identifier's, named as to_string names it") {
    for (const auto& identifier : {Identifier::email("a@example.com"), Identifier::phone("123")}) {
      std::string type_and_key(reverify::to_string(identifier.type));
      type_and_key.append(":").append(normalize_identifier(identifier).value());
      IdentifierKey key(KeyScope::send);
      REQUIRE(key.assign(identifier).has_value());
      CHECK(key.view() == std::string("send:").append(type_and_key));
      IdentifierKey other(KeyScope::lock);
      REQUIRE(other.assign(identifier).has_value());
      CHECK(other.view() == std::string("lock:").append(type_and_key));
      // The same key object takes the other type's prefix when reassigned.
      REQUIRE(
          key.assign(identifier.type == IdentifierType::email ? Identifier::phone("9") : Identifier::email("b@c.de"))
              .has_value());
      CHECK(key.view().substr(0, 11) != std::string("send:").append(type_and_key.substr(0, 6)));
    }
  }

  SECTION("the longest identifiers fit, with white space around them") {
    const std::string longest_email = std::string(256 - 12, 'A') + "@example.com";
    IdentifierKey key(KeyScope::lock);
    REQUIRE(key.assign(Identifier::email(" \t" + longest_email + "\n ")).has_value());
    CHECK(key.normalized() == normalize_identifier(Identifier::email(longest_email)).value());
    CHECK(key.view().size() == 11 + 256);

    IdentifierKey phone(KeyScope::send);
    REQUIRE(
        phone.assign(Identifier::phone(" +" + std::string(10, '7') + "-" + std::string(10, '7') + " ")).has_value());
    CHECK(phone.normalized() == std::string(20, '7'));
  }

  SECTION("a refused identifier leaves the key empty, never a part of one") {
    IdentifierKey key(KeyScope::send);
    REQUIRE(key.assign(Identifier::email("bob@example.org")).has_value());
    for (const Identifier& bad :
         {Identifier::email(" " + std::string(257 - 12, 'a') + "@example.com "), Identifier::email("not an address"),
          Identifier::email(""), Identifier::phone("+1 " + std::string(10, '5') + "-" + std::string(10, '5'))}) {
      INFO(bad.value);
      const auto result = key.assign(bad);
      REQUIRE_FALSE(result.has_value());
      CHECK(result.error() == reverify::Errc::invalid_input);
      CHECK(key.view().empty());
      CHECK(key.normalized().empty());
    }
    // Far more digits than fit: refused, and nothing written past the buffer (ASan) or into the
    // key's length (the checks above).
    IdentifierKey phone(KeyScope::lock);
    REQUIRE_FALSE(phone.assign(Identifier::phone(std::string(500, '9'))).has_value());
    CHECK(phone.view().empty());
  }
}

// The buffer-based normalisation must keep every refusal's message, in the same order of checks.
TEST_CASE("each normalisation rule has its own message") {
  const auto message = [](const Identifier& identifier) {
    const auto result = normalize_identifier(identifier);
    REQUIRE_FALSE(result.has_value());
    return result.error().message();
  };
  CHECK(message(Identifier::email(" \t ")) == "email is empty");
  CHECK(message(Identifier::email(std::string(245, 'a') + "@example.com")) == "email is longer than 256 bytes");
  CHECK(message(Identifier::email("al ice@example.com")) == "email contains white space");
  CHECK(message(Identifier::email("a b@c")) == "email contains white space");  // checked before the '@'
  CHECK(message(Identifier::email("a@b@example.com")) == "email must have one '@' after a local part");
  CHECK(message(Identifier::email("@example.com")) == "email must have one '@' after a local part");
  CHECK(message(Identifier::email("alice@example")) == "email domain must contain a dot");
  CHECK(message(Identifier::email("alice@.com")) == "email domain must contain a dot");
  CHECK(message(Identifier::email("alice@example.")) == "email domain must contain a dot");
  CHECK(message(Identifier::phone("+")) == "phone has no digits");
  CHECK(message(Identifier::phone("+1 " + std::string(20, '2'))) == "phone has more than 20 digits");
  // A bad character is reported even after too many digits: the characters are checked first.
  CHECK(message(Identifier::phone(std::string(25, '3') + "x")) ==
        "phone may contain only digits, a leading '+', spaces and dashes");
}
