// The SQLite store writes each WAL frame (header and page) in one call through its own VFS
// (src/sqlite/sqlite_vfs.hpp). What it writes must read back exactly as with the default VFS:
// through a plain connection reading while the store writes (across checkpoints), after the store
// is closed, and after a process that wrote is killed without closing anything.

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "backend_fixtures.hpp"
#include "reverify/sqlite/sqlite_store.hpp"
#include "sqlite_sql.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t t0_ms = 1'700'000'000'000;
const Timestamp t0 = from_unix_ms(t0_ms);

VerificationRecord code_record(int n) {
  VerificationRecord record;
  record.id = "vfs-" + std::to_string(n);
  record.user_id = "user-" + std::to_string(n % 7);
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = "u" + std::to_string(n) + "@example.com";
  record.identifier_key = "email:" + record.identifier;
  record.code_digest = Digest{};
  record.code_digest->fill(static_cast<unsigned char>(n));
  record.pepper_id = 1;
  record.created_at = t0;
  record.expires_at = t0 + 1h;
  record.code_expires_at = t0 + 10min;
  return record;
}

// Sends record n's code and checks it with the right digest: 2 transactions.
void cycle(Store& store, int n) {
  const VerificationRecord record = code_record(n);
  const std::string send_key = "send:email:" + record.identifier_key;
  const auto opened = store.open_code(record, SendLimit{send_key, 1h, 5}, true, t0);
  REQUIRE(opened.has_value());
  REQUIRE(opened->status == OpenStatus::opened);
  CodeCheck check;
  check.record_id = record.id;
  check.user_id = record.user_id;
  check.kind = record.kind;
  check.identifier_key = record.identifier_key;
  check.offered.push_back(OfferedDigest{1, *record.code_digest});
  check.max_attempts = 5;
  const std::string lock_key = "lock:email:" + record.identifier_key;
  check.lockout = LockoutRule{lock_key, 1h, 5, 1h};
  check.now = t0 + 1s;
  const auto checked = store.check_code(check);
  REQUIRE(checked.has_value());
  REQUIRE(checked->status == CheckStatus::verified);
}

std::string integrity(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  std::string result(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  sqlite3_finalize(statement);
  return result;
}

// A connection through the default VFS.
sqlite3* open_plain(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  static_cast<void>(sqlite3_busy_timeout(db, 5000));
  return db;
}

/// A store file path whose files are removed when the test case ends, however it ends.
struct TempFile {
  std::string path = test::temp_path("reverify-vfs-test") + ".db";
  ~TempFile() { test::remove_sqlite_files(path); }
};

}  // namespace

TEST_CASE("sqlite WAL frames written by the store read back through the default VFS") {
  TempFile file;
  // Enough pages to pass several automatic checkpoints (every 10 000 WAL pages).
  constexpr int cycles = 12'000;
  {
    auto store = sqlite::SqliteStore::open(file.path);
    REQUIRE(store.has_value());
    sqlite3* reader = open_plain(file.path);
    for (int n = 0; n < cycles; ++n) {
      cycle(**store, n);
      if (n % 1000 == 999) {
        INFO("after cycle " << n);
        CHECK(test::sql_integer(reader, "SELECT count(*) FROM reverify_records WHERE verified = 1") == n + 1);
        CHECK(test::sql_integer(reader, "SELECT count(*) FROM reverify_keys") == 2 * std::int64_t{n + 1});
      }
    }
    CHECK(integrity(reader) == "ok");
    sqlite3_close(reader);
  }
  sqlite3* db = open_plain(file.path);
  CHECK(integrity(db) == "ok");
  CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_records WHERE verified = 1 AND attempts = 1") == cycles);
  sqlite3_close(db);
  // And the store reads it back too.
  auto store = sqlite::SqliteStore::open(file.path);
  REQUIRE(store.has_value());
  const auto found = (*store)->find("vfs-" + std::to_string(cycles - 1), t0 + 2s);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->verified);
}

TEST_CASE("sqlite WAL written by a process killed without closing recovers every committed step") {
  TempFile file;
  constexpr int cycles = 3'000;
  REQUIRE(sqlite::SqliteStore::open(file.path).has_value());
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      auto store = sqlite::SqliteStore::open(file.path);
      if (!store) _exit(2);
      for (int n = 0; n < cycles; ++n) cycle(**store, n);
      _exit(0);  // the store still open: no close, no checkpoint; the next opener recovers the WAL
    } catch (...) {
      _exit(3);
    }
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  struct stat wal {};
  REQUIRE(stat((file.path + "-wal").c_str(), &wal) == 0);
  CHECK(wal.st_size > 0);
  sqlite3* db = open_plain(file.path);
  CHECK(integrity(db) == "ok");
  CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_records WHERE verified = 1 AND attempts = 1") == cycles);
  CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_keys") == std::int64_t{2} * cycles);
  sqlite3_close(db);
}
