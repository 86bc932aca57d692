#pragma once
// One libpq connection with the store's statements prepared, and a pool of them.

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/connection_pool.hpp"
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

/// `invalid_configuration` when libpq cannot parse `conninfo` (a URI or `key=value` string; a bare
/// database name always passes). The message never repeats the conninfo: it may hold a password.
[[nodiscard]] Result<void> check_conninfo(const std::string& conninfo);

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

  [[nodiscard]] bool broken() const noexcept { return dead_ || PQstatus(conn_.get()) != CONNECTION_OK; }
  [[nodiscard]] bool reused() const noexcept { return used_; }
  /// Whether an idle connection still reaches the server, found out without sending anything:
  /// after a server restart the socket reports end of file. False marks it broken.
  [[nodiscard]] bool alive() noexcept;
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
  bool dead_ = false;
};

/// Up to `pool_size` connections, opened on demand; broken ones are dropped when returned.
using ConnectionPool = reverify::detail::ConnectionPool<Connection>;

/// A connection from `pool` with the store's statements prepared for `schema` (which must
/// exist). Errors: those of `ConnectionPool::acquire` and of preparing; on a preparing failure
/// the connection goes back to the pool.
[[nodiscard]] Result<ConnectionPool::Lease> acquire_prepared(ConnectionPool& pool, std::string_view operation,
                                                             const std::string& schema);

}  // namespace reverify::postgres::detail
