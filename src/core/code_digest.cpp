#include "code_digest.hpp"

#include <sodium.h>

#include <cstdint>
#include <initializer_list>

namespace reverify::detail {
namespace {

void absorb(crypto_generichash_state& state, std::string_view part) {
  const auto length = static_cast<std::uint64_t>(part.size());
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  crypto_generichash_update(&state, prefix, sizeof prefix);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
}

Digest keyed_digest(const Pepper& pepper, std::initializer_list<std::string_view> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, pepper.key().data(), pepper.key().size(), crypto_generichash_BYTES);
  for (const auto part : parts) absorb(state, part);
  Digest out{};
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

}  // namespace

Digest code_digest(const Pepper& pepper, std::string_view record_id, std::string_view code) {
  return keyed_digest(pepper, {"reverify.code.v1", record_id, code});
}

Digest binding_digest(const Pepper& pepper, std::string_view purpose, std::string_view binding) {
  return keyed_digest(pepper, {"reverify.binding.v1", purpose, binding});
}

}  // namespace reverify::detail

namespace reverify {

bool digests_equal(const Digest& a, const Digest& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace reverify
