#include "reverify/phc.hpp"

#include <sodium.h>

#include <cstddef>
#include <optional>

namespace reverify {
namespace {

constexpr std::size_t max_text = 4096;
constexpr std::size_t max_bytes = 1024;
constexpr std::uint32_t max_lanes = 0xFFFFFFU;

tl::unexpected<Error> bad(const char* what) { return fail(Errc::invalid_input, std::string("PHC string: ") + what); }

std::optional<std::uint32_t> parse_u32(std::string_view digits) {
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10U + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 0xFFFFFFFFULL) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::optional<std::vector<std::uint8_t>> parse_b64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.empty() || text.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out(text.size() * 3 / 4 + 1);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string to_b64(const std::vector<std::uint8_t>& bytes) {
  const std::size_t size = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  out.resize(size - 1);  // drop the terminating NUL
  return out;
}

// Splits off the next '$'-delimited field; `rest` keeps what follows the delimiter.
std::string_view next_field(std::string_view& rest) {
  const std::size_t cut = rest.find('$');
  const std::string_view field = rest.substr(0, cut);
  rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
  return field;
}

}  // namespace

std::string_view argon2_variant_name(Argon2Variant variant) noexcept {
  switch (variant) {
    case Argon2Variant::argon2d:
      return "argon2d";
    case Argon2Variant::argon2i:
      return "argon2i";
    case Argon2Variant::argon2id:
      return "argon2id";
  }
  return "argon2id";
}

Result<Argon2Phc> parse_argon2_phc(std::string_view text) {
  if (text.size() > max_text) return bad("too long");
  if (text.empty() || text.front() != '$') return bad("missing leading '$'");
  std::string_view rest = text.substr(1);
  Argon2Phc phc;

  const std::string_view id = next_field(rest);
  if (id == "argon2id") {
    phc.variant = Argon2Variant::argon2id;
  } else if (id == "argon2i") {
    phc.variant = Argon2Variant::argon2i;
  } else if (id == "argon2d") {
    phc.variant = Argon2Variant::argon2d;
  } else {
    return bad("unknown identifier");
  }

  std::string_view field = next_field(rest);
  phc.version = 0x10;
  if (field.substr(0, 2) == "v=") {
    const auto version = parse_u32(field.substr(2));
    if (!version || (*version != 16 && *version != 19)) return bad("unsupported version");
    phc.version = *version == 19 ? 0x13U : 0x10U;
    field = next_field(rest);
  }

  bool seen_m = false;
  bool seen_t = false;
  bool seen_p = false;
  bool seen_data = false;
  std::string_view params = field;
  while (true) {
    const std::size_t comma = params.find(',');
    const std::string_view item = params.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("parameter without '='");
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "m" || key == "t" || key == "p") {
      bool& seen = key == "m" ? seen_m : key == "t" ? seen_t : seen_p;
      if (seen) return bad("repeated parameter");
      seen = true;
      const auto number = parse_u32(value);
      if (!number) return bad("parameter is not a 32-bit decimal");
      (key == "m" ? phc.memory_kib : key == "t" ? phc.iterations : phc.parallelism) = *number;
    } else if (key == "keyid") {
      if (phc.has_key_id) return bad("repeated parameter");
      phc.has_key_id = true;
    } else if (key == "data") {
      if (seen_data) return bad("repeated parameter");
      seen_data = true;
      auto data = parse_b64(value);
      if (!data || data->size() > max_bytes) return bad("invalid data parameter");
      phc.associated_data = std::move(*data);
    } else {
      return bad("unknown parameter");
    }
    if (comma == std::string_view::npos) break;
    params.remove_prefix(comma + 1);
  }
  if (!seen_m || !seen_t || !seen_p) return bad("missing m, t or p");
  if (phc.iterations < 1) return bad("t below 1");
  if (phc.parallelism < 1 || phc.parallelism > max_lanes) return bad("p out of range");
  if (static_cast<std::uint64_t>(phc.memory_kib) < 8ULL * phc.parallelism) return bad("m below 8 * p");

  const std::size_t dollar = rest.find('$');
  if (dollar == std::string_view::npos) return bad("missing salt or hash");
  const std::string_view salt_text = rest.substr(0, dollar);
  const std::string_view tag_text = rest.substr(dollar + 1);
  if (tag_text.find('$') != std::string_view::npos) return bad("trailing fields");
  auto salt = parse_b64(salt_text);
  if (!salt || salt->size() < 8 || salt->size() > max_bytes) return bad("invalid salt");
  auto tag = parse_b64(tag_text);
  if (!tag || tag->size() < 4 || tag->size() > max_bytes) return bad("invalid hash");
  phc.salt = std::move(*salt);
  phc.tag = std::move(*tag);
  return phc;
}

std::string to_phc_string(const Argon2Phc& phc) {
  std::string out;
  out.reserve(64 + phc.salt.size() * 2 + phc.tag.size() * 2);
  out += '$';
  out += argon2_variant_name(phc.variant);
  out += phc.version == 0x13 ? "$v=19" : "$v=16";
  out += "$m=" + std::to_string(phc.memory_kib) + ",t=" + std::to_string(phc.iterations) +
         ",p=" + std::to_string(phc.parallelism) + '$';
  out += to_b64(phc.salt);
  out += '$';
  out += to_b64(phc.tag);
  return out;
}

}  // namespace reverify
