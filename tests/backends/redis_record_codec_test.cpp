// The Redis store's record value (src/redis/redis_record_codec.hpp): what is written reads back
// field for field, and anything but the exact layout is refused — cut short, a byte too many,
// another version, a flag other than '0'/'1', a digest of the wrong size, or a kind or template
// type no release writes (those used to be cast to the enum unchecked). No server needed.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "redis/redis_record_codec.hpp"

using namespace reverify;
using namespace std::chrono_literals;
using redis::detail::read_record;

namespace {

VerificationRecord sample() {
  VerificationRecord record;
  record.user_id = "user-1";
  record.kind = RecordKind::phone_verification_code;
  record.template_type = TemplateType::bind_new_identifier;
  record.identifier = "+1 555-000-1111";
  record.identifier_key = "15550001111";
  record.purpose = "payment";
  Digest code{};
  code.fill(0xab);
  Digest binding{};
  binding.fill(0x01);
  record.code_digest = code;
  record.binding_digest = binding;
  record.pepper_id = 7;
  record.attempts = 2;
  record.use_count = 1;
  record.verified = true;
  record.created_at = from_unix_ms(1'800'000'000'000);
  record.expires_at = record.created_at + 10min;
  record.code_expires_at = record.created_at + 5min;
  return record;
}

std::string written(const VerificationRecord& record) {
  std::string out(redis::detail::record_size(record), '\0');
  const char* end = redis::detail::write_record(record, out.data());
  REQUIRE(end == out.data() + out.size());
  return out;
}

// Offsets in the head (docs/backends.md): version 0, retired 1, verified 2, kind 39, template 40.
constexpr std::size_t kind_at = 39;
constexpr std::size_t template_at = 40;

}  // namespace

TEST_CASE("redis record value: what is written reads back", "[backends][redis]") {
  const VerificationRecord record = sample();
  VerificationRecord back;
  REQUIRE(read_record(written(record), back));
  CHECK(back.user_id == record.user_id);
  CHECK(back.kind == record.kind);
  CHECK(back.template_type == record.template_type);
  CHECK(back.identifier == record.identifier);
  CHECK(back.identifier_key == record.identifier_key);
  CHECK(back.purpose == record.purpose);
  CHECK(back.code_digest == record.code_digest);
  CHECK(back.binding_digest == record.binding_digest);
  CHECK(back.pepper_id == record.pepper_id);
  CHECK(back.attempts == record.attempts);
  CHECK(back.use_count == record.use_count);
  CHECK(back.verified == record.verified);
  CHECK(back.retired == record.retired);
  CHECK(back.created_at == record.created_at);
  CHECK(back.expires_at == record.expires_at);
  CHECK(back.code_expires_at == record.code_expires_at);

  VerificationRecord bare;  // no digests, empty strings
  REQUIRE(read_record(written(bare), back));
  CHECK_FALSE(back.code_digest);
  CHECK_FALSE(back.binding_digest);
}

TEST_CASE("redis record value: anything but the exact layout is refused", "[backends][redis]") {
  const std::string good = written(sample());
  VerificationRecord back;
  for (std::size_t size = 0; size < good.size(); ++size) {
    CAPTURE(size);
    CHECK_FALSE(read_record(good.substr(0, size), back));
  }
  CHECK_FALSE(read_record(good + '\0', back));
  const auto with = [&good](std::size_t at, char value) {
    std::string bad = good;
    bad[at] = value;
    return bad;
  };
  CHECK_FALSE(read_record(with(0, '\2'), back));
  CHECK_FALSE(read_record(with(1, '2'), back));
  CHECK_FALSE(read_record(with(2, 'x'), back));
  for (const int value : {0, 4, 255}) {
    CAPTURE(value);
    CHECK_FALSE(read_record(with(kind_at, static_cast<char>(value)), back));
    CHECK_FALSE(read_record(with(template_at, static_cast<char>(value)), back));
  }
  for (const int value : {1, 2, 3}) {
    CHECK(read_record(with(kind_at, static_cast<char>(value)), back));
    CHECK(read_record(with(template_at, static_cast<char>(value)), back));
  }
  VerificationRecord short_digest = sample();
  std::string value = written(short_digest);
  // The code digest's length field follows the user id and the identifier key.
  const std::size_t code_length_at = 41 + 4 + short_digest.user_id.size() + 4 + short_digest.identifier_key.size();
  REQUIRE(value[code_length_at + 3] == 32);
  value[code_length_at + 3] = 31;
  CHECK_FALSE(read_record(value, back));
}
