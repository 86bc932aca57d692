#pragma once
/// @file
/// A string that holds a secret (a password or a one-time code).

#include <cstddef>
#include <string>
#include <string_view>

#include "reverify/export.hpp"

namespace reverify {

/// Owns a secret. Its bytes are wiped (sodium_memzero) when it is destroyed, moved from or
/// reassigned. It has no stream operator and formats as "[redacted]" (reverify/fmt.hpp), so a
/// stray log line cannot print it. Read it only through `reveal()`. Not thread-safe to mutate.
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
  [[nodiscard]] std::string_view reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return value_.size(); }
  /// Wipes and empties.
  void clear() noexcept;

 private:
  std::string value_;
};

}  // namespace reverify
