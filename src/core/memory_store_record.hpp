#pragma once
/// @file
/// A verification record packed into one block of memory: a 48-byte header followed by its
/// strings and optional digests. Private to the memory store.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "reverify/record.hpp"
#include "reverify/result.hpp"

namespace reverify::detail {

/// The fixed part of a packed record; the variable part follows it in the same allocation:
/// id, user id, identifier, identifier key (omitted when equal to the identifier), purpose,
/// binding digest (if any), code digest (if any). Not thread-safe; guarded by the shard mutex.
class PackedRecord {
 public:
  /// The bytes `record` takes packed (header included). Errors: `store_unavailable` when a field
  /// is longer than the packed format holds (id 255 bytes, other strings 65535 bytes); the message
  /// names the field.
  [[nodiscard]] static Result<std::size_t> packed_size(const VerificationRecord& record);
  /// Packs a copy of `record` into `memory`, which holds `packed_size(record)` bytes and is
  /// suitably aligned. The record needs no destructor: its memory can simply be reused or freed.
  static PackedRecord* pack_into(void* memory, const VerificationRecord& record) noexcept;

  /// Unpacks into a full record.
  [[nodiscard]] VerificationRecord unpack() const;

  [[nodiscard]] std::string_view id() const noexcept { return {tail(), id_len_}; }
  [[nodiscard]] std::string_view user_id() const noexcept { return {tail() + id_len_, user_len_}; }
  [[nodiscard]] std::string_view identifier() const noexcept { return {tail() + id_len_ + user_len_, identifier_len_}; }
  [[nodiscard]] std::string_view identifier_key() const noexcept;
  [[nodiscard]] RecordKind kind() const noexcept { return static_cast<RecordKind>(kind_); }
  [[nodiscard]] TemplateType template_type() const noexcept { return static_cast<TemplateType>(template_); }
  [[nodiscard]] bool is_code() const noexcept { return kind() != RecordKind::password; }

  /// True when `record` would hold the same code slot: same user, kind, identifier key, template.
  [[nodiscard]] bool same_slot(const VerificationRecord& record) const noexcept;

  [[nodiscard]] bool live_at(std::int64_t now_ms) const noexcept { return now_ms < expires_ms_; }
  [[nodiscard]] std::int64_t expires_ms() const noexcept { return expires_ms_; }
  [[nodiscard]] bool verified() const noexcept { return (flags_ & flag_verified) != 0; }
  [[nodiscard]] bool retired() const noexcept { return (flags_ & flag_retired) != 0; }
  void set_verified() noexcept { flags_ = static_cast<std::uint8_t>(flags_ | flag_verified); }
  void set_retired() noexcept { flags_ = static_cast<std::uint8_t>(flags_ | flag_retired); }

  [[nodiscard]] std::uint32_t attempts() const noexcept { return attempts_; }
  void set_attempts(std::uint32_t attempts) noexcept { attempts_ = attempts; }
  [[nodiscard]] std::uint32_t use_count() const noexcept { return use_count_; }
  void set_use_count(std::uint32_t count) noexcept { use_count_ = count; }
  [[nodiscard]] std::uint32_t pepper_id() const noexcept { return pepper_id_; }
  /// Constant-time comparison with the code digest; false when the record has none.
  [[nodiscard]] bool code_digest_equals(const Digest& offered) const noexcept;
  [[nodiscard]] std::int64_t code_expires_ms() const noexcept { return code_expires_ms_; }

 private:
  static constexpr std::uint8_t flag_verified = 1;
  static constexpr std::uint8_t flag_retired = 2;
  static constexpr std::uint8_t flag_binding = 4;
  static constexpr std::uint8_t flag_code = 8;
  static constexpr std::uint8_t flag_key_is_identifier = 16;

  PackedRecord() = default;
  [[nodiscard]] const char* tail() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  [[nodiscard]] char* tail() noexcept { return reinterpret_cast<char*>(this + 1); }
  [[nodiscard]] std::size_t purpose_offset() const noexcept;
  [[nodiscard]] std::size_t digests_offset() const noexcept { return purpose_offset() + purpose_len_; }

  std::int64_t created_ms_ = 0;
  std::int64_t expires_ms_ = 0;
  std::int64_t code_expires_ms_ = 0;
  std::uint32_t pepper_id_ = 0;
  std::uint32_t attempts_ = 0;
  std::uint32_t use_count_ = 0;
  std::uint16_t user_len_ = 0;
  std::uint16_t identifier_len_ = 0;
  std::uint16_t key_len_ = 0;
  std::uint16_t purpose_len_ = 0;
  std::uint8_t id_len_ = 0;
  std::uint8_t kind_ = 0;
  std::uint8_t template_ = 0;
  std::uint8_t flags_ = 0;
};

static_assert(sizeof(PackedRecord) == 48, "the packed header is part of the bytes-per-record budget");
static_assert(std::is_trivially_destructible_v<PackedRecord>,
              "a packed record's memory is reused without a destructor");

}  // namespace reverify::detail
