// Fuzzes identifier normalisation: it must never crash, and a normalised value must be a fixed
// point (normalising it again changes nothing) made only of allowed characters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "reverify/identifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto type = (data[0] & 1) ? reverify::IdentifierType::phone : reverify::IdentifierType::email;
  const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto normalized = reverify::normalize_identifier({type, value});
  if (!normalized) return 0;
  const auto again = reverify::normalize_identifier({type, *normalized});
  if (!again || *again != *normalized) std::abort();
  for (const char c : *normalized) {
    if (type == reverify::IdentifierType::phone && (c < '0' || c > '9')) std::abort();
    if (type == reverify::IdentifierType::email && (c == ' ' || (c >= 'A' && c <= 'Z'))) std::abort();
  }
  return 0;
}
