// SqliteStore::purge_expired does bounded work per call: it examines at most 4 rows of each table
// per item of its limit (docs/backends.md), resuming where the previous call stopped, so a call on
// a large table with little to purge reads a few pages, and repeated calls purge everything.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "backend_fixtures.hpp"
#include "reverify/sqlite/sqlite_store.hpp"
#include "sqlite/sqlite_keys.hpp"
#include "sqlite_sql.hpp"

using namespace reverify;

namespace {

constexpr std::int64_t t0_ms = 1'700'000'000'000;
const Timestamp t0 = from_unix_ms(t0_ms);
constexpr int live_records = 20'000;
constexpr int expired_records = 30;
constexpr int live_keys = 2'000;
// 5 key rows with an ended block (1 item each) and 3 with two stale events (2 items each).
constexpr std::size_t due_items = expired_records + 5 + 3 * 2;
constexpr std::size_t scan_factor = 4;  // rows examined per item of `limit`, per table

// A VFS that forwards to the default one and counts the reads of every file it opens.
std::atomic<std::uint64_t> reads{0};
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs counting_vfs;
sqlite3_io_methods counting_methods;

struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
};
sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file)->real; }

int counting_open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* counting = reinterpret_cast<CountingFile*>(file);
  counting->real = reinterpret_cast<sqlite3_file*>(counting + 1);
  const int rc = real_vfs->xOpen(real_vfs, name, counting->real, flags, out_flags);
  counting->base.pMethods = counting->real->pMethods != nullptr ? &counting_methods : nullptr;
  return rc;
}

void install_counting_vfs() {
  if (real_vfs != nullptr) return;
  real_vfs = sqlite3_vfs_find(nullptr);
  REQUIRE(real_vfs != nullptr);
  counting_vfs = *real_vfs;
  counting_vfs.zName = "reverify-counting";
  counting_vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + real_vfs->szOsFile;
  counting_vfs.xOpen = counting_open;
  counting_methods = sqlite3_io_methods{};
  counting_methods.iVersion = 3;
  counting_methods.xClose = [](sqlite3_file* f) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xClose(real);
  };
  counting_methods.xRead = [](sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
    reads.fetch_add(1);
    sqlite3_file* real = real_of(f);
    return real->pMethods->xRead(real, buffer, amount, offset);
  };
  counting_methods.xWrite = [](sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xWrite(real, buffer, amount, offset);
  };
  counting_methods.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xTruncate(real, size);
  };
  counting_methods.xSync = [](sqlite3_file* f, int flags) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xSync(real, flags);
  };
  counting_methods.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xFileSize(real, size);
  };
  counting_methods.xLock = [](sqlite3_file* f, int level) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xLock(real, level);
  };
  counting_methods.xUnlock = [](sqlite3_file* f, int level) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xUnlock(real, level);
  };
  counting_methods.xCheckReservedLock = [](sqlite3_file* f, int* out) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xCheckReservedLock(real, out);
  };
  counting_methods.xFileControl = [](sqlite3_file* f, int op, void* arg) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xFileControl(real, op, arg);
  };
  counting_methods.xSectorSize = [](sqlite3_file* f) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xSectorSize(real);
  };
  counting_methods.xDeviceCharacteristics = [](sqlite3_file* f) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xDeviceCharacteristics(real);
  };
  counting_methods.xShmMap = [](sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xShmMap(real, region, size, extend, out);
  };
  counting_methods.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xShmLock(real, offset, n, flags);
  };
  counting_methods.xShmBarrier = [](sqlite3_file* f) {
    sqlite3_file* real = real_of(f);
    real->pMethods->xShmBarrier(real);
  };
  counting_methods.xShmUnmap = [](sqlite3_file* f, int remove) {
    sqlite3_file* real = real_of(f);
    return real->pMethods->xShmUnmap(real, remove);
  };
  // No memory-mapped reads: every page read goes through xRead and is counted.
  counting_methods.xFetch = [](sqlite3_file*, sqlite3_int64, int, void** out) {
    *out = nullptr;
    return SQLITE_OK;
  };
  counting_methods.xUnfetch = [](sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; };
  REQUIRE(sqlite3_vfs_register(&counting_vfs, 1) == SQLITE_OK);
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message != nullptr ? message : ""));
  sqlite3_free(message);
  REQUIRE(rc == SQLITE_OK);
}

std::string events_hex(std::int64_t a, std::int64_t b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "X'";
  for (const std::int64_t stamp : {a, b}) {
    const auto value = static_cast<std::uint64_t>(stamp);
    for (int byte = 0; byte < 8; ++byte) {
      const auto v = static_cast<unsigned>((value >> (8 * byte)) & 0xff);
      out += digits[v >> 4];
      out += digits[v & 15];
    }
  }
  return out + "'";
}

// An INSERT of a lock key row of `identifier` without events, blocked until and purged at `until`.
std::string key_row(std::int64_t near, const std::string& identifier, const std::string& until) {
  std::string sql = "INSERT INTO reverify_keys (near, kind, key, events, window_ms, block_until, purge_at) VALUES (";
  sql += std::to_string(near);
  sql += ", 0, 'lock:email:";
  sql += identifier;
  sql += "', X'', 0, ";
  sql += until;
  sql += ", ";
  sql += until;
  sql += ")";
  return sql;
}

// A store file with `live_records` live records whose ids sort before `expired_records` expired
// ones, and `live_keys` live key rows sorting before the due ones (by near); checkpointed, so every page is
// read from the database file.
void write_file(const std::string& path) {
  { REQUIRE(sqlite::SqliteStore::open(path).has_value()); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string live = std::to_string(t0_ms + 3'600'000);
  const std::string gone = std::to_string(t0_ms - 1);
  exec(db, "BEGIN");
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(live_records - 1) +
               ") INSERT INTO reverify_records SELECT printf('live-%06d', i), 'user', 0, 0, 'a@example.com', "
               "'email:a@example.com', printf('%0100d', i), NULL, NULL, 0, 0, 0, " +
               std::to_string(t0_ms) + ", " + live + ", " + live + ", 0, 0, 0 FROM n");
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(expired_records - 1) +
               ") INSERT INTO reverify_records SELECT printf('x-%03d', i), 'user', 0, 0, 'a@example.com', "
               "'email:a@example.com', 'p', NULL, NULL, 0, 0, 0, " +
               std::to_string(t0_ms - 10) + ", " + gone + ", " + gone + ", 0, 0, 0 FROM n");
  // A key row's near is the store's hash of the key's identifier part (docs/backends.md); the due
  // rows' identifiers are picked so that their near sorts after every live row's.
  std::int64_t last_live = std::numeric_limits<std::int64_t>::min();
  for (int i = 0; i < live_keys; ++i) {
    char identifier[16];
    static_cast<void>(std::snprintf(identifier, sizeof identifier, "live-%05d", i));
    const std::int64_t near = sqlite::detail::near_hash(identifier);
    last_live = std::max(last_live, near);
    exec(db, key_row(near, identifier, live));
  }
  const auto due_identifier = [&](int n) {
    for (int salt = 0;; ++salt) {
      std::string identifier = "zz-" + std::to_string(n) + "-" + std::to_string(salt);
      if (sqlite::detail::near_hash(identifier) > last_live) return identifier;
    }
  };
  for (int i = 0; i < 5; ++i) {
    const std::string identifier = due_identifier(i);
    exec(db, key_row(sqlite::detail::near_hash(identifier), identifier, gone));
  }
  for (int i = 5; i < 8; ++i) {
    const std::string identifier = due_identifier(i);
    exec(db, "INSERT INTO reverify_keys (near, kind, key, events, window_ms, block_until, purge_at) VALUES (" +
                 std::to_string(sqlite::detail::near_hash(identifier)) + ", 0, 'send:email:" + identifier + "', " +
                 events_hex(t0_ms - 5000, t0_ms - 4000) + ", 1000, NULL, " + std::to_string(t0_ms - 4000) + ")");
  }
  exec(db, "COMMIT");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("SQLite purge_expired reads a bounded number of pages on a large table", "[backends][sqlite]") {
  install_counting_vfs();
  const std::string path = test::temp_path("reverify-purge-bound") + ".db";
  write_file(path);
  std::int64_t pages = 0;
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    pages = test::sql_integer(db, "PRAGMA page_count");
    sqlite3_close(db);
  }
  REQUIRE(pages > 500);
  {
    auto store = sqlite::SqliteStore::open(path);  // a cold page cache
    REQUIRE(store.has_value());
    reads = 0;
    auto purged = (*store)->purge_expired(t0, 10);
    REQUIRE(purged.has_value());
    CHECK(*purged == 0);  // nothing due among the first rows of either table
    INFO("pages read " << reads.load() << " of " << pages);
    CHECK(reads.load() < 40);
  }
  test::remove_sqlite_files(path);
}

TEST_CASE("SQLite purge_expired resumes where it stopped and purges everything in the end", "[backends][sqlite]") {
  const std::string path = test::temp_path("reverify-purge-resume") + ".db";
  write_file(path);
  {
    auto store = sqlite::SqliteStore::open(path);
    REQUIRE(store.has_value());
    constexpr std::size_t limit = 10;
    const int rows_per_call = static_cast<int>(limit * scan_factor);
    // The expired records sort after all live ones: a call examines limit * 4 rows of each table,
    // so the first live_records / (limit * 4) calls purge only the due key rows (reached sooner).
    std::size_t total = 0;
    for (int call = 0; call < live_records / rows_per_call; ++call) {
      auto purged = (*store)->purge_expired(t0, limit);
      REQUIRE(purged.has_value());
      REQUIRE(*purged <= limit);
      total += *purged;
    }
    CHECK(total == due_items - expired_records);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_records") == live_records + expired_records);
    // Then `limit` expired records per call.
    for (int call = 0; call < expired_records / static_cast<int>(limit); ++call) {
      auto purged = (*store)->purge_expired(t0, limit);
      REQUIRE(purged.has_value());
      CHECK(*purged == limit);
    }
    // A whole lap more finds nothing left; the live state is untouched.
    for (int call = 0; call <= live_records / rows_per_call + 1; ++call) {
      auto purged = (*store)->purge_expired(t0, limit);
      REQUIRE(purged.has_value());
      REQUIRE(*purged == 0);
    }
    CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_records") == live_records);
    CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_keys") == live_keys);
    sqlite3_close(db);
  }
  test::remove_sqlite_files(path);
}
