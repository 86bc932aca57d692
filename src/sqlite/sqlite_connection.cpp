#include "sqlite_connection.hpp"

#include <sodium.h>

#include <limits>
#include <utility>

#include "sqlite_keys.hpp"
#include "sqlite_vfs.hpp"

namespace reverify::sqlite::detail {
namespace {

// reverify_digest_match(pepper_id, code_digest, offered): 1 when `offered` (entries of a 4-byte
// little-endian pepper id and a 32-byte digest) holds a digest for `pepper_id` equal to
// `code_digest`, compared with sodium_memcmp (constant time); 0 otherwise, including for a
// missing or malformed stored digest (check_code's transaction then reports what is wrong).
void digest_match(sqlite3_context* context, int /*argc*/, sqlite3_value** args) {
  constexpr std::size_t digest_size = 32;
  constexpr std::size_t entry_size = 4 + digest_size;
  int matched = 0;
  const auto pepper_id = sqlite3_value_int64(args[0]);
  const void* stored = sqlite3_value_blob(args[1]);
  const int stored_size = sqlite3_value_bytes(args[1]);
  const auto* offered = static_cast<const unsigned char*>(sqlite3_value_blob(args[2]));
  const auto offered_size = static_cast<std::size_t>(sqlite3_value_bytes(args[2]));
  if (sqlite3_value_type(args[1]) == SQLITE_BLOB && stored != nullptr &&
      static_cast<std::size_t>(stored_size) == digest_size && offered != nullptr && offered_size % entry_size == 0) {
    for (std::size_t at = 0; at < offered_size; at += entry_size) {
      std::uint32_t id = 0;
      for (std::size_t b = 0; b < 4; ++b) id |= static_cast<std::uint32_t>(offered[at + b]) << (8 * b);
      if (static_cast<std::int64_t>(id) != pepper_id) continue;
      matched = sodium_memcmp(stored, offered + at + 4, digest_size) == 0 ? 1 : 0;
      break;
    }
  }
  sqlite3_result_int(context, matched);
}

// reverify_near_hash(text): near_hash of its UTF-8 bytes (the v2 to v3 migration).
void near_hash_function(sqlite3_context* context, int /*argc*/, sqlite3_value** args) {
  const auto* text = sqlite3_value_text(args[0]);
  const int size = sqlite3_value_bytes(args[0]);
  const std::string_view identifier =
      text != nullptr ? std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
                      : std::string_view();
  sqlite3_result_int64(context, near_hash(identifier));
}

}  // namespace

Error sqlite_error(std::string_view operation, sqlite3* db) {
  std::string message = "sqlite ";
  message += operation;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return {Errc::store_unavailable, std::move(message)};
}

Statement::~Statement() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, const unsigned char* data, std::size_t size) {
  const int rc = sqlite3_bind_blob64(statement_, index, data, size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_status_ != SQLITE_OK) return fail(sqlite_error(operation_, connection_.handle()));
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(sqlite_error(operation_, connection_.handle()));
}

Result<int> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(row.error());
    if (!*row) break;
  }
  return sqlite3_changes(connection_.handle());
}

std::int64_t Statement::column_int(int column) const noexcept { return sqlite3_column_int64(statement_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::string_view Statement::column_blob(int column) const noexcept {
  const void* data = sqlite3_column_blob(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, const SqliteOptions& options) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  // The default VFS, writing each WAL frame in one call (see sqlite_vfs.hpp) when available.
  const char* vfs = frame_coalescing_vfs();
  if (vfs != nullptr && sqlite3_vfs_find(vfs) == nullptr) vfs = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  std::unique_ptr<Connection> connection(new Connection(raw));
  if (rc != SQLITE_OK) return fail(sqlite_error("open", raw));
  sqlite3_extended_result_codes(raw, 1);
  const auto busy_ms = options.busy_timeout.count();
  sqlite3_busy_timeout(
      raw, busy_ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(busy_ms));
  // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints, which keeps
  // committed transactions atomic and consistent after a crash (the last ones may be lost on
  // power failure, never half-applied).
  if (auto wal = connection->exec("PRAGMA journal_mode=WAL", "open (journal_mode=WAL)"); !wal) {
    return fail(wal.error());
  }
  if (auto sync = connection->exec("PRAGMA synchronous=NORMAL", "open (synchronous)"); !sync) {
    return fail(sync.error());
  }
  // A checkpoint every 10 000 WAL pages (about 40 MB) instead of SQLite's 1 000: a send+verify
  // cycle appends about 5 pages, and each checkpoint costs two fdatasync calls plus a copy of
  // every page changed since the last one, so fewer, larger checkpoints copy a page written
  // several times once and sync far less often (about 15% less time per cycle measured).
  if (auto checkpoint = connection->exec("PRAGMA wal_autocheckpoint=10000", "open (wal_autocheckpoint)"); !checkpoint) {
    return fail(checkpoint.error());
  }
  // Direct-only: a view or trigger stored in the file cannot call it.
  if (sqlite3_create_function_v2(raw, "reverify_digest_match", 3,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, nullptr, digest_match, nullptr,
                                 nullptr, nullptr) != SQLITE_OK) {
    return fail(sqlite_error("open (functions)", raw));
  }
  if (sqlite3_create_function_v2(raw, "reverify_near_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                 nullptr, near_hash_function, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(sqlite_error("open (functions)", raw));
  }
  return connection;
}

Result<Statement> Connection::prepare(const char* sql, std::string_view operation) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      return fail(sqlite_error(operation, db_.get()));
    }
    found = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, StatementFinalizer>(raw)).first;
  }
  return Result<Statement>(tl::in_place, found->second.get(), *this, operation);
}

Result<void> Connection::exec(const char* sql, std::string_view operation) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(sqlite_error(operation, db_.get()));
  }
  return {};
}

Result<ImmediateTransaction> ImmediateTransaction::begin(Connection& connection, std::string_view operation) {
  auto statement = connection.prepare("BEGIN IMMEDIATE", operation);
  if (!statement) return fail(statement.error());
  if (auto done = statement->run(); !done) return fail(done.error());
  return ImmediateTransaction(connection, operation);
}

ImmediateTransaction::ImmediateTransaction(ImmediateTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), operation_(other.operation_) {}

ImmediateTransaction::~ImmediateTransaction() {
  if (connection_ != nullptr && sqlite3_get_autocommit(connection_->handle()) == 0) {
    sqlite3_exec(connection_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<void> ImmediateTransaction::commit() {
  auto statement = connection_->prepare("COMMIT", operation_);
  if (!statement) return fail(statement.error());
  if (auto done = statement->run(); !done) return fail(done.error());
  connection_ = nullptr;
  return {};
}

Result<void> ImmediateTransaction::rollback() {
  auto statement = connection_->prepare("ROLLBACK", operation_);
  if (!statement) return fail(statement.error());
  if (auto done = statement->run(); !done) return fail(done.error());
  connection_ = nullptr;
  return {};
}

}  // namespace reverify::sqlite::detail
