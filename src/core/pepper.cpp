#include "reverify/pepper.hpp"

#include <sodium.h>

#include <cstring>

namespace reverify {

Result<Pepper> Pepper::from_bytes(std::uint32_t id, std::string_view bytes) {
  if (bytes.size() != size) {
    return fail(Errc::invalid_configuration, "a pepper must be exactly 32 bytes");
  }
  std::array<unsigned char, size> key{};
  std::memcpy(key.data(), bytes.data(), size);
  Pepper pepper(id, key);
  sodium_memzero(key.data(), key.size());
  return pepper;
}

Pepper Pepper::random(std::uint32_t id) {
  std::array<unsigned char, size> key{};
  randombytes_buf(key.data(), key.size());
  Pepper pepper(id, key);
  sodium_memzero(key.data(), key.size());
  return pepper;
}

Pepper::~Pepper() { sodium_memzero(key_.data(), key_.size()); }

}  // namespace reverify
