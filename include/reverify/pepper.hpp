#pragma once
/// @file
/// Server-side keys for code digests.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "reverify/export.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// A 32-byte secret key, with an id stored beside each digest so peppers can rotate: new codes
/// use the newest pepper, live codes keep verifying with the one they were made with. The key is
/// wiped on destruction and never printed.
class REVERIFY_API Pepper {
 public:
  static constexpr std::size_t size = 32;

  /// From exactly 32 bytes. Errors: `Errc::invalid_configuration` (wrong length).
  [[nodiscard]] static Result<Pepper> from_bytes(std::uint32_t id, std::string_view bytes);
  /// 32 fresh bytes from libsodium's CSPRNG: codes then do not survive a restart.
  [[nodiscard]] static Pepper random(std::uint32_t id);

  Pepper(const Pepper& other) = default;
  Pepper& operator=(const Pepper& other) = default;
  ~Pepper();

  [[nodiscard]] std::uint32_t id() const noexcept { return id_; }
  /// The key bytes; for the library's digest code only.
  [[nodiscard]] const std::array<unsigned char, size>& key() const noexcept { return key_; }

 private:
  Pepper(std::uint32_t id, const std::array<unsigned char, size>& key) noexcept : id_(id), key_(key) {}
  std::uint32_t id_;
  std::array<unsigned char, size> key_;
};

/// The peppers a manager knows: `current` keys new digests; `previous` ones still verify.
struct REVERIFY_API PepperRing {
  std::vector<Pepper> peppers;  ///< peppers[0] is current; ids must be unique
};

}  // namespace reverify
