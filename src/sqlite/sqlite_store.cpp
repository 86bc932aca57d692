#include "reverify/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "common/store_codec.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_schema.hpp"

namespace reverify::sqlite {

using detail::ConnectionPool;
using detail::ImmediateTransaction;
using detail::Statement;

struct SqliteStore::Impl {
  Impl(std::string p, SqliteOptions o)
      : path(std::move(p)),
        pool("sqlite", o.pool_size, std::nullopt, [this, o] { return detail::Connection::open(path, o); }) {}
  std::string path;
  ConnectionPool pool;
};

namespace {

using reverify::detail::digest_from_bytes;
using reverify::detail::to_u32;

// NULL is "no digest"; a blob of another size is corruption, reported rather than read as
// "no digest" (which would turn a bound record into an unbound one).
Result<std::optional<Digest>> read_digest(const Statement& statement, int column, std::string_view operation) {
  if (statement.column_is_null(column)) return std::optional<Digest>{};
  auto digest = digest_from_bytes(statement.column_blob(column));
  if (!digest) return fail(Errc::store_unavailable, "sqlite " + std::string(operation) + ": malformed digest");
  return digest;
}

void bind_digest(Statement& statement, int index, const std::optional<Digest>& digest) {
  if (digest) {
    statement.bind_blob(index, digest->data(), digest->size());
  } else {
    statement.bind_null(index);
  }
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

const std::string& SqliteStore::path() const noexcept { return impl_->path; }

Result<std::shared_ptr<SqliteStore>> SqliteStore::open(const std::string& path, SqliteOptions options) {
  if (path.empty() || path == ":memory:" || path.rfind("file::memory:", 0) == 0) {
    return fail(Errc::invalid_configuration, "sqlite open: the store needs a database file, not an in-memory database");
  }
  if (options.pool_size == 0) return fail(Errc::invalid_configuration, "sqlite open: pool_size must be at least 1");
  if (options.busy_timeout.count() < 0) {
    return fail(Errc::invalid_configuration, "sqlite open: busy_timeout must not be negative");
  }
  auto impl = std::make_unique<Impl>(path, options);
  {
    auto connection = impl->pool.acquire("open");
    if (!connection) return fail(connection.error());
    if (auto migrated = detail::migrate(**connection); !migrated) return fail(migrated.error());
  }
  return std::shared_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<bool> SqliteStore::insert(const VerificationRecord& record, bool retire_previous) {
  constexpr std::string_view op = "insert";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  const bool takes_slot = retire_previous && record.is_code();
  const std::string slot = takes_slot ? record.code_slot() : std::string();
  std::optional<ImmediateTransaction> transaction;
  if (takes_slot) {
    auto begun = ImmediateTransaction::begin(**connection, op);
    if (!begun) return fail(begun.error());
    transaction.emplace(std::move(*begun));
  }
  {
    auto insert =
        (*connection)
            ->prepare(
                "INSERT INTO reverify_records (id, user_id, kind, template_type, identifier, identifier_key, purpose, "
                "binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
                "verified, retired, slot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                "?16, "
                "?17, ?18) ON CONFLICT (id) DO NOTHING",
                op);
    if (!insert) return fail(insert.error());
    insert->bind(1, record.id)
        .bind(2, record.user_id)
        .bind(3, static_cast<std::int64_t>(record.kind))
        .bind(4, static_cast<std::int64_t>(record.template_type))
        .bind(5, record.identifier)
        .bind(6, record.identifier_key)
        .bind(7, record.purpose);
    bind_digest(*insert, 8, record.binding_digest);
    bind_digest(*insert, 9, record.code_digest);
    insert->bind(10, std::int64_t{record.pepper_id})
        .bind(11, std::int64_t{record.attempts})
        .bind(12, std::int64_t{record.use_count})
        .bind(13, to_unix_ms(record.created_at))
        .bind(14, to_unix_ms(record.expires_at))
        .bind(15, to_unix_ms(record.code_expires_at))
        .bind(16, std::int64_t{record.verified ? 1 : 0})
        .bind(17, std::int64_t{record.retired ? 1 : 0});
    if (takes_slot) {
      insert->bind(18, slot);
    } else {
      insert->bind_null(18);
    }
    auto changed = insert->run();
    if (!changed) return fail(changed.error());
    if (*changed == 0) return false;  // the transaction, if any, rolls back: nothing changed
  }
  if (!takes_slot) return true;

  // Every earlier record of the slot is retired or verified already, except its holder: so this
  // retires exactly the previous holder when it is unverified.
  {
    auto retire =
        (*connection)
            ->prepare(
                "UPDATE reverify_records SET retired = 1 WHERE slot = ?1 AND id <> ?2 AND verified = 0 AND retired = 0",
                op);
    if (!retire) return fail(retire.error());
    if (auto done = retire->bind(1, slot).bind(2, record.id).run(); !done) return fail(done.error());
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return true;
}

Result<std::optional<VerificationRecord>> SqliteStore::find(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "find";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto select = (*connection)
                    ->prepare(
                        "SELECT id, user_id, kind, template_type, identifier, identifier_key, purpose, binding_digest, "
                        "code_digest, "
                        "pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, verified, retired "
                        "FROM reverify_records WHERE id = ?1 AND expires_at > ?2",
                        op);
  if (!select) return fail(select.error());
  auto row = select->bind(1, id).bind(2, to_unix_ms(now)).step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<VerificationRecord>{};
  VerificationRecord record;
  record.id = select->column_text(0);
  record.user_id = select->column_text(1);
  record.kind = static_cast<RecordKind>(select->column_int(2));
  record.template_type = static_cast<TemplateType>(select->column_int(3));
  record.identifier = select->column_text(4);
  record.identifier_key = select->column_text(5);
  record.purpose = select->column_text(6);
  auto binding_digest = read_digest(*select, 7, op);
  auto code_digest = read_digest(*select, 8, op);
  if (!binding_digest) return fail(binding_digest.error());
  if (!code_digest) return fail(code_digest.error());
  record.binding_digest = *binding_digest;
  record.code_digest = *code_digest;
  record.pepper_id = to_u32(select->column_int(9));
  record.attempts = to_u32(select->column_int(10));
  record.use_count = to_u32(select->column_int(11));
  record.created_at = from_unix_ms(select->column_int(12));
  record.expires_at = from_unix_ms(select->column_int(13));
  record.code_expires_at = from_unix_ms(select->column_int(14));
  record.verified = select->column_int(15) != 0;
  record.retired = select->column_int(16) != 0;
  return std::optional<VerificationRecord>(std::move(record));
}

Result<AttemptResult> SqliteStore::spend_attempt(std::string_view id, std::uint32_t max_attempts, Timestamp now) {
  constexpr std::string_view op = "spend_attempt";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto transaction = ImmediateTransaction::begin(**connection, op);
  if (!transaction) return fail(transaction.error());

  AttemptResult result;
  {
    auto select = (*connection)
                      ->prepare(
                          "SELECT attempts, verified, retired, code_digest, pepper_id FROM reverify_records "
                          "WHERE id = ?1 AND expires_at > ?2",
                          op);
    if (!select) return fail(select.error());
    auto row = select->bind(1, id).bind(2, to_unix_ms(now)).step();
    if (!row) return fail(row.error());
    if (!*row || select->column_int(2) != 0) return result;  // not_found; the transaction rolls back
    result.attempts = to_u32(select->column_int(0));
    if (select->column_int(1) != 0) {
      result.status = AttemptStatus::already_verified;
      return result;
    }
    if (result.attempts >= max_attempts) {
      result.status = AttemptStatus::exhausted;
      return result;
    }
    auto code_digest = read_digest(*select, 3, op);
    if (!code_digest) return fail(code_digest.error());
    result.code_digest = *code_digest;
    result.pepper_id = to_u32(select->column_int(4));
  }
  {
    auto update = (*connection)->prepare("UPDATE reverify_records SET attempts = attempts + 1 WHERE id = ?1", op);
    if (!update) return fail(update.error());
    if (auto done = update->bind(1, id).run(); !done) return fail(done.error());
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  result.status = AttemptStatus::spent;
  result.attempts += 1;
  return result;
}

Result<bool> SqliteStore::mark_verified(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "mark_verified";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto update = (*connection)
                    ->prepare(
                        "UPDATE reverify_records SET verified = 1 "
                        "WHERE id = ?1 AND expires_at > ?2 AND verified = 0 AND retired = 0",
                        op);
  if (!update) return fail(update.error());
  auto changed = update->bind(1, id).bind(2, to_unix_ms(now)).run();
  if (!changed) return fail(changed.error());
  return *changed == 1;
}

Result<bool> SqliteStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  constexpr std::string_view op = "use";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto update =
      (*connection)
          ->prepare(
              "UPDATE reverify_records SET use_count = use_count + 1 "
              "WHERE id = ?1 AND expires_at > ?2 AND verified = 1 AND retired = 0 AND (?3 = 0 OR use_count < ?3)",
              op);
  if (!update) return fail(update.error());
  auto changed = update->bind(1, id).bind(2, to_unix_ms(now)).bind(3, std::int64_t{max_uses}).run();
  if (!changed) return fail(changed.error());
  return *changed == 1;
}

Result<void> SqliteStore::retire(std::string_view id) {
  constexpr std::string_view op = "retire";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto update = (*connection)->prepare("UPDATE reverify_records SET retired = 1 WHERE id = ?1", op);
  if (!update) return fail(update.error());
  if (auto done = update->bind(1, id).run(); !done) return fail(done.error());
  return {};
}

Result<WindowResult> SqliteStore::window_add(std::string_view key, std::chrono::milliseconds window,
                                             std::uint32_t limit, Timestamp now) {
  constexpr std::string_view op = "window_add";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto transaction = ImmediateTransaction::begin(**connection, op);
  if (!transaction) return fail(transaction.error());
  const std::int64_t now_ms = to_unix_ms(now);
  {
    auto forget = (*connection)->prepare("DELETE FROM reverify_window_events WHERE key = ?1 AND at <= ?2", op);
    if (!forget) return fail(forget.error());
    if (auto done = forget->bind(1, key).bind(2, now_ms - window.count()).run(); !done) return fail(done.error());
  }
  WindowResult result;
  std::int64_t oldest = 0;
  {
    auto count =
        (*connection)->prepare("SELECT count(*), coalesce(min(at), 0) FROM reverify_window_events WHERE key = ?1", op);
    if (!count) return fail(count.error());
    auto row = count->bind(1, key).step();
    if (!row) return fail(row.error());
    result.count = to_u32(count->column_int(0));
    oldest = count->column_int(1);
  }
  if (result.count < limit) {
    auto add =
        (*connection)->prepare("INSERT INTO reverify_window_events (key, at, expires_at) VALUES (?1, ?2, ?3)", op);
    if (!add) return fail(add.error());
    if (auto done = add->bind(1, key).bind(2, now_ms).bind(3, now_ms + window.count()).run(); !done) {
      return fail(done.error());
    }
    if (result.count == 0) oldest = now_ms;
    result.count += 1;
    result.counted = true;
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  result.oldest = result.count == 0 ? Timestamp{} : from_unix_ms(oldest);
  return result;
}

Result<void> SqliteStore::window_remove(std::string_view key, Timestamp at) {
  constexpr std::string_view op = "window_remove";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto remove = (*connection)
                    ->prepare(
                        "DELETE FROM reverify_window_events WHERE rowid = "
                        "(SELECT rowid FROM reverify_window_events WHERE key = ?1 AND at = ?2 LIMIT 1)",
                        op);
  if (!remove) return fail(remove.error());
  if (auto done = remove->bind(1, key).bind(2, to_unix_ms(at)).run(); !done) return fail(done.error());
  return {};
}

Result<void> SqliteStore::block(std::string_view key, Timestamp until) {
  constexpr std::string_view op = "block";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto upsert = (*connection)
                    ->prepare(
                        "INSERT INTO reverify_blocks (key, until) VALUES (?1, ?2) "
                        "ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)",
                        op);
  if (!upsert) return fail(upsert.error());
  if (auto done = upsert->bind(1, key).bind(2, to_unix_ms(until)).run(); !done) return fail(done.error());
  return {};
}

Result<std::optional<Timestamp>> SqliteStore::blocked_until(std::string_view key, Timestamp now) {
  constexpr std::string_view op = "blocked_until";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto select = (*connection)->prepare("SELECT until FROM reverify_blocks WHERE key = ?1 AND until > ?2", op);
  if (!select) return fail(select.error());
  auto row = select->bind(1, key).bind(2, to_unix_ms(now)).step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Timestamp>{};
  return std::optional<Timestamp>(from_unix_ms(select->column_int(0)));
}

Result<void> SqliteStore::unblock(std::string_view key) {
  constexpr std::string_view op = "unblock";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto transaction = ImmediateTransaction::begin(**connection, op);
  if (!transaction) return fail(transaction.error());
  {
    auto remove = (*connection)->prepare("DELETE FROM reverify_blocks WHERE key = ?1", op);
    if (!remove) return fail(remove.error());
    if (auto done = remove->bind(1, key).run(); !done) return fail(done.error());
  }
  {
    auto forget = (*connection)->prepare("DELETE FROM reverify_window_events WHERE key = ?1", op);
    if (!forget) return fail(forget.error());
    if (auto done = forget->bind(1, key).run(); !done) return fail(done.error());
  }
  return transaction->commit();
}

Result<std::size_t> SqliteStore::purge_expired(Timestamp now, std::size_t limit) {
  constexpr std::string_view op = "purge_expired";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  // Each statement deletes at most the remaining budget, so one call does bounded work and
  // holds the write lock only briefly.
  static constexpr std::array<const char*, 3> statements = {
      "DELETE FROM reverify_records WHERE rowid IN "
      "(SELECT rowid FROM reverify_records WHERE expires_at <= ?1 LIMIT ?2)",
      "DELETE FROM reverify_window_events WHERE rowid IN "
      "(SELECT rowid FROM reverify_window_events WHERE expires_at <= ?1 LIMIT ?2)",
      "DELETE FROM reverify_blocks WHERE rowid IN "
      "(SELECT rowid FROM reverify_blocks WHERE until <= ?1 LIMIT ?2)",
  };
  std::size_t deleted = 0;
  for (const char* sql : statements) {
    if (deleted >= limit) break;
    auto remove = (*connection)->prepare(sql, op);
    if (!remove) return fail(remove.error());
    const auto budget = static_cast<std::int64_t>(std::min<std::size_t>(limit - deleted, INT64_MAX));
    auto changed = remove->bind(1, to_unix_ms(now)).bind(2, budget).run();
    if (!changed) return fail(changed.error());
    deleted += static_cast<std::size_t>(*changed);
  }
  return deleted;
}

}  // namespace reverify::sqlite
