#include "memory_store_record.hpp"

#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace reverify::detail {
namespace {

constexpr std::size_t max_id_length = std::numeric_limits<std::uint8_t>::max();
constexpr std::size_t max_string_length = std::numeric_limits<std::uint16_t>::max();

char* append(char* out, std::string_view bytes) noexcept {
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

char* append(char* out, const Digest& digest) noexcept {
  std::memcpy(out, digest.data(), digest.size());
  return out + digest.size();
}

Digest read_digest(const char* in) noexcept {
  Digest digest{};
  std::memcpy(digest.data(), in, digest.size());
  return digest;
}

}  // namespace

Result<std::size_t> PackedRecord::packed_size(const VerificationRecord& record) {
  const char* too_long = nullptr;
  if (record.id.size() > max_id_length) too_long = "record id";
  if (record.user_id.size() > max_string_length) too_long = "user id";
  if (record.identifier.size() > max_string_length) too_long = "identifier";
  if (record.identifier_key.size() > max_string_length) too_long = "identifier key";
  if (record.purpose.size() > max_string_length) too_long = "purpose";
  if (too_long != nullptr) {
    return fail(Errc::store_unavailable,
                std::string("memory store insert: ") + too_long + " is longer than the memory store holds");
  }
  const bool key_is_identifier = record.identifier_key == record.identifier;
  return sizeof(PackedRecord) + record.id.size() + record.user_id.size() + record.identifier.size() +
         (key_is_identifier ? 0 : record.identifier_key.size()) + record.purpose.size() +
         (record.binding_digest ? sizeof(Digest) : 0) + (record.code_digest ? sizeof(Digest) : 0);
}

PackedRecord* PackedRecord::pack_into(void* memory, const VerificationRecord& record) noexcept {
  const bool key_is_identifier = record.identifier_key == record.identifier;
  auto* packed = new (memory) PackedRecord();
  PackedRecord& p = *packed;
  p.created_ms_ = to_unix_ms(record.created_at);
  p.expires_ms_ = to_unix_ms(record.expires_at);
  p.code_expires_ms_ = to_unix_ms(record.code_expires_at);
  p.pepper_id_ = record.pepper_id;
  p.attempts_ = record.attempts;
  p.use_count_ = record.use_count;
  p.id_len_ = static_cast<std::uint8_t>(record.id.size());
  p.user_len_ = static_cast<std::uint16_t>(record.user_id.size());
  p.identifier_len_ = static_cast<std::uint16_t>(record.identifier.size());
  p.key_len_ = static_cast<std::uint16_t>(record.identifier_key.size());
  p.purpose_len_ = static_cast<std::uint16_t>(record.purpose.size());
  p.kind_ = static_cast<std::uint8_t>(record.kind);
  p.template_ = static_cast<std::uint8_t>(record.template_type);
  std::uint8_t flags = 0;
  if (record.verified) flags |= flag_verified;
  if (record.retired) flags |= flag_retired;
  if (record.binding_digest) flags |= flag_binding;
  if (record.code_digest) flags |= flag_code;
  if (key_is_identifier) flags |= flag_key_is_identifier;
  p.flags_ = flags;

  char* out = p.tail();
  out = append(out, record.id);
  out = append(out, record.user_id);
  out = append(out, record.identifier);
  if (!key_is_identifier) out = append(out, record.identifier_key);
  out = append(out, record.purpose);
  if (record.binding_digest) out = append(out, *record.binding_digest);
  if (record.code_digest) append(out, *record.code_digest);
  return packed;
}

std::size_t PackedRecord::purpose_offset() const noexcept {
  const std::size_t key_bytes = (flags_ & flag_key_is_identifier) != 0 ? 0 : key_len_;
  return std::size_t{id_len_} + user_len_ + identifier_len_ + key_bytes;
}

std::string_view PackedRecord::identifier_key() const noexcept {
  if ((flags_ & flag_key_is_identifier) != 0) return identifier();
  return {tail() + id_len_ + user_len_ + identifier_len_, key_len_};
}

bool PackedRecord::code_digest_equals(const Digest& offered) const noexcept {
  if ((flags_ & flag_code) == 0) return false;
  const std::size_t offset = digests_offset() + ((flags_ & flag_binding) != 0 ? sizeof(Digest) : 0);
  Digest stored{};
  std::memcpy(stored.data(), tail() + offset, stored.size());
  return digests_equal(stored, offered);
}

bool PackedRecord::same_slot(const VerificationRecord& record) const noexcept {
  return kind() == record.kind && template_type() == record.template_type && user_id() == record.user_id &&
         identifier_key() == record.identifier_key;
}

VerificationRecord PackedRecord::unpack() const {
  VerificationRecord record;
  record.id = std::string(id());
  record.user_id = std::string(user_id());
  record.kind = kind();
  record.template_type = template_type();
  record.identifier = std::string(identifier());
  record.identifier_key = std::string(identifier_key());
  record.purpose = std::string(tail() + purpose_offset(), purpose_len_);
  std::size_t offset = digests_offset();
  if ((flags_ & flag_binding) != 0) {
    record.binding_digest = read_digest(tail() + offset);
    offset += sizeof(Digest);
  }
  if ((flags_ & flag_code) != 0) record.code_digest = read_digest(tail() + offset);
  record.pepper_id = pepper_id_;
  record.attempts = attempts_;
  record.use_count = use_count_;
  record.created_at = from_unix_ms(created_ms_);
  record.expires_at = from_unix_ms(expires_ms_);
  record.code_expires_at = from_unix_ms(code_expires_ms_);
  record.verified = verified();
  record.retired = retired();
  return record;
}

}  // namespace reverify::detail
