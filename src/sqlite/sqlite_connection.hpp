#pragma once
// One SQLite connection with its cached prepared statements, and a small pool of them.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/connection_pool.hpp"
#include "reverify/result.hpp"
#include "reverify/sqlite/sqlite_store.hpp"

namespace reverify::sqlite::detail {

/// `store_unavailable` naming the operation and SQLite's message for `db`.
[[nodiscard]] Error sqlite_error(std::string_view operation, sqlite3* db);

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

class Connection;

/// A prepared statement borrowed from a connection's cache; reset and unbound when dropped.
class Statement {
 public:
  Statement(sqlite3_stmt* statement, Connection& connection, std::string_view operation) noexcept
      : statement_(statement), connection_(connection), operation_(operation) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  /// Binds `text` without copying it: it must stay alive and unchanged until this Statement is
  /// dropped (SQLITE_STATIC).
  Statement& bind_view(int index, std::string_view text);
  Statement& bind_blob(int index, const unsigned char* data, std::size_t size);
  Statement& bind_null(int index);

  /// Steps once: true when a row is available, false when done.
  [[nodiscard]] Result<bool> step();
  /// Steps to completion; returns sqlite3_changes().
  [[nodiscard]] Result<int> run();

  [[nodiscard]] std::int64_t column_int(int column) const noexcept;
  [[nodiscard]] std::string column_text(int column) const;
  [[nodiscard]] bool column_is_null(int column) const noexcept;
  /// The blob of `column`, or an empty view for NULL.
  [[nodiscard]] std::string_view column_blob(int column) const noexcept;

 private:
  sqlite3_stmt* statement_;
  Connection& connection_;
  std::string_view operation_;
  int bind_status_ = SQLITE_OK;
};

/// One open database handle. Not thread-safe: the pool hands it to one thread at a time.
class Connection {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Connection>> open(const std::string& path, const SqliteOptions& options);

  /// A cached prepared statement for `sql` (a string literal: the cache is keyed by its address).
  [[nodiscard]] Result<Statement> prepare(const char* sql, std::string_view operation);
  /// Runs SQL without parameters (DDL, transaction control).
  [[nodiscard]] Result<void> exec(const char* sql, std::string_view operation);

  [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }
  /// An SQLite handle stays usable after a failed statement; only one left inside a transaction
  /// (a ROLLBACK that failed) must not go back to the pool, or later writes would run in it.
  [[nodiscard]] bool broken() const noexcept { return sqlite3_get_autocommit(db_.get()) == 0; }

 private:
  explicit Connection(sqlite3* db) noexcept : db_(db) {}
  std::unique_ptr<sqlite3, DbCloser> db_;
  std::unordered_map<const char*, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> statements_;
};

/// `BEGIN IMMEDIATE` … `COMMIT`; rolls back when dropped uncommitted.
class ImmediateTransaction {
 public:
  [[nodiscard]] static Result<ImmediateTransaction> begin(Connection& connection, std::string_view operation);
  ImmediateTransaction(ImmediateTransaction&& other) noexcept;
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(ImmediateTransaction&&) = delete;
  ~ImmediateTransaction();
  [[nodiscard]] Result<void> commit();
  /// Ends the transaction discarding its writes (the destructor does the same, unprepared).
  [[nodiscard]] Result<void> rollback();

 private:
  ImmediateTransaction(Connection& connection, std::string_view operation) noexcept
      : connection_(&connection), operation_(operation) {}
  Connection* connection_;
  std::string_view operation_;
};

/// Up to `pool_size` connections opened on demand; `acquire` blocks while all are lent out.
using ConnectionPool = reverify::detail::ConnectionPool<Connection>;

}  // namespace reverify::sqlite::detail
