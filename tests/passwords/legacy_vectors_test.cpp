#include <catch2/catch.hpp>
#include <cstddef>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "cheap_argon2.hpp"
#include "reverify/legacy/legacy_hasher.hpp"

// Vectors made by independent implementations (hash-wasm, bcryptjs, node-argon2, Node crypto,
// Python hashlib); see tests/data/passwords/README.md.

namespace {

using reverify::PasswordMatch;
using reverify::SecretString;

std::shared_ptr<reverify::legacy::LegacyHasher> small_legacy_hasher() {
  auto legacy = reverify::legacy::LegacyHasher::create(reverify::test::cheap_hasher());
  REQUIRE(legacy);
  return *legacy;
}

nlohmann::json load_vectors() {
  std::ifstream in(REVERIFY_PASSWORD_VECTORS);
  REQUIRE(in.good());
  return nlohmann::json::parse(in).at("vectors");
}

// A one-character change: the first character (bcrypt ignores bytes past 72, so a change
// there would not be a change to it).
std::string changed(std::string password) {
  password[0] = password[0] == 'x' ? 'y' : 'x';
  return password;
}

}  // namespace

TEST_CASE("every interoperability vector verifies, and a one-character change fails", "[passwords][legacy][vectors]") {
  auto hasher = small_legacy_hasher();
  const auto vectors = load_vectors();
  REQUIRE(vectors.size() >= 40);
  std::size_t seen_methods = 0;
  for (const char* method : {"Argon2i", "Argon2id", "Argon2d", "Bcrypt", "MD5", "SHA1", "SHA256", "Legacy"}) {
    for (const auto& v : vectors) seen_methods += v.at("method") == method ? 1U : 0U;
  }
  CHECK(seen_methods == vectors.size());

  for (const auto& v : vectors) {
    const std::string method = v.at("method");
    const std::string source = v.at("source");
    const std::string password = v.at("password");
    CAPTURE(method, source);
    auto stored = reverify::legacy::to_stored_hash(method, v.at("hash").get<std::string>());
    REQUIRE(stored);

    auto right = hasher->verify(SecretString(std::string_view(password)), *stored);
    REQUIRE(right);
    CHECK(right->result == PasswordMatch::match);
    CHECK(right->needs_rehash);

    auto wrong = hasher->verify(SecretString(std::string_view(changed(password))), *stored);
    REQUIRE(wrong);
    CHECK(wrong->result == PasswordMatch::mismatch);
    CHECK_FALSE(wrong->needs_rehash);

    if (v.contains("truncates_at")) {
      // bcrypt reads only the first 72 bytes: a change after them still matches (libxcrypt/OpenBSD).
      const std::size_t cut = v.at("truncates_at");
      REQUIRE(password.size() > cut);
      std::string tail_changed = password;
      tail_changed.back() = tail_changed.back() == 'x' ? 'y' : 'x';
      auto still = hasher->verify(SecretString(std::string_view(tail_changed)), *stored);
      REQUIRE(still);
      CHECK(still->result == PasswordMatch::match);
      auto cut_off = hasher->verify(SecretString(std::string_view(password).substr(0, cut)), *stored);
      REQUIRE(cut_off);
      CHECK(cut_off->result == PasswordMatch::match);
      auto shorter = hasher->verify(SecretString(std::string_view(password).substr(0, cut - 1)), *stored);
      REQUIRE(shorter);
      CHECK(shorter->result == PasswordMatch::mismatch);
    }
  }
}

TEST_CASE("a password with a NUL byte never matches a bcrypt hash of its prefix", "[passwords][legacy][vectors]") {
  auto hasher = small_legacy_hasher();
  std::size_t bcrypt_vectors = 0;
  for (const auto& v : load_vectors()) {
    if (v.at("method") != "Bcrypt") continue;
    ++bcrypt_vectors;
    const std::string password = v.at("password");
    auto stored = reverify::legacy::to_stored_hash("Bcrypt", v.at("hash").get<std::string>());
    REQUIRE(stored);
    // C bcrypt would stop at the NUL and see only the right password.
    const std::string with_nul = password.substr(0, 71) + std::string(1, '\0') + "anything";
    if (password.size() > 71) continue;
    auto check = hasher->verify(SecretString(std::string_view(with_nul)), *stored);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::mismatch);
  }
  CHECK(bcrypt_vectors > 0);
}

TEST_CASE("Logto's default argon2i form verifies and is upgraded to current Argon2id", "[passwords][legacy][logto]") {
  auto hasher = small_legacy_hasher();
  std::size_t logto_vectors = 0;
  for (const auto& v : load_vectors()) {
    const std::string hash = v.at("hash");
    if (hash.rfind("$argon2i$v=19$m=8192,t=8,p=1$", 0) != 0) continue;
    ++logto_vectors;
    const std::string password = v.at("password");
    auto stored = reverify::legacy::to_stored_hash("Argon2i", hash);
    REQUIRE(stored);
    CHECK(*stored == hash);
    auto check = hasher->verify(SecretString(std::string_view(password)), *stored);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::match);
    REQUIRE(check->needs_rehash);

    auto upgraded = hasher->hash(SecretString(std::string_view(password)));
    REQUIRE(upgraded);
    CHECK(upgraded->rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0) == 0);
    auto after = hasher->verify(SecretString(std::string_view(password)), *upgraded);
    REQUIRE(after);
    CHECK(after->result == PasswordMatch::match);
    CHECK_FALSE(after->needs_rehash);
  }
  CHECK(logto_vectors == 2);
}
