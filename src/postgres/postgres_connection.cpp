#include "postgres_connection.hpp"
#include "postgres_session.hpp"

#include <poll.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "common/redact.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::postgres::detail {

namespace {

/// Whether libpq reads `conninfo` as a URI (its prefixes).
bool is_uri(std::string_view conninfo) {
  return conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
}

/// Whether libpq reads `conninfo` as a URI or `key=value` string rather than a bare database name
/// (its own rule: a URI prefix, or an `=` anywhere).
bool is_connection_string(std::string_view conninfo) {
  return is_uri(conninfo) || conninfo.find('=') != std::string_view::npos;
}

/// Wipes a C string libpq allocated that may hold a password, before it is freed.
void wipe(char* text) noexcept {
  if (text != nullptr) sodium_memzero(text, std::strlen(text));
}

/// Whether a URI's user name or password may hold a raw '@' or '/' (RFC 3986 wants them as %40
/// and %2F). libpq ends the user info at the first '@' and looks for none past the first '/', so
/// the rest of such a password becomes the host, port or database, which its errors quote whole.
/// Two '@' before the first '/' is the first case; none before it but one after is the second
/// (or a database name with a raw '@' and no user name, which %40 writes as well).
bool userinfo_is_ambiguous(std::string_view uri) {
  std::string_view rest = uri.substr(uri.find("://") + 3);
  rest = rest.substr(0, rest.find('?'));
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const auto ats = std::count(authority.begin(), authority.end(), '@');
  if (ats > 1) return true;
  return ats == 0 && slash != std::string_view::npos && rest.find('@', slash) != std::string_view::npos;
}

/// The password a well-formed `conninfo` carries ("" when none); nothing when libpq cannot parse
/// it, or when it could only parse it by splitting the password. libpq's own parse errors quote
/// the URI or the raw password, so their text is dropped.
std::optional<SecretString> conninfo_password(const std::string& conninfo) {
  if (!is_connection_string(conninfo)) return SecretString();
  if (is_uri(conninfo) && userinfo_is_ambiguous(conninfo)) return std::nullopt;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  wipe(error);
  PQfreemem(error);
  if (options == nullptr) return std::nullopt;
  SecretString password;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr) {
      password = SecretString(option->val);
      wipe(option->val);
    }
  }
  PQconninfoFree(options);
  return password;
}

Error malformed_conninfo() {
  return {Errc::invalid_configuration,
          "postgres connect: the conninfo is malformed (not repeated here: it may hold a password; in a "
          "URI, a user name, password or database name must write '@' as %40 and '/' as %2F)"};
}

}  // namespace

Result<void> check_conninfo(const std::string& conninfo) {
  if (conninfo_password(conninfo)) return {};
  return fail(malformed_conninfo());
}

Error postgres_error(std::string_view operation, std::string_view cause) {
  std::string message = "postgres ";
  message += operation;
  message += ": ";
  // libpq messages end with a newline, and some hold a second line ("\n\tIs the server
  // running…?"): keep the message on one line, each run of white space as one space.
  while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' ')) cause.remove_suffix(1);
  bool space = false;
  for (const char c : cause) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space) message += ' ';
    space = false;
    message += c;
  }
  return {Errc::store_unavailable, std::move(message)};
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo, const PostgresOptions& options) {
  const auto connect_seconds = std::to_string(std::max<long long>(2, (options.connect_timeout.count() + 999) / 1000));
  const auto user_timeout = std::to_string(options.command_timeout.count());
  // Keywords are applied in order and the expanded conninfo comes last, so its own values win.
  const std::array<const char*, 7> keywords = {
      "connect_timeout", "keepalives", "keepalives_idle", "tcp_user_timeout", "application_name", "dbname", nullptr};
  const std::array<const char*, 7> values = {connect_seconds.c_str(), "1",    "30", user_timeout.c_str(), "reverify",
                                             conninfo.c_str(),        nullptr};
  // Parsed first, so that a malformed conninfo never reaches libpq's connect, whose message
  // would quote it.
  const auto password = conninfo_password(conninfo);
  if (!password) return fail(malformed_conninfo());
  PGconn* raw = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (raw == nullptr) return fail(postgres_error("connect", "cannot allocate a connection"));
  std::unique_ptr<Connection> connection(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    // libpq does not quote a password it parsed, but an option's invalid value is quoted: cut
    // the conninfo and its password out of the text should one ever appear in it.
    const std::string_view whole = is_connection_string(conninfo) ? std::string_view(conninfo) : std::string_view();
    return fail(postgres_error("connect", reverify::detail::redact(PQerrorMessage(raw), {whole, password->reveal()})));
  }

  const std::string session = session_settings(options);
  if (auto set = connection->run_script(session, "connect (session settings)"); !set) return fail(set.error());
  connection->used_ = false;
  return connection;
}

Result<QueryResult> Connection::check(PGresult* raw, std::string_view operation) {
  QueryResult result(raw);
  if (!result) return fail(postgres_error(operation, PQerrorMessage(conn_.get())));
  const auto status = PQresultStatus(result.get());
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return result;
  // The primary message and SQLSTATE only: the DETAIL line may quote parameter values.
  const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  std::string cause = primary != nullptr ? primary : PQerrorMessage(conn_.get());
  if (state != nullptr) {
    cause += " (SQLSTATE ";
    cause += state;
    cause += ")";
  }
  return fail(postgres_error(operation, cause));
}

Result<QueryResult> Connection::execute(StatementId id, const std::vector<Param>& params, std::string_view operation) {
  const StatementSource& source = statement_source(id);
  std::array<const char*, max_parameters> values{};
  std::array<int, max_parameters> lengths{};
  std::array<int, max_parameters> formats{};
  for (std::size_t i = 0; i < params.size() && i < values.size(); ++i) {
    if (params[i].value) {
      values[i] = params[i].value->data();
      lengths[i] = static_cast<int>(params[i].value->size());
      formats[i] = params[i].binary ? 1 : 0;
    }
  }
  used_ = true;
  return check(PQexecPrepared(conn_.get(), source.name, static_cast<int>(params.size()), values.data(), lengths.data(),
                              formats.data(), 0),
               operation);
}

bool Connection::alive() noexcept {
  if (PQstatus(conn_.get()) != CONNECTION_OK) return false;
  pollfd socket{PQsocket(conn_.get()), POLLIN, 0};
  if (socket.fd < 0) return false;
  // An idle connection has nothing to read unless the server ended it (a FATAL message, then end
  // of file) or sent a notice; reading tells the two apart.
  if (::poll(&socket, 1, 0) <= 0) return true;
  if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
    dead_ = true;
    return false;
  }
  return true;
}

Result<QueryResult> Connection::run_script(const std::string& sql, std::string_view operation) {
  used_ = true;
  return check(PQexec(conn_.get(), sql.c_str()), operation);
}

Result<void> Connection::prepare_all(const std::string& schema) {
  if (prepared_) return {};
  for (std::size_t i = 0; i < statement_count; ++i) {
    const StatementSource& source = statement_source(static_cast<StatementId>(i));
    const std::string sql = with_schema(source.sql, schema);
    std::array<Oid, max_parameters> types{};
    for (std::size_t p = 0; p < source.parameter_count; ++p) types[p] = source.parameter_types[p];
    auto prepared =
        check(PQprepare(conn_.get(), source.name, sql.c_str(), static_cast<int>(source.parameter_count), types.data()),
              "connect (prepare statements)");
    if (!prepared) return fail(prepared.error());
  }
  prepared_ = true;
  return {};
}

Result<ConnectionPool::Lease> acquire_prepared(ConnectionPool& pool, std::string_view operation,
                                               const std::string& schema) {
  auto lease = pool.acquire(operation);
  if (!lease) return lease;
  if (auto ready = (*lease)->prepare_all(schema); !ready) return fail(ready.error());
  return lease;
}

}  // namespace reverify::postgres::detail
