#pragma once
// The settings every pooled connection runs once after connecting. A header of its own so the
// tests can run exactly these on a plain libpq connection and watch what the functions do.

#include <string>

#include "reverify/postgres/postgres_store.hpp"

namespace reverify::postgres::detail {

/// One script of `SET`s for a new connection under `options`.
///
/// search_path: our statements and function bodies name every table by schema, but call built-ins
/// unqualified, and PostgreSQL prefers an exact-type overload anywhere on the path to a built-in
/// that needs a cast — with `public` on the path, any role that can create functions there could
/// run code inside our atomic steps. pg_catalog alone (pg_temp last, so it is never searched first).
///
/// reverify.verified_commit: read by the check_code function, which commits a verified mark
/// without waiting for its WAL flush when it says 'async' (PostgresOptions::flush_verified_marks).
inline std::string session_settings(const PostgresOptions& options) {
  std::string script = "SET statement_timeout = " + std::to_string(options.command_timeout.count()) +
                       "; SET bytea_output = 'hex'; SET client_min_messages = 'warning'"
                       "; SET search_path = pg_catalog, pg_temp";
  script += options.flush_verified_marks ? "; SET reverify.verified_commit = 'flush'"
                                         : "; SET reverify.verified_commit = 'async'";
  return script;
}

}  // namespace reverify::postgres::detail
