#pragma once
// One libpq connection with the store's statements prepared, and a pool of them.

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postgres_sql.hpp"
#include "reverify/postgres/postgres_store.hpp"
#include "reverify/result.hpp"

namespace reverify::postgres::detail {

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using QueryResult = std::unique_ptr<PGresult, ResultDeleter>;

/// `store_unavailable` "postgres <operation>: <cause>".
[[nodiscard]] Error postgres_error(std::string_view operation, std::string_view cause);

/// One parameter: text, binary bytes (bytea) or NULL.
struct Param {
  std::optional<std::string> value;
  bool binary = false;
};

/// One open connection. Not thread-safe: the pool lends it to one thread at a time.
class Connection {
 public:
  /// Connects, sets the session (statement_timeout, bytea_output) and prepares every statement.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> open(const std::string& conninfo,
                                                               const PostgresOptions& options);

  /// Runs a prepared statement; the result is TUPLES_OK or COMMAND_OK, anything else an error.
  [[nodiscard]] Result<QueryResult> execute(StatementId id, const std::vector<Param>& params,
                                            std::string_view operation);
  /// Runs SQL through the simple query protocol (several statements allowed, no parameters).
  [[nodiscard]] Result<QueryResult> run_script(const std::string& sql, std::string_view operation);

  [[nodiscard]] bool broken() const noexcept { return PQstatus(conn_.get()) != CONNECTION_OK; }
  [[nodiscard]] bool reused() const noexcept { return used_; }
  /// Prepares the store's statements (once the schema exists).
  [[nodiscard]] Result<void> prepare_all(const std::string& schema);

 private:
  struct ConnDeleter {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
  };
  explicit Connection(PGconn* conn) noexcept : conn_(conn) {}
  [[nodiscard]] Result<QueryResult> check(PGresult* raw, std::string_view operation);

  std::unique_ptr<PGconn, ConnDeleter> conn_;
  bool used_ = false;
  bool prepared_ = false;
};

/// Up to `pool_size` connections, opened on demand. When a reused connection breaks, the idle
/// ones are dropped too (after a server restart they are all dead).
class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, PostgresOptions options)
      : conninfo_(std::move(conninfo)), options_(std::move(options)) {}

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() const noexcept { return connection_.get(); }
    Connection& operator*() const noexcept { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  /// A connection; with `prepared`, its statements are prepared (needs the schema to exist).
  [[nodiscard]] Result<Lease> acquire(std::string_view operation, bool prepared = true);
  /// Closes every idle connection.
  void drop_idle() noexcept;

 private:
  void release(std::unique_ptr<Connection> connection) noexcept;

  std::string conninfo_;
  PostgresOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace reverify::postgres::detail
