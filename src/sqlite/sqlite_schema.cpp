#include "sqlite_schema.hpp"

#include <array>
#include <string>

namespace reverify::sqlite::detail {
namespace {

// migrations[n] takes the schema from version n to n + 1. Append; never edit a released step.
constexpr std::array<const char*, 1> migrations = {
    R"sql(
CREATE TABLE reverify_records (
  id              TEXT    PRIMARY KEY,
  user_id         TEXT    NOT NULL,
  kind            INTEGER NOT NULL,
  template_type   INTEGER NOT NULL,
  identifier      TEXT    NOT NULL,
  identifier_key  TEXT    NOT NULL,
  purpose         TEXT    NOT NULL,
  binding_digest  BLOB,
  code_digest     BLOB,
  pepper_id       INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  use_count       INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  code_expires_at INTEGER NOT NULL,
  verified        INTEGER NOT NULL,
  retired         INTEGER NOT NULL,
  slot            TEXT              -- code_slot() when inserted with retire_previous, else NULL
);
CREATE INDEX reverify_records_expires ON reverify_records (expires_at);
CREATE INDEX reverify_records_slot ON reverify_records (slot) WHERE slot IS NOT NULL;
CREATE TABLE reverify_window_events (
  key        TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX reverify_window_events_key ON reverify_window_events (key, at);
CREATE INDEX reverify_window_events_expires ON reverify_window_events (expires_at);
CREATE TABLE reverify_blocks (
  key   TEXT    PRIMARY KEY,
  until INTEGER NOT NULL
);
)sql",
};

static_assert(migrations.size() == SqliteStore::schema_version, "one migration per schema version");

}  // namespace

Result<void> migrate(Connection& connection) {
  constexpr std::string_view operation = "open (schema migration)";
  if (auto created =
          connection.exec("CREATE TABLE IF NOT EXISTS reverify_schema (version INTEGER NOT NULL)", operation);
      !created) {
    return created;
  }
  auto transaction = ImmediateTransaction::begin(connection, operation);
  if (!transaction) return fail(transaction.error());

  std::int64_t version = 0;
  bool has_row = false;
  {
    auto select = connection.prepare("SELECT version FROM reverify_schema", operation);
    if (!select) return fail(select.error());
    auto row = select->step();
    if (!row) return fail(row.error());
    if (*row) {
      has_row = true;
      version = select->column_int(0);
    }
  }
  if (version > SqliteStore::schema_version) {
    return fail(Errc::invalid_configuration, "sqlite open: the database schema version " + std::to_string(version) +
                                                 " is newer than this build's " +
                                                 std::to_string(SqliteStore::schema_version));
  }
  if (version == SqliteStore::schema_version) return transaction->commit();

  for (auto step = static_cast<std::size_t>(version); step < migrations.size(); ++step) {
    if (auto applied = connection.exec(migrations[step], operation); !applied) return applied;
  }
  const char* record_version =
      has_row ? "UPDATE reverify_schema SET version = ?1" : "INSERT INTO reverify_schema (version) VALUES (?1)";
  auto write = connection.prepare(record_version, operation);
  if (!write) return fail(write.error());
  if (auto done = write->bind(1, std::int64_t{SqliteStore::schema_version}).run(); !done) return fail(done.error());
  return transaction->commit();
}

}  // namespace reverify::sqlite::detail
