#pragma once
/// @file
/// SipHash (Aumasson and Bernstein) with a chosen number of compression (C) and finalisation (D)
/// rounds. The memory store indexes client-chosen keys with SipHash-1-3 under a random key, as
/// Rust's and CPython's hash tables do: flooding resistance needs a keyed PRF on short inputs,
/// and 1-3 costs about half of libsodium's SipHash-2-4 on the ~30-byte keys of each store step.
/// SipHash-2-4 from the same code is tested against libsodium's `crypto_shorthash`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace reverify::detail {

class SipKey {
 public:
  /// `bytes` as the 16-byte key of the SipHash paper (two little-endian words).
  explicit SipKey(const std::array<unsigned char, 16>& bytes) noexcept
      : k0_(load(bytes.data(), 8)), k1_(load(bytes.data() + 8, 8)) {}

  template <int C, int D>
  [[nodiscard]] std::uint64_t hash(std::string_view bytes) const noexcept {
    State s{0x736f6d6570736575ULL ^ k0_, 0x646f72616e646f6dULL ^ k1_, 0x6c7967656e657261ULL ^ k0_,
            0x7465646279746573ULL ^ k1_};
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    const std::size_t whole = n - n % 8;
    for (std::size_t i = 0; i < whole; i += 8) s.absorb<C>(load(in + i, 8));
    s.absorb<C>((static_cast<std::uint64_t>(n) << 56) | load(in + whole, n - whole));
    s.v2 ^= 0xff;
    for (int i = 0; i < D; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  }

 private:
  struct State {
    std::uint64_t v0, v1, v2, v3;

    static constexpr std::uint64_t rotl(std::uint64_t x, unsigned b) noexcept { return (x << b) | (x >> (64 - b)); }
    void round() noexcept {
      v0 += v1;
      v1 = rotl(v1, 13);
      v1 ^= v0;
      v0 = rotl(v0, 32);
      v2 += v3;
      v3 = rotl(v3, 16);
      v3 ^= v2;
      v0 += v3;
      v3 = rotl(v3, 21);
      v3 ^= v0;
      v2 += v1;
      v1 = rotl(v1, 17);
      v1 ^= v2;
      v2 = rotl(v2, 32);
    }
    template <int C>
    void absorb(std::uint64_t m) noexcept {
      v3 ^= m;
      for (int i = 0; i < C; ++i) round();
      v0 ^= m;
    }
  };

  /// Up to 8 bytes as a little-endian word.
  static std::uint64_t load(const unsigned char* p, std::size_t count) noexcept {
    if (count == 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      word = __builtin_bswap64(word);
#endif
      return word;
    }
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < count; ++i) word |= std::uint64_t{p[i]} << (8 * i);
    return word;
  }

  std::uint64_t k0_;
  std::uint64_t k1_;
};

}  // namespace reverify::detail
