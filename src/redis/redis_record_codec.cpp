#include "redis_record_codec.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/store_codec.hpp"
#include "redis_scripts.hpp"

namespace reverify::redis::detail {
namespace {

using reverify::detail::digest_from_bytes;

char* put_u32(char* out, std::uint32_t value) noexcept {
  for (int shift = 24; shift >= 0; shift -= 8) *out++ = static_cast<char>((value >> shift) & 0xFFu);
  return out;
}
char* put_i64(char* out, std::int64_t value) noexcept {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) *out++ = static_cast<char>((bits >> shift) & 0xFFu);
  return out;
}
char* put_text(char* out, std::string_view text) noexcept {
  out = put_u32(out, static_cast<std::uint32_t>(text.size()));
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  return out + text.size();
}
std::string_view digest_text(const std::optional<Digest>& digest) noexcept {
  return digest ? std::string_view(reinterpret_cast<const char*>(digest->data()), digest->size()) : std::string_view{};
}

// The six strings, in their order in the value.
std::array<std::string_view, record_format::strings> texts_of(const VerificationRecord& record) noexcept {
  const std::string_view texts[] = {record.user_id,    record.identifier_key, digest_text(record.code_digest),
                                    record.identifier, record.purpose,        digest_text(record.binding_digest)};
  // A string added to the value without its count (which the scripts read) fails here.
  static_assert(std::size(texts) == record_format::strings);
  return {texts[0], texts[1], texts[2], texts[3], texts[4], texts[5]};
}

// Strict reader: each step fails rather than read past the end.
class RecordReader {
 public:
  explicit RecordReader(std::string_view data) noexcept : data_(data) {}
  bool byte(unsigned char& out) noexcept {
    if (data_.size() - pos_ < 1) return false;
    out = static_cast<unsigned char>(data_[pos_++]);
    return true;
  }
  bool flag(bool& out) noexcept {
    unsigned char c = 0;
    if (!byte(c) || (c != '0' && c != '1')) return false;
    out = c == '1';
    return true;
  }
  bool u32(std::uint32_t& out) noexcept {
    if (data_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) out = (out << 8) | static_cast<unsigned char>(data_[pos_++]);
    return true;
  }
  bool time(Timestamp& out) noexcept {
    if (data_.size() - pos_ < 8) return false;
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(data_[pos_++]);
    out = from_unix_ms(static_cast<std::int64_t>(bits));
    return true;
  }
  bool text(std::string_view& out) noexcept {
    std::uint32_t size = 0;
    if (!u32(size) || data_.size() - pos_ < size) return false;
    out = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  bool digest(std::optional<Digest>& out) noexcept {
    std::string_view bytes;
    if (!text(bytes)) return false;
    if (bytes.empty()) {
      out.reset();
      return true;
    }
    out = digest_from_bytes(bytes);
    return out.has_value();
  }
  [[nodiscard]] bool done() const noexcept { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t record_size(const VerificationRecord& record) {
  std::size_t size = record_format::head_size + 4 * record_format::strings;
  for (std::string_view text : texts_of(record)) {
    if (text.size() > UINT32_MAX) throw std::length_error("redis: record field too long");
    size += text.size();
  }
  return size;
}

char* write_record(const VerificationRecord& record, char* out) noexcept {
  *out++ = record_format::version;
  *out++ = record.retired ? '1' : '0';
  *out++ = record.verified ? '1' : '0';
  out = put_u32(out, record.attempts);
  out = put_u32(out, record.use_count);
  out = put_u32(out, record.pepper_id);
  out = put_i64(out, to_unix_ms(record.expires_at));
  out = put_i64(out, to_unix_ms(record.code_expires_at));
  out = put_i64(out, to_unix_ms(record.created_at));
  *out++ = static_cast<char>(record.kind);
  *out++ = static_cast<char>(record.template_type);
  for (std::string_view text : texts_of(record)) out = put_text(out, text);
  return out;
}

bool read_record(std::string_view data, VerificationRecord& record) {
  RecordReader in(data);
  unsigned char version = 0;
  unsigned char kind = 0;
  unsigned char template_type = 0;
  std::string_view user_id;
  std::string_view identifier_key;
  std::string_view identifier;
  std::string_view purpose;
  if (!in.byte(version) || version != static_cast<unsigned char>(record_format::version) || !in.flag(record.retired) ||
      !in.flag(record.verified) || !in.u32(record.attempts) || !in.u32(record.use_count) || !in.u32(record.pepper_id) ||
      !in.time(record.expires_at) || !in.time(record.code_expires_at) || !in.time(record.created_at) ||
      !in.byte(kind) || !in.byte(template_type) || !in.text(user_id) || !in.text(identifier_key) ||
      !in.digest(record.code_digest) || !in.text(identifier) || !in.text(purpose) ||
      !in.digest(record.binding_digest) || !in.done()) {
    return false;
  }
  const auto known_kind = reverify::detail::record_kind_from(kind);
  const auto known_template = reverify::detail::template_type_from(template_type);
  if (!known_kind || !known_template) return false;
  record.kind = *known_kind;
  record.template_type = *known_template;
  record.user_id = std::string(user_id);
  record.identifier_key = std::string(identifier_key);
  record.identifier = std::string(identifier);
  record.purpose = std::string(purpose);
  return true;
}

}  // namespace reverify::redis::detail
