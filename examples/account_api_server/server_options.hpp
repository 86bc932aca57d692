#pragma once
/// @file
/// The command line of reverify-server (a stable contract: scripts depend on it).

#include <cstdint>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "reverify/policy.hpp"

namespace reverify::server {

/// Everything the command line sets.
struct ServerOptions {
  std::string host = "127.0.0.1";          ///< --listen HOST part (IPv6 without brackets)
  std::uint16_t port = 3001;               ///< --listen PORT part; 0 picks a free port
  std::optional<std::string> users_file;   ///< --users; nullopt = the demo users file
  std::string store_uri = "memory";        ///< --store
  std::string outbox = "-";                ///< --outbox FILE, or "-" for stdout
  std::optional<std::string> pepper_file;  ///< --pepper-file
  /// --pg-verified-marks flush: a postgresql:// store's verified marks wait for their WAL flush
  /// (PostgresOptions::flush_verified_marks); `async`, the default, leaves the library's default.
  bool pg_flush_verified_marks = false;
  reverify::Policy policy;  ///< the policy flags, validated
  bool help = false;        ///< --help: print usage and exit 0
  bool version = false;     ///< --version: print the version and exit 0
};

/// Parses argv (flags as `--name value` or `--name=value`, each at most once) and validates the
/// policy against the library's ranges. A value with a control character is refused. Errors: one
/// line naming the flag or value at fault (control characters in a stray argument or an unknown
/// flag shown as \xNN).
[[nodiscard]] tl::expected<ServerOptions, std::string> parse_options(int argc, const char* const* argv);

/// The usage text printed by --help.
[[nodiscard]] std::string usage_text();

/// "HOST:PORT" for the listening line: IPv6 hosts get brackets.
[[nodiscard]] std::string format_host_port(const std::string& host, std::uint16_t port);

}  // namespace reverify::server
