#include "reverify/secret_string.hpp"

#include <sodium.h>

namespace reverify {
namespace {

// Wipes the whole buffer, including capacity beyond size(), before the string lets it go.
void wipe(std::string& s) noexcept {
  if (s.capacity() > 0) {  // NOLINT(clang-analyzer-cplusplus.Move): wiping a moved-from string is the point
    s.resize(s.capacity());
    sodium_memzero(s.data(), s.size());
  }
  s.clear();
}

}  // namespace

SecretString::SecretString(std::string_view secret) : value_(secret) {}

// The moved-from string may still hold the bytes in its small buffer: wiping it is the point.
SecretString::SecretString(std::string&& secret) : value_(std::move(secret)) {
  wipe(secret);  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
}

SecretString::SecretString(const SecretString& other) = default;

// A moved-from std::string keeps its small-buffer bytes; clear() wipes them.
SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.clear(); }

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    clear();
    value_ = other.value_;
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    clear();
    value_ = std::move(other.value_);
    other.clear();
  }
  return *this;
}

SecretString::~SecretString() { clear(); }

void SecretString::clear() noexcept { wipe(value_); }

}  // namespace reverify
