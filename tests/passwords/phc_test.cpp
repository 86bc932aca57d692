#include <catch2/catch.hpp>

#include <string>

#include "reverify/phc.hpp"

using reverify::Argon2Variant;
using reverify::parse_argon2_phc;

TEST_CASE("parse_argon2_phc decodes parameters in any order and with or without a version", "[passwords][phc]") {
  // "c29tZXNhbHQ" is "somesalt"; "AAECAwQFBgcICQ" is bytes 0..9.
  auto a = parse_argon2_phc("$argon2i$v=19$m=8192,t=8,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ");
  REQUIRE(a);
  CHECK(a->variant == Argon2Variant::argon2i);
  CHECK(a->version == 0x13);
  CHECK(a->memory_kib == 8192);
  CHECK(a->iterations == 8);
  CHECK(a->parallelism == 1);
  CHECK(std::string(a->salt.begin(), a->salt.end()) == "somesalt");
  CHECK(a->tag.size() == 10);

  auto b = parse_argon2_phc("$argon2id$v=16$p=4,m=4096,t=3$c29tZXNhbHQ$AAECAwQFBgcICQ");
  REQUIRE(b);
  CHECK(b->variant == Argon2Variant::argon2id);
  CHECK(b->version == 0x10);
  CHECK(b->memory_kib == 4096);
  CHECK(b->iterations == 3);
  CHECK(b->parallelism == 4);

  auto c = parse_argon2_phc("$argon2d$m=64,t=1,p=8$c29tZXNhbHQ$AAECAwQFBgcICQ");
  REQUIRE(c);
  CHECK(c->variant == Argon2Variant::argon2d);
  CHECK(c->version == 0x10);  // no version means the original 1.0

  auto padded = parse_argon2_phc("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ=$AAECAwQFBgcICQ==");
  REQUIRE(padded);
  CHECK(padded->tag == a->tag);

  auto with_data = parse_argon2_phc("$argon2id$v=19$m=64,t=1,p=1,data=AQID$c29tZXNhbHQ$AAECAwQFBgcICQ");
  REQUIRE(with_data);
  CHECK(with_data->associated_data.size() == 3);
  auto with_key = parse_argon2_phc("$argon2id$v=19$m=64,t=1,p=1,keyid=AQID$c29tZXNhbHQ$AAECAwQFBgcICQ");
  REQUIRE(with_key);
  CHECK(with_key->has_key_id);
}

TEST_CASE("to_phc_string writes canonical form that parses back", "[passwords][phc]") {
  auto b = parse_argon2_phc("$argon2id$v=16$p=4,t=3,m=4096$c29tZXNhbHQ=$AAECAwQFBgcICQ");
  REQUIRE(b);
  const std::string canonical = reverify::to_phc_string(*b);
  CHECK(canonical == "$argon2id$v=16$m=4096,t=3,p=4$c29tZXNhbHQ$AAECAwQFBgcICQ");
  auto again = parse_argon2_phc(canonical);
  REQUIRE(again);
  CHECK(again->tag == b->tag);
  CHECK(again->salt == b->salt);
}

TEST_CASE("parse_argon2_phc rejects what is not an Argon2 PHC string", "[passwords][phc]") {
  const char* bad[] = {
      "",
      "$",
      "$$",
      "argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=20$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=1,x=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=1,$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=-64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=4294967296,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=15,t=1,p=2$c29tZXNhbHQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZQ$AAECAwQFBgcICQ",  // 4-byte salt
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAEC",       // 3-byte tag
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQ$",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNh*HQ$AAECAwQFBgcICQ",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAECAwQFBgcICQAAA",  // length 1 mod 4
  };
  for (const char* text : bad) {
    CAPTURE(text);
    auto parsed = parse_argon2_phc(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == reverify::Errc::invalid_input);
  }
  CHECK_FALSE(parse_argon2_phc(std::string(5000, 'a')));
}
