#pragma once
// The fuzz targets' view of their input (tests/fuzz): read front to back as the choices that
// build structured inputs. Past the end every read is zero or empty, so any input is a complete
// choice and a committed seed keeps its meaning as a harness grows.

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace reverify::test {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  /// Whether everything has been read.
  [[nodiscard]] bool done() const noexcept { return at_ >= size_; }

  std::uint8_t byte() noexcept { return at_ < size_ ? data_[at_++] : 0; }

  /// Two bytes, big-endian.
  std::uint16_t u16() noexcept {
    const std::uint8_t high = byte();
    return static_cast<std::uint16_t>(high << 8U | byte());
  }

  /// Eight bytes, big-endian.
  std::uint64_t u64() noexcept {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = value << 8U | byte();
    return value;
  }

  /// One of `count` choices.
  std::size_t pick(std::size_t count) noexcept {
    assert(count > 0);
    return byte() % count;
  }

  /// Up to `max` raw bytes, the length taken from the input.
  std::string text(std::size_t max) {
    const std::size_t length = std::min<std::size_t>(byte() % (max + 1), remaining());
    std::string out(reinterpret_cast<const char*>(data_ + at_), length);
    at_ += length;
    return out;
  }

  /// Up to `max` characters of `alphabet`, one byte each.
  std::string word(std::string_view alphabet, std::size_t max) {
    assert(!alphabet.empty());
    std::string out(byte() % (max + 1), '\0');
    for (char& c : out) c = alphabet[byte() % alphabet.size()];
    return out;
  }

  /// Everything not read yet.
  std::string rest() {
    std::string out(reinterpret_cast<const char*>(data_ + at_), remaining());
    at_ = size_;
    return out;
  }

 private:
  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - std::min(at_, size_); }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

/// A secret the harness plants: `prefix` (letters that are not hex digits) and eight fuzz-chosen
/// hex digits, so no fixed error text holds one by chance.
inline std::string hex_token(FuzzInput& in, std::string_view prefix) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out(prefix);
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t b = in.byte();
    out.push_back(hex[b >> 4U]);
    out.push_back(hex[b & 0x0fU]);
  }
  return out;
}

/// One of `choices`, by a fuzz byte.
template <class T, std::size_t N>
const T& pick(const std::array<T, N>& choices, std::uint8_t index) {
  return choices[index % N];
}

}  // namespace reverify::test
