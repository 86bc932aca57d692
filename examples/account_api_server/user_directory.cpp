#include "user_directory.hpp"

#include <utility>

#include "reverify/identifier.hpp"

namespace reverify::server {
namespace {

std::string key_of(const std::optional<std::string>& value, reverify::IdentifierType type) {
  if (!value) return {};
  auto key = reverify::normalize_identifier(reverify::Identifier{type, *value});
  return key ? *key : std::string();
}

}  // namespace

UserDirectory::UserDirectory(std::vector<User> users) {
  entries_.reserve(users.size());
  for (auto& user : users) {
    Entry entry;
    entry.email_key = key_of(user.primary_email, reverify::IdentifierType::email);
    entry.phone_key = key_of(user.primary_phone, reverify::IdentifierType::phone);
    entry.user = std::move(user);
    const std::size_t index = entries_.size();
    by_id_.emplace(entry.user.id, index);
    by_token_.emplace(entry.user.access_token, index);
    if (!entry.email_key.empty()) by_email_.emplace(entry.email_key, index);
    if (!entry.phone_key.empty()) by_phone_.emplace(entry.phone_key, index);
    entries_.push_back(std::move(entry));
  }
}

std::optional<User> UserDirectory::find_by_token(std::string_view token) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_token_.find(std::string(token));
  if (it == by_token_.end()) return std::nullopt;
  return entries_[it->second].user;
}

std::size_t UserDirectory::size() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

UserDirectory::Entry* UserDirectory::entry_locked(const std::string& user_id) {
  const auto it = by_id_.find(user_id);
  return it == by_id_.end() ? nullptr : &entries_[it->second];
}

bool UserDirectory::set_password_hash(const std::string& user_id, const std::optional<std::string>& expected,
                                      std::string hash, bool require_no_credential) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  // The step-up decision was made on the caller's snapshot: refuse if the user changed since
  // (two racing "first password" requests must not both skip step-up).
  if (entry == nullptr || entry->user.password_hash != expected) return false;
  if (require_no_credential && entry->user.has_credential()) return false;
  entry->user.password_hash = std::move(hash);
  return true;
}

bool UserDirectory::upgrade_password_hash(const std::string& user_id, const std::string& expected, std::string hash) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  if (entry == nullptr || entry->user.password_hash != expected) return false;
  entry->user.password_hash = std::move(hash);
  return true;
}

ChangeOutcome UserDirectory::set_identifier_locked(Entry& entry, bool email, std::string value, std::string key) {
  auto& index = email ? by_email_ : by_phone_;
  auto& current_key = email ? entry.email_key : entry.phone_key;
  const std::size_t self = by_id_.at(entry.user.id);
  const auto holder = index.find(key);
  if (holder != index.end() && holder->second != self) return ChangeOutcome::already_in_use;
  if (!current_key.empty()) index.erase(current_key);
  index[key] = self;
  current_key = std::move(key);
  (email ? entry.user.primary_email : entry.user.primary_phone) = std::move(value);
  return ChangeOutcome::done;
}

ChangeOutcome UserDirectory::set_primary_email(const std::string& user_id, std::string email, std::string key) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  if (entry == nullptr) return ChangeOutcome::no_such_user;
  return set_identifier_locked(*entry, true, std::move(email), std::move(key));
}

ChangeOutcome UserDirectory::set_primary_phone(const std::string& user_id, std::string phone, std::string key) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  if (entry == nullptr) return ChangeOutcome::no_such_user;
  return set_identifier_locked(*entry, false, std::move(phone), std::move(key));
}

ChangeOutcome UserDirectory::remove_primary_email(const std::string& user_id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  if (entry == nullptr) return ChangeOutcome::no_such_user;
  if (!entry->user.primary_email) return ChangeOutcome::done;
  if (!entry->user.username && !entry->user.primary_phone) return ChangeOutcome::last_sign_in_method;
  by_email_.erase(entry->email_key);
  entry->email_key.clear();
  entry->user.primary_email.reset();
  return ChangeOutcome::done;
}

ChangeOutcome UserDirectory::remove_primary_phone(const std::string& user_id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = entry_locked(user_id);
  if (entry == nullptr) return ChangeOutcome::no_such_user;
  if (!entry->user.primary_phone) return ChangeOutcome::done;
  if (!entry->user.username && !entry->user.primary_email) return ChangeOutcome::last_sign_in_method;
  by_phone_.erase(entry->phone_key);
  entry->phone_key.clear();
  entry->user.primary_phone.reset();
  return ChangeOutcome::done;
}

}  // namespace reverify::server
