// Fuzzes the strict reader of the Redis store's record value (src/redis/redis_record_codec.cpp):
// the bytes come from a Redis server other instances share, so a damaged or foreign value must be
// refused (find() answers store_unavailable), never read past its end nor handed on as a record
// with a kind or template type no release writes. Inputs are raw values, or records built from
// fuzz choices, written, read back and then damaged at one fuzz-chosen byte. Checked:
// - nothing throws; a value that is read back has a kind and template type a release writes, and
//   writing the record again gives exactly the same bytes (one value, one reading);
// - a record written reads back field for field.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "redis/redis_record_codec.hpp"

namespace {

using reverify::Digest;
using reverify::RecordKind;
using reverify::TemplateType;
using reverify::VerificationRecord;

[[noreturn]] void violated(const char* what) {
  static_cast<void>(std::fprintf(stderr, "redis_record_fuzz: %s\n", what));
  std::abort();
}

using Input = reverify::test::FuzzInput;

std::string written(const VerificationRecord& record) {
  std::string out(reverify::redis::detail::record_size(record), '\0');
  if (reverify::redis::detail::write_record(record, out.data()) != out.data() + out.size()) {
    violated("write_record wrote another size than record_size");
  }
  return out;
}

bool known(const VerificationRecord& record) {
  const auto kind = static_cast<int>(record.kind);
  const auto template_type = static_cast<int>(record.template_type);
  return kind >= 1 && kind <= 3 && template_type >= 1 && template_type <= 3;
}

/// A value read back must be the one writing its record gives: no second reading of any byte.
void check_reading(const std::string& value) {
  VerificationRecord record;
  bool accepted = false;
  try {
    accepted = reverify::redis::detail::read_record(value, record);
  } catch (...) {
    violated("read_record threw");
  }
  if (!accepted) return;
  if (!known(record)) violated("a value read back with a kind or template type no release writes");
  if (written(record) != value) violated("a value read back that writing its record does not give");
}

std::optional<Digest> digest_choice(Input& in) {
  if (in.byte() % 3 == 0) return std::nullopt;
  Digest digest{};
  for (auto& b : digest) b = in.byte();
  return digest;
}

VerificationRecord generate(Input& in) {
  VerificationRecord record;
  record.user_id = in.text(40);
  record.identifier = in.text(40);
  record.identifier_key = in.text(40);
  record.purpose = in.text(16);
  record.kind = static_cast<RecordKind>(1 + in.byte() % 3);
  record.template_type = static_cast<TemplateType>(1 + in.byte() % 3);
  record.code_digest = digest_choice(in);
  record.binding_digest = digest_choice(in);
  record.pepper_id = static_cast<std::uint32_t>(in.u64());
  record.attempts = static_cast<std::uint32_t>(in.u64());
  record.use_count = static_cast<std::uint32_t>(in.u64());
  record.verified = in.byte() % 2 == 1;
  record.retired = in.byte() % 2 == 1;
  record.created_at = reverify::from_unix_ms(static_cast<std::int64_t>(in.u64()));
  record.expires_at = reverify::from_unix_ms(static_cast<std::int64_t>(in.u64()));
  record.code_expires_at = reverify::from_unix_ms(static_cast<std::int64_t>(in.u64()));
  return record;
}

bool same(const VerificationRecord& a, const VerificationRecord& b) {
  return a.user_id == b.user_id && a.identifier == b.identifier && a.identifier_key == b.identifier_key &&
         a.purpose == b.purpose && a.kind == b.kind && a.template_type == b.template_type &&
         a.code_digest == b.code_digest && a.binding_digest == b.binding_digest && a.pepper_id == b.pepper_id &&
         a.attempts == b.attempts && a.use_count == b.use_count && a.verified == b.verified && a.retired == b.retired &&
         a.created_at == b.created_at && a.expires_at == b.expires_at && a.code_expires_at == b.code_expires_at;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  if (in.byte() % 2 == 0) {
    check_reading(in.rest());
    return 0;
  }
  const VerificationRecord record = generate(in);
  std::string value = written(record);
  VerificationRecord back;
  if (!reverify::redis::detail::read_record(value, back)) violated("a written record was refused");
  if (!same(back, record)) violated("a written record read back with other fields");
  // Damage: one byte changed, or the value cut short or lengthened.
  const auto at = static_cast<std::size_t>(in.u64() % (value.size() + 1));
  switch (in.byte() % 3) {
    case 0:
      if (at < value.size()) value[at] = static_cast<char>(in.byte());
      break;
    case 1:
      value.resize(at);
      break;
    default:
      value += in.text(4);
  }
  check_reading(value);
  return 0;
}
