#include "reverify/secret_string.hpp"

#include <sodium.h>

#include <cstring>

namespace reverify {
namespace {

// Wipes a std::string's whole buffer, including capacity beyond size(), before it lets it go.
void wipe(std::string& s) noexcept {
  if (s.capacity() > 0) {  // NOLINT(clang-analyzer-cplusplus.Move): wiping a moved-from string is the point
    s.resize(s.capacity());
    sodium_memzero(s.data(), s.size());
  }
  s.clear();
}

}  // namespace

SecretString::SecretString(std::string_view secret) { assign(secret); }

// The moved-from string may still hold the bytes in its small buffer: wiping it is the point. A
// long secret is copied to a new block, which may throw; the caller's string is wiped then too.
SecretString::SecretString(std::string&& secret) {
  try {
    assign(secret);
  } catch (...) {
    wipe(secret);
    throw;
  }
  wipe(secret);
}

SecretString::SecretString(const SecretString& other) { assign(other.reveal()); }

SecretString::SecretString(SecretString&& other) noexcept { take(other); }

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    clear();
    assign(other.reveal());
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    clear();
    take(other);
  }
  return *this;
}

SecretString::~SecretString() { clear(); }

void SecretString::clear() noexcept {
  if (heap_) {
    sodium_memzero(heap_.get(), size_);
    heap_.reset();
  } else if (size_ > 0) {
    sodium_memzero(inline_, size_);
  }
  size_ = 0;
}

void SecretString::assign(std::string_view secret) {
  if (secret.size() > inline_capacity) {
    heap_ = std::make_unique<char[]>(secret.size());
    std::memcpy(heap_.get(), secret.data(), secret.size());
  } else if (!secret.empty()) {
    std::memcpy(inline_, secret.data(), secret.size());
  }
  size_ = secret.size();
}

void SecretString::take(SecretString& other) noexcept {
  if (other.heap_) {
    heap_ = std::move(other.heap_);
  } else if (other.size_ > 0) {
    std::memcpy(inline_, other.inline_, other.size_);
    sodium_memzero(other.inline_, other.size_);
  }
  size_ = other.size_;
  other.size_ = 0;
}

}  // namespace reverify
