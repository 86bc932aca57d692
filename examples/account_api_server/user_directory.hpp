#pragma once
/// @file
/// The server's users: who holds which access token, and their sign-in identifiers and password.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reverify::server {

/// One user as the routes see it (a snapshot copy; changing it changes nothing stored).
struct User {
  std::string id;
  std::string access_token;
  std::optional<std::string> username;
  std::optional<std::string> primary_email;  ///< as given; compared normalised
  std::optional<std::string> primary_phone;  ///< as given; compared normalised
  std::optional<std::string> password_hash;  ///< the stored hash (PHC string or legacy form)

  /// True when the user has a password, an email or a phone: then every change needs step-up.
  [[nodiscard]] bool has_credential() const noexcept {
    return password_hash.has_value() || primary_email.has_value() || primary_phone.has_value();
  }
};

/// What a change of an identifier came to.
enum class ChangeOutcome {
  done,
  no_such_user,
  already_in_use,       ///< another user holds the same normalised value
  last_sign_in_method,  ///< removing it would leave the user with no username, email or phone
};

/// The users of the process, in memory for its lifetime. Every method is thread-safe (one mutex);
/// reads return copies. Emails and phones are unique across users in normalised form.
class UserDirectory {
 public:
  /// Takes users already validated by the users file loader (unique ids, tokens, identifiers).
  explicit UserDirectory(std::vector<User> users);

  UserDirectory(const UserDirectory&) = delete;
  UserDirectory& operator=(const UserDirectory&) = delete;

  [[nodiscard]] std::optional<User> find_by_token(std::string_view token) const;
  [[nodiscard]] std::size_t size() const;

  /// Stores a new password hash while the user is still as the caller saw it: the hash equals
  /// `expected` and, with `require_no_credential`, the user still has no password, email or phone.
  /// Returns false (nothing changed) otherwise, or for an unknown user.
  bool set_password_hash(const std::string& user_id, const std::optional<std::string>& expected, std::string hash,
                         bool require_no_credential);
  /// Replaces the hash only while it is still `expected` (a rehash must not undo a concurrent
  /// password change). Returns whether it replaced.
  bool upgrade_password_hash(const std::string& user_id, const std::string& expected, std::string hash);

  /// Sets the primary email (`key` = its normalised form).
  [[nodiscard]] ChangeOutcome set_primary_email(const std::string& user_id, std::string email, std::string key);
  /// Sets the primary phone (`key` = its normalised form).
  [[nodiscard]] ChangeOutcome set_primary_phone(const std::string& user_id, std::string phone, std::string key);
  /// Clears the primary email unless it is the user's last identifier.
  [[nodiscard]] ChangeOutcome remove_primary_email(const std::string& user_id);
  /// Clears the primary phone unless it is the user's last identifier.
  [[nodiscard]] ChangeOutcome remove_primary_phone(const std::string& user_id);

 private:
  struct Entry {
    User user;
    std::string email_key;  // normalised primary email, or empty
    std::string phone_key;  // normalised primary phone, or empty
  };

  Entry* entry_locked(const std::string& user_id);
  ChangeOutcome set_identifier_locked(Entry& entry, bool email, std::string value, std::string key);

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_token_;
  std::unordered_map<std::string, std::size_t> by_email_;
  std::unordered_map<std::string, std::size_t> by_phone_;
};

}  // namespace reverify::server
