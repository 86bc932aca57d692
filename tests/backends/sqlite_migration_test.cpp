// Schema migration of the SQLite store: a file written by schema version 1 (one row per window
// event, a blocks table) or 2 (key rows near the identifier's text, records with their slot's
// text) opens under the current version with its records, sends, failures, blocks and slots
// intact; a file from a newer version is refused.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "backend_fixtures.hpp"
#include "reverify/sqlite/sqlite_store.hpp"
#include "sqlite_sql.hpp"
#include "testing/conformance_support.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t t0_ms = 1'700'000'000'000;
const Timestamp t0 = from_unix_ms(t0_ms);

// The version 1 schema exactly as released.
constexpr const char* v1_schema = R"sql(
CREATE TABLE reverify_schema (version INTEGER NOT NULL);
INSERT INTO reverify_schema (version) VALUES (1);
CREATE TABLE reverify_records (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind INTEGER NOT NULL, template_type INTEGER NOT NULL,
  identifier TEXT NOT NULL, identifier_key TEXT NOT NULL, purpose TEXT NOT NULL, binding_digest BLOB,
  code_digest BLOB, pepper_id INTEGER NOT NULL, attempts INTEGER NOT NULL, use_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, code_expires_at INTEGER NOT NULL,
  verified INTEGER NOT NULL, retired INTEGER NOT NULL, slot TEXT);
CREATE INDEX reverify_records_expires ON reverify_records (expires_at);
CREATE INDEX reverify_records_slot ON reverify_records (slot) WHERE slot IS NOT NULL;
CREATE TABLE reverify_window_events (key TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX reverify_window_events_key ON reverify_window_events (key, at);
CREATE INDEX reverify_window_events_expires ON reverify_window_events (expires_at);
CREATE TABLE reverify_blocks (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
)sql";

Digest digest_of(unsigned char fill) {
  Digest digest{};
  digest.fill(fill);
  return digest;
}

VerificationRecord code_record(std::string id) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = "user-1";
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = "A@Example.com";
  record.identifier_key = "email:a@example.com";
  record.purpose = "payment";
  record.binding_digest = digest_of(0xb1);
  record.code_digest = digest_of(0xc0);
  record.pepper_id = 7;
  record.attempts = 1;
  record.created_at = t0;
  record.expires_at = t0 + 1h;
  record.code_expires_at = t0 + 10min;
  return record;
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message != nullptr ? message : ""));
  sqlite3_free(message);
  REQUIRE(rc == SQLITE_OK);
}

std::string hex(const Digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char byte : digest) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out + "'";
}

// A version 1 file holding one code record (holder of its slot), two sends of one key in a
// 60 s window, and a lock key with one failure and a block.
void write_v1_file(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec(db, v1_schema);
  const VerificationRecord r = code_record("abcdefghijklmnopqrstu");
  exec(db, "INSERT INTO reverify_records VALUES ('" + r.id + "', 'user-1', 2, 1, 'A@Example.com', " +
               "'email:a@example.com', 'payment', " + hex(*r.binding_digest) + ", " + hex(*r.code_digest) +
               ", 7, 1, 0, " + std::to_string(t0_ms) + ", " + std::to_string(t0_ms + 3'600'000) + ", " +
               std::to_string(t0_ms + 600'000) + ", 0, 0, '" + r.code_slot() + "')");
  exec(db, "INSERT INTO reverify_window_events VALUES ('send:email:a@example.com', " + std::to_string(t0_ms) + ", " +
               std::to_string(t0_ms + 60'000) + "), ('send:email:a@example.com', " + std::to_string(t0_ms + 1000) +
               ", " + std::to_string(t0_ms + 61'000) + "), ('lock:email:a@example.com', " + std::to_string(t0_ms) +
               ", " + std::to_string(t0_ms + 900'000) + ")");
  exec(db, "INSERT INTO reverify_blocks VALUES ('lock:email:a@example.com', " + std::to_string(t0_ms + 300'000) +
               "), ('lock:ended', " + std::to_string(t0_ms - 1) + ")");
  sqlite3_close(db);
}

// The version 2 schema exactly as released (v1_to_v2's tables).
constexpr const char* v2_schema = R"sql(
CREATE TABLE reverify_schema (version INTEGER NOT NULL);
INSERT INTO reverify_schema (version) VALUES (2);
CREATE TABLE reverify_records (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind INTEGER NOT NULL, template_type INTEGER NOT NULL,
  identifier TEXT NOT NULL, identifier_key TEXT NOT NULL, purpose TEXT NOT NULL, binding_digest BLOB,
  code_digest BLOB, pepper_id INTEGER NOT NULL, attempts INTEGER NOT NULL, use_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, code_expires_at INTEGER NOT NULL,
  verified INTEGER NOT NULL, retired INTEGER NOT NULL, slot TEXT) WITHOUT ROWID;
CREATE TABLE reverify_keys (
  near TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, events BLOB, window_ms INTEGER,
  block_until INTEGER, purge_at INTEGER, holder TEXT, PRIMARY KEY (near, kind, key)) WITHOUT ROWID;
)sql";

// Window events as version 2 packs them: 8-byte little-endian stamps.
std::string events_hex(std::initializer_list<std::int64_t> events) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "X'";
  for (const std::int64_t event : events) {
    auto v = static_cast<std::uint64_t>(event);
    for (int b = 0; b < 8; ++b, v >>= 8) {
      out += digits[(v >> 4) & 15];
      out += digits[v & 15];
    }
  }
  return out + "'";
}

std::string record_values(const VerificationRecord& r, const std::string& slot) {
  return "('" + r.id + "', '" + r.user_id + "', 2, 1, '" + r.identifier + "', '" + r.identifier_key + "', '" +
         r.purpose + "', " + hex(*r.binding_digest) + ", " + hex(*r.code_digest) + ", 7, " +
         std::to_string(r.attempts) + ", 0, " + std::to_string(t0_ms) + ", " + std::to_string(t0_ms + 3'600'000) +
         ", " + std::to_string(t0_ms + 600'000) + ", 0, 0, " + slot + ")";
}

// A version 2 file with the state of write_v1_file, plus a second identifier's code (holding its
// slot) and its one send, to be cancelled.
void write_v2_file(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec(db, v2_schema);
  const VerificationRecord r = code_record("abcdefghijklmnopqrstu");
  VerificationRecord c = code_record("zyxwvutsrqponmlkjihgf");
  c.identifier = "C@Example.com";
  c.identifier_key = "email:c@example.com";
  exec(db, "INSERT INTO reverify_records VALUES " + record_values(r, "'" + r.code_slot() + "'") + ", " +
               record_values(c, "'" + c.code_slot() + "'"));
  const std::string t = std::to_string(t0_ms);
  exec(db, "INSERT INTO reverify_keys VALUES ('email:a@example.com', 1, '" + r.code_slot() +
               "', NULL, NULL, NULL, NULL, '" + r.id + "'), ('email:c@example.com', 1, '" + c.code_slot() +
               "', NULL, NULL, NULL, NULL, '" + c.id + "')");
  exec(db, "INSERT INTO reverify_keys VALUES ('a@example.com', 0, 'send:email:a@example.com', " +
               events_hex({t0_ms, t0_ms + 1000}) + ", 60000, NULL, " + std::to_string(t0_ms + 60'000) +
               ", NULL), ('a@example.com', 0, 'lock:email:a@example.com', " + events_hex({t0_ms}) + ", 900000, " +
               std::to_string(t0_ms + 300'000) + ", " + std::to_string(t0_ms + 300'000) +
               ", NULL), ('ended', 0, 'lock:ended', X'', 0, " + std::to_string(t0_ms - 1) + ", " +
               std::to_string(t0_ms - 1) + ", NULL), ('c@example.com', 0, 'send:email:c@example.com', " +
               events_hex({t0_ms}) + ", 60000, NULL, " + std::to_string(t0_ms + 60'000) + ", NULL)");
  sqlite3_close(db);
}

std::int64_t schema_version_of(const std::string& path) {
  return test::sql_integer(path, "SELECT version FROM reverify_schema");
}

/// What both migrations must leave: the record, the block, the failure, the two sends in their
/// window and the slot its record holds. Returns the code sent to check that (the slot's new holder).
VerificationRecord check_migrated_state(Store& store) {
  const VerificationRecord expected = code_record("abcdefghijklmnopqrstu");
  auto found = store.find(expected.id, t0 + 1s);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  // Every field reads back as version 1 or 2 wrote it (attempts 1, unverified, not retired).
  testing::detail::check_same_record(**found, expected);

  // The block and the failure carried over (found under their new keys); the ended block is not in force.
  auto blocked = store.blocked_until("lock:email:a@example.com", t0 + 2s);
  REQUIRE(blocked.has_value());
  CHECK(*blocked == std::optional<Timestamp>(t0 + 5min));
  CHECK(store.blocked_until("lock:ended", t0 + 2s).value() == std::nullopt);
  auto failure = store.count_failure(LockoutRule{"lock:email:a@example.com", 15min, 10, 1h}, t0 + 2s);
  REQUIRE(failure.has_value());
  CHECK(failure->failures == 2);

  // The two sends count in their window, and the migrated record still holds its slot.
  VerificationRecord next = code_record("bcdefghijklmnopqrstuv");
  next.attempts = 0;
  auto sent = store.open_code(next, SendLimit{"send:email:a@example.com", 60s, 3}, true, t0 + 2s);
  REQUIRE(sent.has_value());
  CHECK(sent->status == OpenStatus::opened);
  CHECK(sent->sends == 3);
  CHECK(sent->oldest == t0);
  auto previous = store.find(expected.id, t0 + 2s);
  REQUIRE(previous.has_value());
  REQUIRE(previous->has_value());
  CHECK((*previous)->retired);
  auto refused = store.open_code(code_record("cdefghijklmnopqrstuvw"), SendLimit{"send:email:a@example.com", 60s, 3},
                                 true, t0 + 3s);
  REQUIRE(refused.has_value());
  CHECK(refused->status == OpenStatus::rate_limited);
  return next;
}

/// The new holder's right code verifies at its first attempt.
void check_verifies(Store& store, const VerificationRecord& next) {
  CodeCheck check;
  check.record_id = next.id;
  check.user_id = next.user_id;
  check.kind = next.kind;
  check.identifier_key = next.identifier_key;
  check.offered.push_back(OfferedDigest{7, *next.code_digest});
  check.max_attempts = 5;
  check.lockout = LockoutRule{"lock:other", 15min, 5, 1h};
  check.now = t0 + 4s;
  auto checked = store.check_code(check);
  REQUIRE(checked.has_value());
  CHECK(checked->status == CheckStatus::verified);
  CHECK(checked->attempts == 1);
}

}  // namespace

TEST_CASE("a version 1 SQLite file opens migrated, its state intact", "[backends][sqlite]") {
  const std::string path = test::temp_path("reverify-migration") + ".db";
  write_v1_file(path);
  {
    auto opened = sqlite::SqliteStore::open(path);
    REQUIRE(opened.has_value());
    auto& store = **opened;
    CHECK(schema_version_of(path) == sqlite::SqliteStore::schema_version);

    const VerificationRecord next = check_migrated_state(store);

    // The new code verifies; the purge counts the migrated items one by one.
    check_verifies(store, next);
    // At t0 + 2 h: 3 sends, 2 failures, 2 blocks (one ended already) and both records.
    auto purged = store.purge_expired(t0 + 2h, 100);
    REQUIRE(purged.has_value());
    CHECK(*purged == 9);
  }
  // Reopening a migrated file is a no-op.
  REQUIRE(sqlite::SqliteStore::open(path).has_value());
  CHECK(schema_version_of(path) == sqlite::SqliteStore::schema_version);
  test::remove_sqlite_files(path);
}

TEST_CASE("an SQLite file from a newer schema version is refused", "[backends][sqlite]") {
  const std::string path = test::temp_path("reverify-migration") + ".db";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    exec(db, "CREATE TABLE reverify_schema (version INTEGER NOT NULL); INSERT INTO reverify_schema VALUES (" +
                 std::to_string(sqlite::SqliteStore::schema_version + 1) + ")");
    sqlite3_close(db);
  }
  auto opened = sqlite::SqliteStore::open(path);
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().code() == Errc::invalid_configuration);
  test::remove_sqlite_files(path);
}

TEST_CASE("a version 2 SQLite file opens migrated, its state intact", "[backends][sqlite]") {
  const std::string path = test::temp_path("reverify-migration") + ".db";
  write_v2_file(path);
  {
    auto opened = sqlite::SqliteStore::open(path);
    REQUIRE(opened.has_value());
    auto& store = **opened;
    CHECK(schema_version_of(path) == sqlite::SqliteStore::schema_version);

    const VerificationRecord next = check_migrated_state(store);

    // Cancelling the other identifier's code drops its record, its slot row and its send.
    REQUIRE(test::sql_integer(path, "SELECT count(*) FROM reverify_keys WHERE kind = 1") == 2);
    REQUIRE(store.cancel_code("zyxwvutsrqponmlkjihgf", "send:email:c@example.com", t0).has_value());
    CHECK(test::sql_integer(path, "SELECT count(*) FROM reverify_keys WHERE kind = 1") == 1);
    CHECK(test::sql_integer(path, "SELECT count(*) FROM reverify_keys WHERE key = 'send:email:c@example.com'") == 0);
    CHECK(test::sql_integer(path, "SELECT count(*) FROM reverify_records WHERE id = 'zyxwvutsrqponmlkjihgf'") == 0);

    check_verifies(store, next);
    // At t0 + 2 h: 3 sends, 2 failures, 2 blocks (one ended already) and both records; the
    // purged holder takes its slot row with it.
    auto purged = store.purge_expired(t0 + 2h, 100);
    REQUIRE(purged.has_value());
    CHECK(*purged == 9);
    CHECK(test::sql_integer(path, "SELECT count(*) FROM reverify_keys") == 0);
  }
  // Reopening a migrated file is a no-op.
  REQUIRE(sqlite::SqliteStore::open(path).has_value());
  CHECK(schema_version_of(path) == sqlite::SqliteStore::schema_version);
  test::remove_sqlite_files(path);
}
