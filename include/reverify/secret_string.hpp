#pragma once
/// @file
/// A string that holds a secret (a password or a one-time code).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "reverify/export.hpp"

namespace reverify {

/// Owns a secret. Its bytes are wiped (sodium_memzero) when it is destroyed, moved from or
/// reassigned. It has no stream operator and formats as "[redacted]" (reverify/fmt.hpp), so a
/// stray log line cannot print it. Read it only through `reveal()`. Not thread-safe to mutate.
///
/// Secrets up to `inline_capacity` bytes (every code, most passwords) are held inside the object;
/// longer ones in one heap block of their exact size. Neither kind ever holds stale bytes beyond
/// `size()`, so a wipe covers `size()` bytes and an empty secret costs nothing to wipe.
class REVERIFY_API SecretString {
 public:
  SecretString() = default;
  /// Copies the secret in. Wipe your own copy when you can.
  explicit SecretString(std::string_view secret);
  /// Takes the string and wipes the moved-from original's buffer.
  explicit SecretString(std::string&& secret);
  /// Copies a C string in.
  explicit SecretString(const char* secret) : SecretString(std::string_view(secret)) {}
  SecretString(const SecretString& other);
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(const SecretString& other);
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  /// The secret itself. The view is valid while this object lives and is not modified.
  [[nodiscard]] std::string_view reveal() const noexcept { return {data(), size_}; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Wipes and empties.
  void clear() noexcept;

  static constexpr std::size_t inline_capacity = 48;

 private:
  [[nodiscard]] const char* data() const noexcept { return heap_ ? heap_.get() : inline_; }
  /// Copies `secret` in; `*this` must be empty.
  void assign(std::string_view secret);
  /// Takes `other`'s secret and leaves `other` empty and wiped; `*this` must be empty.
  void take(SecretString& other) noexcept;

  std::unique_ptr<char[]> heap_;  // null while the secret fits inline_
  std::size_t size_ = 0;
  char inline_[inline_capacity] = {};
};

}  // namespace reverify
