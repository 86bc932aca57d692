#include "bcrypt.hpp"

#include <crypt.h>
#include <sodium.h>

#include <cerrno>
#include <memory>
#include <string>

#include "legacy_algorithms.hpp"

namespace reverify::legacy {
namespace {

constexpr std::size_t bcrypt_length = 60;
constexpr std::size_t bcrypt_key_bytes = 72;
constexpr int max_cost = 16;

bool bcrypt_char(char c) {
  return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

Result<void> check_bcrypt(std::string_view s) {
  if (s.size() != bcrypt_length || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' ||
      (s[2] != 'a' && s[2] != 'b' && s[2] != 'y')) {
    return fail(Errc::invalid_input, "bcrypt: not a $2a$/$2b$/$2y$ string of 60 characters");
  }
  if (s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9')
    return fail(Errc::invalid_input, "bcrypt: cost is not two digits");
  const int cost = (s[4] - '0') * 10 + (s[5] - '0');
  if (cost < 4 || cost > max_cost) return fail(Errc::invalid_input, "bcrypt: cost outside 4..16");
  for (std::size_t i = 7; i < s.size(); ++i) {
    if (!bcrypt_char(s[i])) return fail(Errc::invalid_input, "bcrypt: salt or hash is not bcrypt base64");
  }
  return {};
}

Result<bool> bcrypt_matches(std::string_view password, std::string_view stored) {
  // crypt_rn would stop at a NUL, so "abc\0anything" would match the hash of "abc": such a
  // password never matches.
  if (password.find('\0') != std::string_view::npos) return false;
  // crypt_rn takes C strings; bcrypt reads at most 72 bytes of key, so truncating first keeps its
  // result and stays under libxcrypt's 512-byte passphrase limit.
  std::string phrase(password.substr(0, bcrypt_key_bytes));
  const std::string setting(stored);
  auto data = std::make_unique<crypt_data>();
  errno = 0;
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  sodium_memzero(phrase.data(), phrase.size());
  if (out == nullptr || out[0] == '*') {
    const bool oom = errno == ENOMEM;
    sodium_memzero(data.get(), sizeof(crypt_data));
    if (oom) return fail(Errc::hasher_unavailable, "bcrypt: out of memory");
    return fail(Errc::invalid_input, "bcrypt: libxcrypt rejected the stored setting");
  }
  const bool equal = equal_constant_time(out, stored);
  sodium_memzero(data.get(), sizeof(crypt_data));
  return equal;
}

}  // namespace reverify::legacy
