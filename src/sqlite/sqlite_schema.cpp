#include "sqlite_schema.hpp"

#include <array>
#include <string>

#include "sqlite_keys.hpp"

namespace reverify::sqlite::detail {
namespace {

constexpr std::string_view migration_op = "open (schema migration)";

// Version 1 as released: one row per window event, a separate blocks table, records in a rowid
// table with a separate primary-key index.
Result<void> create_v1(Connection& connection) {
  return connection.exec(R"sql(
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
  slot            TEXT
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
                         migration_op);
}

// Version 2's `near` of a window/block key: the text after its second ':' (or first, or all).
std::string_view v2_near(std::string_view key) noexcept {
  const auto first = key.find(':');
  if (first == std::string_view::npos) return key;
  const auto second = key.find(':', first + 1);
  return key.substr((second == std::string_view::npos ? first : second) + 1);
}

// Version 2 writes fewer pages per step. Records are keyed by id in one b-tree (WITHOUT ROWID)
// with no secondary index (purge scans). Window events and blocks live in one row per key (events
// packed in a blob), and the code slots in rows of the same table, sorted by identifier (`near`)
// so that a send's window row and its slot row usually share a page.
Result<void> v1_to_v2(Connection& connection) {
  if (auto tables = connection.exec(R"sql(
CREATE TABLE reverify_records_v2 (
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
  slot            TEXT
) WITHOUT ROWID;
INSERT INTO reverify_records_v2 SELECT id, user_id, kind, template_type, identifier, identifier_key, purpose,
  binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, verified,
  retired, slot FROM reverify_records;
DROP TABLE reverify_records;
ALTER TABLE reverify_records_v2 RENAME TO reverify_records;
CREATE TABLE reverify_keys (
  near        TEXT    NOT NULL,
  kind        INTEGER NOT NULL,
  key         TEXT    NOT NULL,
  events      BLOB,
  window_ms   INTEGER,
  block_until INTEGER,
  purge_at    INTEGER,
  holder      TEXT,
  PRIMARY KEY (near, kind, key)
) WITHOUT ROWID;
INSERT INTO reverify_keys (near, kind, key, holder)
  SELECT identifier_key, 1, slot, id FROM reverify_records
  WHERE slot IS NOT NULL AND verified = 0 AND retired = 0 ORDER BY created_at
  ON CONFLICT (near, kind, key) DO UPDATE SET holder = excluded.holder;
)sql",
                                    migration_op);
      !tables) {
    return tables;
  }

  // Events and blocks move key by key: the events of a key are packed in time order, with the
  // longest window any of them was counted under.
  const auto put = [&](const std::string& key, const KeyState& state) -> Result<void> {
    auto statement = connection.prepare(
        "INSERT INTO reverify_keys (near, kind, key, events, window_ms, block_until, purge_at) "
        "VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6)",
        migration_op);
    if (!statement) return fail(statement.error());
    bind_key_state(*statement, key, state);
    statement->bind(1, v2_near(key));  // version 2's near: the identifier itself
    if (auto done = statement->run(); !done) return fail(done.error());
    return {};
  };
  {
    auto select = connection.prepare(
        "SELECT key, at, expires_at - at, NULL FROM reverify_window_events "
        "UNION ALL SELECT key, NULL, NULL, until FROM reverify_blocks ORDER BY 1, 2",
        migration_op);
    if (!select) return fail(select.error());
    std::string key;
    KeyState state;
    bool any = false;
    for (;;) {
      auto row = select->step();
      if (!row) return fail(row.error());
      std::string next = *row ? select->column_text(0) : std::string();
      if (any && (!*row || next != key)) {
        if (auto done = put(key, state); !done) return done;
        state = KeyState{};
      }
      if (!*row) break;
      key = std::move(next);
      any = true;
      if (!select->column_is_null(1)) {
        state.events.push_back(select->column_int(1));
        state.window_ms = std::max(state.window_ms, select->column_int(2));
      } else {
        state.block_until = select->column_int(3);
      }
    }
  }
  return connection.exec("DROP TABLE reverify_window_events; DROP TABLE reverify_blocks;", migration_op);
}

// Version 3 makes the rows a send inserts shorter, so that leaves fill, and SQLite rebalances
// them (rewriting three leaves and their parent), less often. A key row's `near` is a 64-bit hash
// of the identifier (reverify_near_hash, the function near_of uses) instead of its text: the rows
// of one identifier still sort together, now spread evenly over the table. A record keeps a
// `holds_slot` flag instead of its slot's text: the slot is `code_slot()` of the record's own
// fields, which is how every slot text stored so far was made (the function has not changed).
Result<void> v2_to_v3(Connection& connection) {
  return connection.exec(R"sql(
CREATE TABLE reverify_records_v3 (
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
  holds_slot      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO reverify_records_v3 SELECT id, user_id, kind, template_type, identifier, identifier_key, purpose,
  binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, verified,
  retired, slot IS NOT NULL FROM reverify_records;
DROP TABLE reverify_records;
ALTER TABLE reverify_records_v3 RENAME TO reverify_records;
CREATE TABLE reverify_keys_v3 (
  near        INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  key         TEXT    NOT NULL,
  events      BLOB,
  window_ms   INTEGER,
  block_until INTEGER,
  purge_at    INTEGER,
  holder      TEXT,
  PRIMARY KEY (near, kind, key)
) WITHOUT ROWID;
INSERT INTO reverify_keys_v3 SELECT reverify_near_hash(near), kind, key, events, window_ms, block_until, purge_at,
  holder FROM reverify_keys;
DROP TABLE reverify_keys;
ALTER TABLE reverify_keys_v3 RENAME TO reverify_keys;
)sql",
                         migration_op);
}

using Migration = Result<void> (*)(Connection&);

// migrations[n] takes the schema from version n to n + 1. Append; never edit a released step.
constexpr std::array<Migration, 3> migrations = {create_v1, v1_to_v2, v2_to_v3};

static_assert(migrations.size() == SqliteStore::schema_version, "one migration per schema version");

}  // namespace

Result<void> migrate(Connection& connection) {
  constexpr std::string_view operation = migration_op;
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
    if (auto applied = migrations[step](connection); !applied) return applied;
  }
  const char* record_version =
      has_row ? "UPDATE reverify_schema SET version = ?1" : "INSERT INTO reverify_schema (version) VALUES (?1)";
  auto write = connection.prepare(record_version, operation);
  if (!write) return fail(write.error());
  if (auto done = write->bind(1, std::int64_t{SqliteStore::schema_version}).run(); !done) return fail(done.error());
  return transaction->commit();
}

}  // namespace reverify::sqlite::detail
