// Fuzzes the stored-password parsers: Argon2 PHC strings (core), and, with reverify::legacy,
// bcrypt strings, unsalted digests and Logto's Legacy JSON tuple (through to_stored_hash, which
// runs every parser and validator without computing a hash). None may crash; a parsed PHC
// string must survive a canonical round trip; an accepted value keeps its scheme prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reverify/phc.hpp"
#ifdef REVERIFY_HAS_LEGACY
#include "reverify/legacy/legacy_hasher.hpp"
#endif

namespace {

void fuzz_phc(std::string_view text) {
  const auto phc = reverify::parse_argon2_phc(text);
  if (!phc) return;
  if (phc->iterations < 1 || phc->parallelism < 1 || phc->salt.size() < 8 || phc->tag.size() < 4) std::abort();
  const std::string canonical = reverify::to_phc_string(*phc);
  const auto again = reverify::parse_argon2_phc(canonical);
  if (!again || again->variant != phc->variant || again->version != phc->version ||
      again->memory_kib != phc->memory_kib || again->iterations != phc->iterations ||
      again->parallelism != phc->parallelism || again->salt != phc->salt || again->tag != phc->tag) {
    std::abort();
  }
  if (reverify::to_phc_string(*again) != canonical) std::abort();
}

#ifdef REVERIFY_HAS_LEGACY
void fuzz_method(std::string_view method, std::string_view value, std::string_view prefix) {
  const auto stored = reverify::legacy::to_stored_hash(method, value);
  if (!stored) {
    if (stored.error().message().empty()) std::abort();
    return;
  }
  if (stored->compare(0, prefix.size(), prefix) != 0) std::abort();
  if (stored->compare(prefix.size(), std::string::npos, value) != 0) std::abort();
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzz_phc(text);
      break;
#ifdef REVERIFY_HAS_LEGACY
    case 1:
      fuzz_method("Bcrypt", text, "");
      break;
    case 2:
      fuzz_method("Legacy", text, "{LEGACY}");
      break;
    case 3:
      fuzz_method("MD5", text, "{MD5}");
      fuzz_method("Argon2id", text, "");
      break;
#endif
    default:
      fuzz_phc(text);
      break;
  }
  return 0;
}
