#include <catch2/catch.hpp>

#include <string>

#include "reverify/legacy/legacy_hasher.hpp"

using reverify::Errc;
using reverify::legacy::to_stored_hash;

namespace {

void rejected(std::string_view method, std::string_view value) {
  CAPTURE(method, value);
  auto stored = to_stored_hash(method, value);
  REQUIRE_FALSE(stored);
  CHECK(stored.error() == Errc::invalid_input);
  if (value.size() > 6) CHECK(stored.error().message().find(value) == std::string::npos);
}

const std::string sha256_of_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

TEST_CASE("to_stored_hash keeps PHC and bcrypt strings and prefixes the rest", "[passwords][legacy][formats]") {
  const std::string phc = "$argon2i$v=19$m=8192,t=8,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ";
  for (const char* method : {"Argon2i", "Argon2id", "Argon2d", "argon2i"}) {
    auto stored = to_stored_hash(method, phc);
    REQUIRE(stored);
    CHECK(*stored == phc);
  }
  const std::string bcrypt = "$2b$04$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktOu";
  auto b = to_stored_hash("Bcrypt", bcrypt);
  REQUIRE(b);
  CHECK(*b == bcrypt);
  auto md5 = to_stored_hash("MD5", "5f4dcc3b5aa765d61d8327deb882cf99");
  REQUIRE(md5);
  CHECK(*md5 == "{MD5}5f4dcc3b5aa765d61d8327deb882cf99");
  auto sha1 = to_stored_hash("SHA1", "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8");
  REQUIRE(sha1);
  CHECK(*sha1 == "{SHA1}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8");
  auto sha256 = to_stored_hash("SHA256", sha256_of_empty);
  REQUIRE(sha256);
  CHECK(*sha256 == "{SHA256}" + sha256_of_empty);
  const std::string tuple = R"(["sha256", ["salt", "@"], ")" + sha256_of_empty + "\"]";
  auto legacy = to_stored_hash("Legacy", tuple);
  REQUIRE(legacy);
  CHECK(*legacy == "{LEGACY}" + tuple);
}

TEST_CASE("to_stored_hash rejects unknown methods and values that can never verify", "[passwords][legacy][formats]") {
  rejected("Plaintext", "whatever");
  rejected("SaltAndPepper", "whatever");
  rejected("Argon2i", "$argon2i$v=19$m=8192,t=8$c29tZXNhbHQ$AAECAwQFBgcICQ");
  rejected("Argon2id", "$argon2id$v=19$m=8192,t=1,p=1,keyid=AAAA$c29tZXNhbHQ$AAECAwQFBgcICQ");
  rejected("Argon2id", "$argon2id$v=19$m=8192,t=5000,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ");
  rejected("Bcrypt", "$2b$04$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktO");
  rejected("Bcrypt", "$2x$04$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktOu");
  rejected("Bcrypt", "$2b$03$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktOu");
  rejected("Bcrypt", "$2b$17$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.SktOu");
  rejected("Bcrypt", "$2b$04$6rAcli4x7/9h6TUEU/Y.I.JYZwMzbGmgEM1Dk5WRrZ/gUIA.Skt!u");
  rejected("MD5", "5F4DCC3B5AA765D61D8327DEB882CF99");
  rejected("MD5", "5f4dcc3b5aa765d61d8327deb882cf9");
  rejected("SHA1", "5f4dcc3b5aa765d61d8327deb882cf99");
  rejected("SHA256", "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("the Legacy tuple parser is strict", "[passwords][legacy][formats]") {
  const std::string h = sha256_of_empty;
  // Structure.
  rejected("Legacy", "");
  rejected("Legacy", "not json");
  rejected("Legacy", R"({"algorithm": "sha256"})");
  rejected("Legacy", R"(["sha256", ["@"]])");
  rejected("Legacy", R"(["sha256", ["@"], ")" + h + R"(", "extra"])");
  rejected("Legacy", R"(["sha256", "@", ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@"], ")" + h + R"("] trailing)");
  rejected("Legacy", R"(["sha256", ["@",], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", null], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", 1.5], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", -1], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", true], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", "\x"], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@", "\ud800"], ")" + h + R"("])");
  rejected("Legacy", "[\"sha256\", [\"@\", \"\xff\"], \"" + h + "\"]");
  rejected("Legacy", "[\"sha256\", [\"@\", \"a\nb\"], \"" + h + "\"]");
  rejected("Legacy", R"([1, ["@"], ")" + h + R"("])");
  rejected("Legacy", R"(["", ["@"], ")" + h + R"("])");
  // "@" must be a whole element.
  rejected("Legacy", R"(["sha256", ["a@b"], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", [], ")" + h + R"("])");
  // Algorithms and their arguments.
  rejected("Legacy", R"(["nosuchhash", ["@"], ")" + h + R"("])");
  rejected("Legacy", R"(["sha256", ["@"], ")" + std::string(h).replace(0, 1, "E") + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["salt", "1000", "32", "sha256"], ")" + h + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["@", "1000", "32", "sha256", "salt"], ")" + h + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["hex:abc", "1000", "32", "sha256", "@"], ")" + h + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["salt", "0", "32", "sha256", "@"], ")" + h + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["salt", "99999999", "32", "sha256", "@"], ")" + h + R"("])");
  // The cap is on iterations times key blocks: 64 MD5 blocks of 10 million each would take minutes.
  const std::string md5_key_1024(2048, 'a');
  rejected("Legacy", R"(["pbkdf2", ["s", "10000000", "1024", "md5", "@"], ")" + md5_key_1024 + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["s", "5000001", "64", "sha256", "@"], ")" + std::string(128, 'a') + R"("])");
  CHECK(to_stored_hash("Legacy",
                       R"(["pbkdf2", ["s", "5000000", "64", "sha256", "@"], ")" + std::string(128, 'a') + R"("])"));
  rejected("Legacy", R"(["pbkdf2", ["salt", "1000", "16", "sha256", "@"], ")" + h + R"("])");
  rejected("Legacy", R"(["pbkdf2", ["salt", "1000", "32", "nosuch", "@"], ")" + h + R"("])");
  rejected("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "8", "14"], "AAAA"])");
  rejected("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "8", "21", "@"], "AAAA"])");
  rejected("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "0", "14", "@"], "AAAA"])");
  rejected("Legacy", R"(["firebase-scrypt", ["c2F*dA==", "a2V5", "Bw==", "8", "14", "@"], "AAAA"])");
  rejected("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "8", "14", "@"], "AAAAAAAA"])");
  // scrypt's N = 2^memCost must be below 2^(16 rounds): OpenSSL would refuse it at every verify.
  rejected("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "1", "16", "@"], "AAAA"])");
  CHECK(to_stored_hash("Legacy", R"(["firebase-scrypt", ["c2FsdA==", "a2V5", "Bw==", "1", "15", "@"], "AAAA"])"));

  // Accepted: escapes, integers, "pbkdf2Sync", several "@".
  CHECK(to_stored_hash("Legacy",
                       R"( [ "sha256" , [ "\"\\\/\b\f\n\r\t\u00e9\ud83d\udd11" , "@" , 7 ] , ")" + h + R"(" ] )"));
  CHECK(to_stored_hash("Legacy", R"(["sha256", ["@", "@"], ")" + h + R"("])"));
  CHECK(to_stored_hash("Legacy", R"(["pbkdf2Sync", ["hex:", 1, 32, "sha256", "@"], ")" + h + R"("])"));
  CHECK(to_stored_hash("Legacy", R"(["firebase-scrypt", ["c2FsdA", "a2V5", "", "8", "14", "@"], "AAAA"])"));
}
