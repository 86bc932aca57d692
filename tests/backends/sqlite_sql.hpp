#pragma once
// Reading an SQLite store file behind the store's back, for the SQLite backend tests (migration,
// purge, VFS). Needs sqlite3: link SQLite::SQLite3.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace reverify::test {

/// The first column of the one row `sql` returns on `db`, as an integer.
inline std::int64_t sql_integer(sqlite3* db, const char* sql) {
  sqlite3_stmt* select = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &select, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(select) == SQLITE_ROW);
  const std::int64_t value = sqlite3_column_int64(select, 0);
  sqlite3_finalize(select);
  return value;
}

/// The same on the file at `path`, opened for this query only.
inline std::int64_t sql_integer(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::int64_t value = sql_integer(db, sql);
  sqlite3_close(db);
  return value;
}

}  // namespace reverify::test
