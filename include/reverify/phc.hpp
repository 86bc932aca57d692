#pragma once
/// @file
/// A strict decoder and encoder for Argon2 PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reverify/export.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// The Argon2 variant named by a PHC string's identifier.
enum class Argon2Variant : std::uint8_t {
  argon2d,   ///< `$argon2d$`
  argon2i,   ///< `$argon2i$`
  argon2id,  ///< `$argon2id$`
};

/// A decoded Argon2 PHC string. Holds a salt and a tag: treat it as a secret (never log it).
struct REVERIFY_API Argon2Phc {
  Argon2Variant variant = Argon2Variant::argon2id;
  std::uint32_t version = 0x13;               ///< 0x13 (`v=19`) or 0x10 (`v=16`, or no `v=` at all)
  std::uint32_t memory_kib = 0;               ///< `m=`: memory in KiB, at least 8 × parallelism
  std::uint32_t iterations = 0;               ///< `t=`: passes, at least 1
  std::uint32_t parallelism = 0;              ///< `p=`: lanes, 1 … 2^24 − 1
  std::vector<std::uint8_t> salt;             ///< 8 … 1024 bytes
  std::vector<std::uint8_t> tag;              ///< the hash output, 4 … 1024 bytes
  std::vector<std::uint8_t> associated_data;  ///< `data=` (optional), at most 1024 bytes
  bool has_key_id = false;                    ///< `keyid=` present: the hash needs a secret key we do not have
};

/// Decodes `$argon2{d,i,id}$[v=16|v=19$]<params>$<salt>$<tag>`. Parameters `m`, `t`, `p` (each
/// exactly once, any order) plus optional `keyid` and `data`; salt, tag and data in unpadded
/// standard base64 (trailing `=` padding is tolerated). Limits follow the Argon2 specification,
/// with salt, tag and data capped at 1024 bytes and the whole string at 4096 characters.
/// Errors: `Errc::invalid_input` whose message names the part that is wrong, never its content.
/// Thread-safe (pure function).
[[nodiscard]] REVERIFY_API Result<Argon2Phc> parse_argon2_phc(std::string_view text);

/// Encodes `phc` in canonical form: `$<variant>$v=<16|19>$m=…,t=…,p=…$<salt>$<tag>` with
/// unpadded base64; `v=` is always written. `keyid`/`data` are not written. Thread-safe.
[[nodiscard]] REVERIFY_API std::string to_phc_string(const Argon2Phc& phc);

/// The PHC identifier of a variant: "argon2d", "argon2i" or "argon2id".
[[nodiscard]] REVERIFY_API std::string_view argon2_variant_name(Argon2Variant variant) noexcept;

}  // namespace reverify
