#pragma once
/// @file
/// JSON helpers of the server: strict body parsing, typed field access, safe serialisation.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reverify/identifier.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::server {

using Json = nlohmann::ordered_json;

/// Deepest nesting of arrays and objects a request body may have.
inline constexpr int max_json_depth = 32;

/// Parses a request body that must be a JSON object. An empty body counts as `{}` (as Logto).
/// Returns nullopt for malformed JSON, invalid UTF-8, nesting deeper than `max_json_depth`, or a
/// top-level value that is not an object. Never throws.
[[nodiscard]] std::optional<Json> parse_object(std::string_view body);

/// Serialises without throwing: invalid UTF-8 in strings is replaced, not fatal.
[[nodiscard]] std::string dump_json(const Json& value);

/// What a lookup of one field of an object found.
enum class FieldState { absent, wrong_type, ok };

/// Reads `object[key]` when it is a string. `null` counts as a wrong type.
[[nodiscard]] FieldState read_string(const Json& object, const char* key, std::string& out);

/// Moves the string at `object[key]` into a SecretString (wiping the JSON copy).
[[nodiscard]] FieldState take_secret(Json& object, const char* key, reverify::SecretString& out);

/// Reads Logto's identifier union `{"type":"email"|"phone","value":string}` at `object[key]`.
/// Only shape and types are checked here; the library validates the value itself.
[[nodiscard]] FieldState read_identifier(const Json& object, const char* key, reverify::Identifier& out);

/// A JSON string value, or null when absent.
[[nodiscard]] Json string_or_null(const std::optional<std::string>& value);

}  // namespace reverify::server
