#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "cheap_argon2.hpp"
#include "reverify/legacy/legacy_hasher.hpp"

namespace {

using reverify::Errc;
using reverify::PasswordMatch;
using reverify::SecretString;
using reverify::legacy::LegacyHasher;
using reverify::legacy::to_stored_hash;
using reverify::test::cheap_params;

SecretString secret(std::string_view text) { return SecretString(text); }

std::shared_ptr<LegacyHasher> make(reverify::Argon2idParams p = cheap_params()) {
  auto current = reverify::Argon2idHasher::create(p);
  REQUIRE(current);
  auto legacy = LegacyHasher::create(*current);
  REQUIRE(legacy);
  return *legacy;
}

// RFC 6070 PBKDF2-HMAC-SHA1: P = "password", S = "salt", c = 2, dkLen = 20.
constexpr const char* rfc6070_c2 = "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957";
// MD5("password"), a well-known constant.
constexpr const char* md5_password = "5f4dcc3b5aa765d61d8327deb882cf99";

}  // namespace

TEST_CASE("LegacyHasher::create rejects a null Argon2idHasher", "[passwords][legacy]") {
  auto hasher = LegacyHasher::create(nullptr);
  REQUIRE_FALSE(hasher);
  CHECK(hasher.error() == Errc::invalid_configuration);
}

TEST_CASE("LegacyHasher hashes new passwords as current Argon2id and verifies them without rehash",
          "[passwords][legacy]") {
  auto hasher = make();
  auto stored = hasher->hash(secret("fresh password"));
  REQUIRE(stored);
  CHECK(stored->rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0) == 0);
  auto check = hasher->verify(secret("fresh password"), *stored);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK_FALSE(check->needs_rehash);
  auto wrong = hasher->verify(secret("fresh passwore"), *stored);
  REQUIRE(wrong);
  CHECK(wrong->result == PasswordMatch::mismatch);
}

TEST_CASE("LegacyHasher: Argon2id at other parameters matches and asks for a rehash", "[passwords][legacy]") {
  auto old_params = cheap_params();
  old_params.ops_limit = 2;
  auto old_hash = make(old_params)->hash(secret("pw"));
  REQUIRE(old_hash);
  auto check = make()->verify(secret("pw"), *old_hash);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK(check->needs_rehash);
}

TEST_CASE("LegacyHasher: no hash is no_hash", "[passwords][legacy]") {
  auto check = make()->verify(secret("pw"), std::nullopt);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::no_hash);
  CHECK_FALSE(check->needs_rehash);
}

TEST_CASE("LegacyHasher: unusable stored values are malformed, with a detail free of secrets", "[passwords][legacy]") {
  auto hasher = make();
  const std::string password = "hunter2-secret";
  const std::vector<std::string> values = {
      "",
      "hunter2-secret",
      "{MD5}",
      "{MD5}5F4DCC3B5AA765D61D8327DEB882CF99",   // Logto compares lowercase hex exactly
      "{SHA1}5f4dcc3b5aa765d61d8327deb882cf99",  // MD5 length under a SHA1 prefix
      "{SHA256}zz",
      "{LEGACY}",
      R"({LEGACY}["sha256", ["salt"], "00"])",  // no "@"
      R"({LEGACY}["nosuchdigest", ["@"], "00"])",
      R"({LEGACY}["sha256", ["@"], "00"])",  // expected of the wrong length
      R"({LEGACY}["pbkdf2", ["hex:zz", "1000", "32", "sha256", "@"], "00"])",
      R"({LEGACY}["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "8", "30", "@"], "AAAA"])",
      "{UNKNOWN}abc",
      "$2b$04$short",
      "$2b$31$abcdefghijklmnopqrstuuS0Qf0n0q6f3ZyWQ2o4b8iV1Qn2bX6Aa",  // cost above 16
      "$2q$04$abcdefghijklmnopqrstuuS0Qf0n0q6f3ZyWQ2o4b8iV1Qn2bX6Aa",
      "$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHQ$",
      "$argon2id$v=19$m=8192,t=1,p=1,keyid=AAAA$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",    // 4 GiB: above the ceiling
      "$argon2d$v=19$m=1048576,t=1024,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",  // 1 GiB x 1024 passes
      "$argon2id$v=19$m=8192,t=1024,p=4$c29tZXNhbHQ$AAECAwQFBgcICQ",    // 8 GiB of memory passes
  };
  for (const auto& value : values) {
    CAPTURE(value);
    auto check = hasher->verify(secret(password), value);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::malformed);
    CHECK_FALSE(check->needs_rehash);
    CHECK_FALSE(check->detail.empty());
    CHECK(check->detail.find(password) == std::string::npos);
    if (value.size() > 8) CHECK(check->detail.find(value.substr(value.size() - 8)) == std::string::npos);
  }
}

TEST_CASE("LegacyHasher verifies known published vectors through to_stored_hash", "[passwords][legacy]") {
  auto hasher = make();
  auto md5 = to_stored_hash("MD5", md5_password);
  REQUIRE(md5);
  CHECK(*md5 == std::string("{MD5}") + md5_password);
  auto check = hasher->verify(secret("password"), *md5);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK(check->needs_rehash);

  auto pbkdf2 =
      to_stored_hash("Legacy", std::string(R"(["pbkdf2", ["salt", 2, 20, "sha1", "@"], ")") + rfc6070_c2 + "\"]");
  REQUIRE(pbkdf2);
  auto c2 = hasher->verify(secret("password"), *pbkdf2);
  REQUIRE(c2);
  CHECK(c2->result == PasswordMatch::match);
  auto c2_wrong = hasher->verify(secret("passwore"), *pbkdf2);
  REQUIRE(c2_wrong);
  CHECK(c2_wrong->result == PasswordMatch::mismatch);

  // JSON escapes are decoded before use: "\u0073alt123" is "salt123" (Logto's documented example).
  auto escaped = to_stored_hash(
      "Legacy",
      R"(["sha256",["\u0073alt123","@"],"c465f66c6ac481a7a17e9ed5b4e2e7e7288d892f12bf1c95c140901e9a70436e"])");
  REQUIRE(escaped);
  auto e = hasher->verify(secret("password123"), *escaped);
  REQUIRE(e);
  CHECK(e->result == PasswordMatch::match);
}

TEST_CASE("LegacyHasher limits concurrent legacy computations", "[passwords][legacy][concurrency]") {
  auto p = cheap_params();
  p.max_concurrent = 1;
  p.max_wait = std::chrono::milliseconds(1);
  auto hasher = make(p);
  // A slow-ish legacy format: PBKDF2 with many iterations.
  auto stored = to_stored_hash(
      "Legacy", R"(["pbkdf2", ["salt", "200000", "32", "sha256", "@"], ")" + std::string(64, '0') + "\"]");
  REQUIRE(stored);
  constexpr int threads = 6;
  std::atomic<int> mismatched{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      auto check = hasher->verify(secret("pw"), *stored);
      if (!check) {
        (check.error() == Errc::hasher_unavailable ? unavailable : other)++;
      } else {
        (check->result == PasswordMatch::mismatch ? mismatched : other)++;
      }
    });
  }
  go = true;
  for (auto& t : pool) t.join();
  CHECK(other == 0);
  CHECK(mismatched >= 1);
  CHECK(unavailable >= 1);
}

TEST_CASE("LegacyHasher verifies hashes of its earlier parameters when its own cost more than the stored-cost cap",
          "[passwords][legacy]") {
  // The hasher now runs at one pass more, so the stored hash is not current and goes through
  // libargon2, where the cap for imported hashes applies.
  const reverify::Argon2idParams earlier = reverify::test::just_above_stored_cap_params();
  auto earlier_hasher = reverify::Argon2idHasher::create(earlier);
  REQUIRE(earlier_hasher);
  const auto stored = (*earlier_hasher)->hash(secret("pw"));
  REQUIRE(stored);
  reverify::Argon2idParams now = earlier;
  now.ops_limit = earlier.ops_limit + 1;
  auto check = make(now)->verify(secret("pw"), *stored);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK(check->needs_rehash);
  // A hasher at the usual parameters still refuses it as above the cap.
  auto cheap = make()->verify(secret("pw"), *stored);
  REQUIRE(cheap);
  CHECK(cheap->result == PasswordMatch::malformed);
}
