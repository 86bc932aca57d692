#include "random_tokens.hpp"

#include <sodium.h>

#include <array>

namespace reverify::detail {
namespace {

constexpr char id_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr unsigned id_base = 36;
constexpr unsigned id_limit = 252;    // 7 * 36: bytes below it map uniformly onto base 36
constexpr unsigned code_limit = 250;  // 25 * 10

// Refills the pool when it runs dry; with 64 bytes for at most 33 characters that is rare
// (each byte is rejected with probability < 2 %).
class BytePool {
 public:
  BytePool() { refill(); }
  unsigned next() {
    if (pos_ == bytes_.size()) refill();
    return bytes_[pos_++];
  }
  ~BytePool() { sodium_memzero(bytes_.data(), bytes_.size()); }
  BytePool(const BytePool&) = delete;
  BytePool& operator=(const BytePool&) = delete;

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
  BytePool pool;
  std::string id(record_id_length, '0');
  for (char& c : id) {
    unsigned b = pool.next();
    while (b >= id_limit) b = pool.next();
    c = id_alphabet[b % id_base];
  }
  std::string code(code_length, '0');
  for (char& c : code) {
    unsigned b = pool.next();
    while (b >= code_limit) b = pool.next();
    c = static_cast<char>('0' + b % 10);
  }
  return Tokens{std::move(id), SecretString(std::move(code))};
}

}  // namespace reverify::detail
