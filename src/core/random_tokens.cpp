#include "random_tokens.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace reverify::detail {
namespace {

constexpr char id_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr char digit_alphabet[] = "0123456789";

/// A random byte's character: byte b below `limit` maps to alphabet[b % base]. `limit` is the
/// largest multiple of `base` up to 256, so every character has the same number of bytes.
struct CharTable {
  std::array<char, 256> chars{};
  unsigned limit = 0;
};

template <std::size_t N>
constexpr CharTable make_table(const char (&alphabet)[N]) {
  constexpr unsigned base = N - 1;
  CharTable table;
  table.limit = 256 / base * base;
  for (unsigned b = 0; b < table.limit; ++b) table.chars[b] = alphabet[b % base];
  return table;
}

constexpr CharTable id_chars = make_table(id_alphabet);       // 36 characters, bytes below 252
constexpr CharTable code_chars = make_table(digit_alphabet);  // 10 digits, bytes below 250
static_assert(id_chars.limit == 252 && code_chars.limit == 250);

// Refills the pool when it runs dry; with 64 bytes for at most 33 characters that is rare
// (a byte is rejected with probability 4/256 for ids and 6/256 for digits).
class BytePool {
 public:
  BytePool() { refill(); }
  ~BytePool() { sodium_memzero(bytes_.data(), bytes_.size()); }
  BytePool(const BytePool&) = delete;
  BytePool& operator=(const BytePool&) = delete;

  /// Writes `count` characters, one per pool byte below the table's limit; bytes at or above it
  /// are dropped (rejection sampling keeps every character equally likely).
  void fill(char* out, std::size_t count, const CharTable& table) {
    // The position lives in a local: writes through `out` (a char pointer) could alias pos_ and
    // would force a reload per byte.
    std::size_t pos = pos_;
    while (count > 0) {
      if (pos == bytes_.size()) {
        refill();
        pos = 0;
      }
      const unsigned b = bytes_[pos++];
      if (b < table.limit) {
        *out++ = table.chars[b];
        --count;
      }
    }
    pos_ = pos;
  }

 private:
  void refill() {
    randombytes_buf(bytes_.data(), bytes_.size());
    pos_ = 0;
  }
  std::array<unsigned char, 64> bytes_{};
  std::size_t pos_ = 0;
};

}  // namespace

Tokens draw_tokens(std::size_t code_length) {
  // Never a shorter code than asked for: Policy::validate keeps code_length in range, so this is a
  // caller's bug, and it fails loudly (before drawing anything) rather than weakening codes.
  if (code_length > max_code_length) throw std::length_error("draw_tokens: code_length is above max_code_length");
  BytePool pool;
  std::string id(record_id_length, '0');
  pool.fill(id.data(), id.size(), id_chars);
  // The code goes straight into its SecretString; only this stack buffer held it besides.
  std::array<char, max_code_length> code{};
  pool.fill(code.data(), code_length, code_chars);
  Tokens tokens{std::move(id), SecretString(std::string_view(code.data(), code_length))};
  sodium_memzero(code.data(), code.size());
  return tokens;
}

}  // namespace reverify::detail
