#pragma once
// The SQLite schema and its migrations.

#include "sqlite_connection.hpp"

namespace reverify::sqlite::detail {

/// Brings the database to `SqliteStore::schema_version` inside one BEGIN IMMEDIATE transaction
/// (so several processes opening a new file at once migrate it once). Errors:
/// `invalid_configuration` for a schema newer than this build, `store_unavailable` otherwise.
[[nodiscard]] Result<void> migrate(Connection& connection);

}  // namespace reverify::sqlite::detail
