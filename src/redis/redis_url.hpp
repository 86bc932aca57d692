#pragma once
// Parsing of redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] URLs.

#include <string>
#include <string_view>

#include "reverify/result.hpp"

namespace reverify::redis::detail {

/// Where and as whom to connect.
struct Endpoint {
  std::string host;
  int port = 6379;
  int database = 0;
  std::string user;      ///< empty: AUTH with the password only (or no AUTH)
  std::string password;  ///< empty: no AUTH
};

/// Errors: `invalid_configuration` saying what is wrong, never echoing the URL (it may hold a password).
[[nodiscard]] Result<Endpoint> parse_url(std::string_view url);

}  // namespace reverify::redis::detail
