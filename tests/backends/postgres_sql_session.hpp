#pragma once
// A plain libpq connection for tests that write or inspect a PostgreSQL schema behind the
// store's back (migration, hostile search_path). Needs libpq: link PostgreSQL::PostgreSQL.

#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "backend_fixtures.hpp"

namespace reverify::test {

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

/// A plain libpq connection for writing and inspecting a schema behind the store's back. Every
/// statement names the schema through @schema@.
class Sql {
 public:
  explicit Sql(std::string schema) : schema_(std::move(schema)) {
    connection_ = PQconnectdb(test::postgres_url().c_str());
    if (PQstatus(connection_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(connection_);
      PQfinish(connection_);
      FAIL("postgres connect: " << message);
    }
    exec("SET client_min_messages = warning");
  }
  Sql(const Sql&) = delete;
  Sql& operator=(const Sql&) = delete;
  // Drops the test's schema whatever happened.
  ~Sql() {
    exec_quietly("DROP SCHEMA IF EXISTS @schema@ CASCADE");
    PQfinish(connection_);
  }

  /// Runs `sql` and ignores the outcome (for cleanup, where a failed check would throw).
  void exec_quietly(const std::string& sql) noexcept { PQclear(PQexec(connection_, expand(sql).c_str())); }

  void exec(const std::string& sql) {
    PGresult* result = PQexec(connection_, expand(sql).c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string message = PQresultErrorMessage(result);
    PQclear(result);
    INFO(message);
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  }

  /// The first cell of a one-row result; "<null>" for NULL.
  std::string scalar(const std::string& sql) {
    PGresult* result = PQexec(connection_, expand(sql).c_str());
    const std::unique_ptr<PGresult, void (*)(PGresult*)> owner(result, PQclear);
    INFO(PQresultErrorMessage(result));
    REQUIRE(PQresultStatus(result) == PGRES_TUPLES_OK);
    REQUIRE(PQntuples(result) == 1);
    if (PQgetisnull(result, 0, 0) == 1) return "<null>";
    return PQgetvalue(result, 0, 0);
  }

  [[nodiscard]] const std::string& schema() const noexcept { return schema_; }

 private:
  std::string expand(const std::string& sql) const { return replace_all(sql, "@schema@", '"' + schema_ + '"'); }

  std::string schema_;
  PGconn* connection_ = nullptr;
};

}  // namespace reverify::test
