#include "json_util.hpp"

#include <algorithm>
#include <utility>

namespace reverify::server {
namespace {

// nlohmann's parser is recursive: bound the depth before parsing so a body of 64 KiB of '['
// cannot exhaust a handler thread's stack.
bool nesting_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

std::optional<Json> parse_object(std::string_view body) {
  if (is_blank(body)) return Json::object();
  if (!nesting_within(body, max_json_depth)) return std::nullopt;
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

std::string dump_json(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

FieldState read_string(const Json& object, const char* key, std::string& out) {
  const auto it = object.find(key);
  if (it == object.end()) return FieldState::absent;
  if (!it->is_string()) return FieldState::wrong_type;
  out = it->get_ref<const std::string&>();
  return FieldState::ok;
}

FieldState take_secret(Json& object, const char* key, reverify::SecretString& out) {
  const auto it = object.find(key);
  if (it == object.end()) return FieldState::absent;
  if (!it->is_string()) return FieldState::wrong_type;
  out = reverify::SecretString(std::move(it->get_ref<std::string&>()));
  return FieldState::ok;
}

FieldState read_identifier(const Json& object, const char* key, reverify::Identifier& out) {
  const auto it = object.find(key);
  if (it == object.end()) return FieldState::absent;
  if (!it->is_object()) return FieldState::wrong_type;
  std::string type;
  std::string value;
  if (read_string(*it, "type", type) != FieldState::ok) return FieldState::wrong_type;
  if (read_string(*it, "value", value) != FieldState::ok) return FieldState::wrong_type;
  if (type == "email") {
    out = reverify::Identifier::email(std::move(value));
  } else if (type == "phone") {
    out = reverify::Identifier::phone(std::move(value));
  } else {
    return FieldState::wrong_type;
  }
  return FieldState::ok;
}

Json string_or_null(const std::optional<std::string>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace reverify::server
