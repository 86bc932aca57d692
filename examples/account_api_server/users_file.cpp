#include "users_file.hpp"

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include "json_util.hpp"
#include "one_line.hpp"
#include "reverify/identifier.hpp"
#include "reverify/secret_string.hpp"

#ifdef REVERIFY_SERVER_HAS_LEGACY
#include "reverify/legacy/legacy_hasher.hpp"
#endif

namespace reverify::server {
namespace {

const std::set<std::string> known_keys = {"id",           "accessToken",  "username",
                                          "password",     "passwordHash", "passwordEncryptionMethod",
                                          "primaryEmail", "primaryPhone"};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A field that may be absent or null; a wrong type is an error.
bool read_optional(const Json& object, const char* key, std::optional<std::string>& out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

tl::expected<std::string, std::string> stored_hash_of(const std::optional<std::string>& method,
                                                      const std::string& hash) {
#ifdef REVERIFY_SERVER_HAS_LEGACY
  // Without a method, a PHC string says what it is (Logto's default method is Argon2i).
  std::string_view logto_method;
  if (method) {
    logto_method = *method;
  } else if (starts_with(hash, "$argon2")) {
    logto_method = "Argon2i";
  } else if (starts_with(hash, "$2a$") || starts_with(hash, "$2b$") || starts_with(hash, "$2y$")) {
    logto_method = "Bcrypt";
  } else {
    return tl::unexpected(
        std::string("passwordHash must be an Argon2 or bcrypt string, "
                    "or come with passwordEncryptionMethod"));
  }
  auto stored = reverify::legacy::to_stored_hash(logto_method, hash);
  if (!stored) return tl::unexpected("passwordHash/passwordEncryptionMethod: " + stored.error().message());
  return *stored;
#else
  if (!method) {
    if (starts_with(hash, "$argon2id$") || starts_with(hash, "$argon2i$")) return hash;
    return tl::unexpected(
        std::string("passwordHash must be an Argon2 PHC string ($argon2id$… or $argon2i$…), "
                    "or come with passwordEncryptionMethod"));
  }
  if ((*method == "Argon2i" && starts_with(hash, "$argon2i$")) ||
      (*method == "Argon2id" && starts_with(hash, "$argon2id$"))) {
    return hash;
  }
  return tl::unexpected("passwordEncryptionMethod " + dump_json(*method) +
                        " is not supported by this build (only Argon2i and Argon2id PHC strings; "
                        "the reverify::legacy component adds Logto's other methods)");
#endif
}

tl::expected<User, std::string> parse_user(Json& entry, reverify::PasswordHasher& hasher) {
  if (!entry.is_object()) return tl::unexpected(std::string("is not an object"));
  for (const auto& item : entry.items()) {
    if (known_keys.count(item.key()) == 0) return tl::unexpected("unknown field " + dump_json(item.key()));
  }
  User user;
  if (read_string(entry, "id", user.id) != FieldState::ok || user.id.empty()) {
    return tl::unexpected(std::string("id must be a non-empty string"));
  }
  if (read_string(entry, "accessToken", user.access_token) != FieldState::ok || user.access_token.empty()) {
    return tl::unexpected(std::string("accessToken must be a non-empty string"));
  }
  if (!read_optional(entry, "username", user.username)) return tl::unexpected(std::string("username must be a string"));
  if (!read_optional(entry, "primaryEmail", user.primary_email)) {
    return tl::unexpected(std::string("primaryEmail must be a string"));
  }
  if (!read_optional(entry, "primaryPhone", user.primary_phone)) {
    return tl::unexpected(std::string("primaryPhone must be a string"));
  }
  if (user.primary_email && !reverify::normalize_identifier(reverify::Identifier::email(*user.primary_email))) {
    return tl::unexpected(std::string("primaryEmail is not a valid email address"));
  }
  if (user.primary_phone && !reverify::normalize_identifier(reverify::Identifier::phone(*user.primary_phone))) {
    return tl::unexpected(std::string("primaryPhone is not a valid phone number"));
  }

  std::optional<std::string> hash;
  std::optional<std::string> method;
  if (!read_optional(entry, "passwordHash", hash)) return tl::unexpected(std::string("passwordHash must be a string"));
  if (!read_optional(entry, "passwordEncryptionMethod", method)) {
    return tl::unexpected(std::string("passwordEncryptionMethod must be a string"));
  }
  reverify::SecretString password;
  const bool has_password = entry.contains("password") && !entry["password"].is_null();
  if (has_password && take_secret(entry, "password", password) != FieldState::ok) {
    return tl::unexpected(std::string("password must be a string"));
  }
  if (has_password && hash) return tl::unexpected(std::string("give either password or passwordHash, not both"));
  if (method && !hash) return tl::unexpected(std::string("passwordEncryptionMethod needs passwordHash"));
  if (has_password) {
    if (password.empty()) return tl::unexpected(std::string("password must not be empty"));
    auto hashed = hasher.hash(password);
    if (!hashed) return tl::unexpected("could not hash the password: " + hashed.error().message());
    user.password_hash = std::move(*hashed);
  } else if (hash) {
    auto stored = stored_hash_of(method, *hash);
    if (!stored) return tl::unexpected(stored.error());
    user.password_hash = std::move(*stored);
  }
  return user;
}

}  // namespace

tl::expected<std::vector<User>, std::string> parse_users_json(std::string_view text, reverify::PasswordHasher& hasher) {
  Json root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return tl::unexpected(std::string("not valid JSON"));
  if (!root.is_object() || !root.contains("users") || !root["users"].is_array()) {
    return tl::unexpected(std::string("expected an object with a \"users\" array"));
  }
  std::vector<User> users;
  std::set<std::string> ids;
  std::set<std::string> tokens;
  std::set<std::string> emails;
  std::set<std::string> phones;
  std::size_t index = 0;
  for (auto& entry : root["users"]) {
    ++index;
    auto user = parse_user(entry, hasher);
    std::string where = "user #" + std::to_string(index);
    if (!user) return tl::unexpected(where + ": " + user.error());
    where += " (id " + dump_json(user->id) + ")";
    if (!ids.insert(user->id).second) return tl::unexpected(where + ": duplicate id");
    if (!tokens.insert(user->access_token).second) return tl::unexpected(where + ": duplicate accessToken");
    if (user->primary_email &&
        !emails.insert(*reverify::normalize_identifier(reverify::Identifier::email(*user->primary_email))).second) {
      return tl::unexpected(where + ": primaryEmail already belongs to another user");
    }
    if (user->primary_phone &&
        !phones.insert(*reverify::normalize_identifier(reverify::Identifier::phone(*user->primary_phone))).second) {
      return tl::unexpected(where + ": primaryPhone already belongs to another user");
    }
    users.push_back(std::move(*user));
  }
  return users;
}

tl::expected<std::vector<User>, std::string> load_users_file(const std::string& path,
                                                             reverify::PasswordHasher& hasher) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("cannot read users file " + one_line(path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return tl::unexpected("cannot read users file " + one_line(path));
  auto users = parse_users_json(text.str(), hasher);
  if (!users) return tl::unexpected("users file " + one_line(path) + ": " + users.error());
  return users;
}

}  // namespace reverify::server
