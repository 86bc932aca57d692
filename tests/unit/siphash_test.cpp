#include <sodium.h>

#include <array>
#include <catch2/catch.hpp>
#include <string>

#include "siphash.hpp"

using reverify::detail::SipKey;

namespace {

std::array<unsigned char, 16> counting_key() {
  std::array<unsigned char, 16> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i);
  return key;
}

std::uint64_t libsodium_siphash24(const std::array<unsigned char, 16>& key, const std::string& message) {
  std::array<unsigned char, crypto_shorthash_BYTES> out{};
  crypto_shorthash(out.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data());
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < out.size(); ++i) value |= std::uint64_t{out[i]} << (8 * i);
  return value;
}

}  // namespace

TEST_CASE("SipHash-2-4 gives the paper's test vector") {
  // Appendix A of the SipHash paper: key 00..0f, message 00..0e.
  std::string message;
  for (int i = 0; i < 15; ++i) message.push_back(static_cast<char>(i));
  CHECK(SipKey(counting_key()).hash<2, 4>(message) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("SipHash-2-4 agrees with libsodium's crypto_shorthash for every length up to 80 bytes") {
  REQUIRE(sodium_init() >= 0);
  for (int round = 0; round < 8; ++round) {
    std::array<unsigned char, 16> key{};
    randombytes_buf(key.data(), key.size());
    std::string message(80, '\0');
    randombytes_buf(message.data(), message.size());
    const SipKey sip(key);
    for (std::size_t n = 0; n <= message.size(); ++n) {
      const std::string prefix = message.substr(0, n);
      INFO("length " << n);
      CHECK(sip.hash<2, 4>(prefix) == libsodium_siphash24(key, prefix));
    }
  }
}

TEST_CASE("SipHash-1-3 depends on the key and on every byte") {
  REQUIRE(sodium_init() >= 0);
  std::array<unsigned char, 16> key_a{};
  std::array<unsigned char, 16> key_b{};
  randombytes_buf(key_a.data(), key_a.size());
  key_b = key_a;
  key_b[15] ^= 1U;
  const SipKey a(key_a);
  const SipKey b(key_b);
  const std::string message = "send:email:someone@example.com";
  CHECK(a.hash<1, 3>(message) == a.hash<1, 3>(message));
  CHECK(a.hash<1, 3>(message) != b.hash<1, 3>(message));
  CHECK(a.hash<1, 3>(message) != a.hash<2, 4>(message));
  for (std::size_t i = 0; i < message.size(); ++i) {
    std::string flipped = message;
    flipped[i] = static_cast<char>(flipped[i] ^ 1);
    CHECK(a.hash<1, 3>(flipped) != a.hash<1, 3>(message));
  }
  // The length is part of the input: a trailing zero byte is not padding.
  CHECK(a.hash<1, 3>(std::string("abc")) != a.hash<1, 3>(std::string("abc\0", 4)));
}
