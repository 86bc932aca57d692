#include "reverify/sqlite/sqlite_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>

#include "common/store_codec.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_keys.hpp"
#include "sqlite_purge.hpp"
#include "sqlite_schema.hpp"

namespace reverify::sqlite {

using detail::Connection;
using detail::ConnectionPool;
using detail::ImmediateTransaction;
using detail::KeyState;
using detail::Statement;

struct SqliteStore::Impl {
  Impl(std::string p, SqliteOptions o)
      : path(std::move(p)),
        pool("sqlite", o.pool_size, std::nullopt, [this, o] { return detail::Connection::open(path, o); }) {}
  std::string path;
  ConnectionPool pool;
  // Where the next purge_expired resumes its scan of each table (see there).
  std::mutex purge_mutex;
  detail::PurgeCursor purge_cursor;
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

// A window/block key row as read (columns `first` … `first + 2`: events, window_ms, block_until);
// NULL events (a LEFT JOIN without a match) is an absent key.
struct LoadedKey {
  KeyState state;
  bool exists = false;
};

Result<LoadedKey> read_key(const Statement& statement, int first, std::string_view operation) {
  LoadedKey loaded;
  if (statement.column_is_null(first)) return loaded;
  loaded.exists = true;
  if (!detail::unpack_events(statement.column_blob(first), loaded.state.events)) {
    return fail(Errc::store_unavailable, "sqlite " + std::string(operation) + ": malformed window events");
  }
  loaded.state.window_ms = statement.column_int(first + 1);
  if (!statement.column_is_null(first + 2)) loaded.state.block_until = statement.column_int(first + 2);
  return loaded;
}

Result<LoadedKey> load_key(Connection& connection, std::string_view key, std::string_view operation) {
  auto select = connection.prepare(
      "SELECT events, window_ms, block_until FROM reverify_keys WHERE near = ?1 AND kind = 0 AND key = ?2", operation);
  if (!select) return fail(select.error());
  auto row = select->bind(1, detail::near_of(key)).bind_view(2, key).step();
  if (!row) return fail(row.error());
  if (!*row) return LoadedKey{};
  return read_key(*select, 0, operation);
}

// Writes a key row back (deleting it once it holds nothing).
Result<void> store_key(Connection& connection, std::string_view key, const LoadedKey& before, const KeyState& after,
                       std::string_view operation) {
  if (after.empty()) {
    if (!before.exists) return {};
    auto remove = connection.prepare("DELETE FROM reverify_keys WHERE near = ?1 AND kind = 0 AND key = ?2", operation);
    if (!remove) return fail(remove.error());
    if (auto done = remove->bind(1, detail::near_of(key)).bind_view(2, key).run(); !done) return fail(done.error());
    return {};
  }
  auto upsert = connection.prepare(
      "INSERT INTO reverify_keys (near, kind, key, events, window_ms, block_until, purge_at) "
      "VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (near, kind, key) DO UPDATE SET events = excluded.events, "
      "window_ms = excluded.window_ms, block_until = excluded.block_until, purge_at = excluded.purge_at",
      operation);
  if (!upsert) return fail(upsert.error());
  detail::bind_key_state(*upsert, key, after);
  if (auto done = upsert->run(); !done) return fail(done.error());
  return {};
}

// Forgets the slot row of `slot` (near `identifier_key`) if it still names record `id`; with an
// empty `slot` (a damaged record whose slot cannot be recomputed), any slot row naming `id`.
Result<void> drop_slot(Connection& connection, std::string_view identifier_key, std::string_view slot,
                       std::string_view id, std::string_view operation) {
  if (slot.empty()) {
    auto remove = connection.prepare("DELETE FROM reverify_keys WHERE kind = 1 AND holder = ?1", operation);
    if (!remove) return fail(remove.error());
    if (auto done = remove->bind_view(1, id).run(); !done) return fail(done.error());
    return {};
  }
  auto remove = connection.prepare(
      "DELETE FROM reverify_keys WHERE near = ?1 AND kind = 1 AND key = ?2 AND holder = ?3", operation);
  if (!remove) return fail(remove.error());
  if (auto done = remove->bind(1, detail::near_hash(identifier_key)).bind_view(2, slot).bind_view(3, id).run(); !done)
    return fail(done.error());
  return {};
}

// The slot a record just deleted held, from its DELETE's RETURNING user_id, kind, template_type,
// identifier_key, holds_slot: recomputed by code_slot() from the record's fields, as open_code
// computed it. Empty when the record held none; `slot` empty when its kind or template type is
// none a release writes (the row is damaged; its slot row is then found by its holder).
struct HeldSlot {
  std::string identifier_key;
  std::string slot;
};
std::optional<HeldSlot> held_slot(const Statement& remove) {
  if (remove.column_int(4) == 0) return std::nullopt;
  HeldSlot held;
  held.identifier_key = remove.column_text(3);
  const auto kind = reverify::detail::record_kind_from(remove.column_int(1));
  const auto template_type = reverify::detail::template_type_from(remove.column_int(2));
  if (!kind || !template_type) return held;
  VerificationRecord record;
  record.user_id = remove.column_text(0);
  record.kind = *kind;
  record.template_type = *template_type;
  record.identifier_key = held.identifier_key;
  held.slot = record.code_slot();
  return held;
}

// Counts one failure of `rule.key` at `now_ms` in `state`, blocking when it reaches the count.
FailureResult add_failure(KeyState& state, const LockoutRule& rule, std::int64_t now_ms) {
  state.forget_before(now_ms, std::max<std::int64_t>(rule.window.count(), 0));
  state.add(now_ms);
  FailureResult result;
  result.failures = to_u32(static_cast<std::int64_t>(state.events.size()));
  if (result.failures >= rule.failures) {
    const std::int64_t until = detail::saturating_add(now_ms, rule.duration.count());
    state.block_until = state.block_until ? std::max(*state.block_until, until) : until;
    result.blocked_until = from_unix_ms(*state.block_until);
  }
  return result;
}

// Inserts `record` unless its id is taken; `holds_slot` when it takes its code slot.
Result<bool> insert_record(Connection& connection, const VerificationRecord& record, bool holds_slot,
                           std::string_view op) {
  auto insert = connection.prepare(
      "INSERT INTO reverify_records (id, user_id, kind, template_type, identifier, identifier_key, purpose, "
      "binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
      "verified, retired, holds_slot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
      "?17, ?18) ON CONFLICT (id) DO NOTHING",
      op);
  if (!insert) return fail(insert.error());
  insert->bind_view(1, record.id)
      .bind_view(2, record.user_id)
      .bind(3, static_cast<std::int64_t>(record.kind))
      .bind(4, static_cast<std::int64_t>(record.template_type))
      .bind_view(5, record.identifier)
      .bind_view(6, record.identifier_key)
      .bind_view(7, record.purpose);
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
  insert->bind(18, std::int64_t{holds_slot ? 1 : 0});
  auto changed = insert->run();
  if (!changed) return fail(changed.error());
  return *changed == 1;
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
  if (sodium_init() < 0) return fail(Errc::store_unavailable, "sqlite open: libsodium failed to initialise");
  auto impl = std::make_unique<Impl>(path, options);
  {
    auto connection = impl->pool.acquire("open");
    if (!connection) return fail(connection.error());
    if (auto migrated = detail::migrate(**connection); !migrated) return fail(migrated.error());
  }
  return std::shared_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<bool> SqliteStore::insert(const VerificationRecord& record) {
  constexpr std::string_view op = "insert";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  return insert_record(**connection, record, false, op);
}

Result<OpenResult> SqliteStore::open_code(const VerificationRecord& record, const SendLimit& limit,
                                          bool retire_previous, Timestamp now) {
  constexpr std::string_view op = "open_code";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  Connection& db = **connection;
  const bool takes_slot = retire_previous && record.is_code();
  const std::string slot = takes_slot ? record.code_slot() : std::string();
  const std::int64_t now_ms = to_unix_ms(now);

  auto transaction = ImmediateTransaction::begin(db, op);
  if (!transaction) return fail(transaction.error());
  OpenResult result;
  // Inserting first settles id_taken; a refused send rolls the insert back.
  auto inserted = insert_record(db, record, takes_slot, op);
  if (!inserted) return fail(inserted.error());
  if (!*inserted) {
    if (auto ended = transaction->rollback(); !ended) return fail(ended.error());
    return result;
  }

  // The send key's row and the slot row (near the same identifier for the manager's keys) in
  // one read; with no slot, ?4 is NULL and matches nothing.
  LoadedKey loaded;
  std::optional<std::string> holder;
  {
    auto select = db.prepare(
        "SELECT 0, events, window_ms, block_until, NULL FROM reverify_keys WHERE near = ?1 AND kind = 0 AND key = ?2 "
        "UNION ALL SELECT 1, NULL, NULL, NULL, holder FROM reverify_keys WHERE near = ?3 AND kind = 1 AND key = ?4",
        op);
    if (!select) return fail(select.error());
    select->bind(1, detail::near_of(limit.key))
        .bind_view(2, limit.key)
        .bind(3, detail::near_hash(record.identifier_key));
    if (takes_slot) {
      select->bind_view(4, slot);
    } else {
      select->bind_null(4);
    }
    for (;;) {
      auto row = select->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      if (select->column_int(0) == 0) {
        auto key = read_key(*select, 1, op);
        if (!key) return fail(key.error());
        loaded = std::move(*key);
      } else if (!select->column_is_null(4)) {
        holder = select->column_text(4);
      }
    }
  }
  KeyState state = loaded.state;
  state.forget_before(now_ms, std::max<std::int64_t>(limit.window.count(), 0));
  if (state.events.size() >= limit.limit) {
    result.status = OpenStatus::rate_limited;
    result.sends = to_u32(static_cast<std::int64_t>(state.events.size()));
    if (!state.events.empty()) result.oldest = from_unix_ms(state.events.front());
    if (auto ended = transaction->rollback(); !ended) return fail(ended.error());
    return result;
  }
  state.add(now_ms);

  if (!takes_slot) {
    if (auto stored = store_key(db, limit.key, loaded, state, op); !stored) return fail(stored.error());
  } else {
    // The slot row names the holder; every earlier record of the slot is retired or verified.
    if (holder) {
      auto retire =
          db.prepare("UPDATE reverify_records SET retired = 1 WHERE id = ?1 AND verified = 0 AND retired = 0", op);
      if (!retire) return fail(retire.error());
      if (auto done = retire->bind_view(1, *holder).run(); !done) return fail(done.error());
    }
    // Both rows in one upsert: a window row's holder and a slot row's window columns are NULL.
    auto upsert = db.prepare(
        "INSERT INTO reverify_keys (near, kind, key, events, window_ms, block_until, purge_at, holder) "
        "VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, NULL), (?7, 1, ?8, NULL, NULL, NULL, NULL, ?9) "
        "ON CONFLICT (near, kind, key) DO UPDATE SET events = excluded.events, window_ms = excluded.window_ms, "
        "block_until = excluded.block_until, purge_at = excluded.purge_at, holder = excluded.holder",
        op);
    if (!upsert) return fail(upsert.error());
    detail::bind_key_state(*upsert, limit.key, state);
    upsert->bind(7, detail::near_hash(record.identifier_key)).bind_view(8, slot).bind_view(9, record.id);
    if (auto done = upsert->run(); !done) return fail(done.error());
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  result.status = OpenStatus::opened;
  result.sends = to_u32(static_cast<std::int64_t>(state.events.size()));
  result.oldest = from_unix_ms(state.events.front());
  return result;
}

Result<void> SqliteStore::cancel_code(std::string_view id, std::string_view send_key, Timestamp at) {
  constexpr std::string_view op = "cancel_code";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  Connection& db = **connection;
  auto transaction = ImmediateTransaction::begin(db, op);
  if (!transaction) return fail(transaction.error());
  {
    auto remove = db.prepare(
        "DELETE FROM reverify_records WHERE id = ?1 RETURNING user_id, kind, template_type, identifier_key, "
        "holds_slot",
        op);
    if (!remove) return fail(remove.error());
    auto row = remove->bind_view(1, id).step();
    if (!row) return fail(row.error());
    const std::optional<HeldSlot> held = *row ? held_slot(*remove) : std::nullopt;
    if (auto done = remove->run(); !done) return fail(done.error());
    if (held) {
      if (auto dropped = drop_slot(db, held->identifier_key, held->slot, id, op); !dropped) {
        return fail(dropped.error());
      }
    }
  }
  auto loaded = load_key(db, send_key, op);
  if (!loaded) return fail(loaded.error());
  KeyState state = loaded->state;
  if (state.remove(to_unix_ms(at))) {
    if (auto stored = store_key(db, send_key, *loaded, state, op); !stored) return fail(stored.error());
  }
  return transaction->commit();
}

Result<std::optional<VerificationRecord>> SqliteStore::find(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "find";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto select = (*connection)
                    ->prepare(
                        "SELECT id, user_id, kind, template_type, identifier, identifier_key, purpose, binding_digest, "
                        "code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
                        "verified, retired FROM reverify_records WHERE id = ?1 AND expires_at > ?2",
                        op);
  if (!select) return fail(select.error());
  auto row = select->bind_view(1, id).bind(2, to_unix_ms(now)).step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<VerificationRecord>{};
  VerificationRecord record;
  record.id = select->column_text(0);
  record.user_id = select->column_text(1);
  const auto kind = reverify::detail::record_kind_from(select->column_int(2));
  const auto template_type = reverify::detail::template_type_from(select->column_int(3));
  if (!kind || !template_type) {
    return fail(Errc::store_unavailable, "sqlite " + std::string(op) + ": malformed kind or template type");
  }
  record.kind = *kind;
  record.template_type = *template_type;
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

Result<CheckResult> SqliteStore::check_code(const CodeCheck& check) {
  constexpr std::string_view op = "check_code";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  Connection& db = **connection;
  const std::int64_t now_ms = to_unix_ms(check.now);

  // The right code first, as one compare-and-set statement: it changes the record only when
  // every refusal rule passes, attempts are below the limit and the offered digest of the
  // record's pepper equals its code_digest (reverify_digest_match: sodium_memcmp), so its own
  // write transaction is the whole step. When it changes nothing, the transaction below decides
  // (and counts) the answer as if the statement had not run.
  {
    auto verify = db.prepare(
        "UPDATE reverify_records SET attempts = 1, verified = 1 "
        "WHERE id = ?1 AND expires_at > ?2 AND retired = 0 AND user_id = ?3 AND kind = ?4 AND verified = 0 "
        "AND identifier_key = ?5 AND code_expires_at >= ?2 AND attempts = 0 AND ?6 > 0 "
        "AND NOT EXISTS (SELECT 1 FROM reverify_keys WHERE near = ?7 AND kind = 0 AND key = ?8 AND block_until > ?2) "
        "AND reverify_digest_match(pepper_id, code_digest, ?9)",
        op);
    if (!verify) return fail(verify.error());
    std::vector<unsigned char> offered(check.offered.size() * (4 + Digest{}.size()));
    for (std::size_t i = 0; i < check.offered.size(); ++i) {
      unsigned char* entry = offered.data() + i * (4 + Digest{}.size());
      for (std::size_t b = 0; b < 4; ++b) entry[b] = static_cast<unsigned char>(check.offered[i].pepper_id >> (8 * b));
      std::copy(check.offered[i].digest.begin(), check.offered[i].digest.end(), entry + 4);
    }
    static constexpr unsigned char none = 0;  // a null pointer would bind NULL, not an empty blob
    verify->bind_view(1, check.record_id)
        .bind(2, now_ms)
        .bind_view(3, check.user_id)
        .bind(4, static_cast<std::int64_t>(check.kind))
        .bind_view(5, check.identifier_key)
        .bind(6, std::int64_t{check.max_attempts})
        .bind(7, detail::near_of(check.lockout.key))
        .bind_view(8, check.lockout.key)
        .bind_blob(9, offered.empty() ? &none : offered.data(), offered.size());
    auto changed = verify->run();
    if (!changed) return fail(changed.error());
    if (*changed == 1) {
      CheckResult verified;
      verified.status = CheckStatus::verified;
      verified.attempts = 1;
      return verified;
    }
  }

  auto transaction = ImmediateTransaction::begin(db, op);
  if (!transaction) return fail(transaction.error());

  CheckResult result;
  bool attempt = false;  // every refusal rule passed: the attempt is decided below
  LoadedKey lock;
  std::optional<Digest> code_digest;
  std::uint32_t pepper_id = 0;
  {
    // The record and the lockout key in one read: a missing key row reads as NULLs.
    auto select = db.prepare(
        "SELECT r.attempts, r.verified, r.identifier_key, r.code_expires_at, r.pepper_id, r.code_digest, "
        "k.events, k.window_ms, k.block_until FROM reverify_records AS r "
        "LEFT JOIN reverify_keys AS k ON k.near = ?6 AND k.kind = 0 AND k.key = ?5 "
        "WHERE r.id = ?1 AND r.expires_at > ?2 AND r.retired = 0 AND r.user_id = ?3 AND r.kind = ?4",
        op);
    if (!select) return fail(select.error());
    auto row = select->bind_view(1, check.record_id)
                   .bind(2, now_ms)
                   .bind_view(3, check.user_id)
                   .bind(4, static_cast<std::int64_t>(check.kind))
                   .bind_view(5, check.lockout.key)
                   .bind(6, detail::near_of(check.lockout.key))
                   .step();
    if (!row) return fail(row.error());
    if (*row) {
      result.attempts = to_u32(select->column_int(0));
      if (select->column_int(1) != 0) {
        result.status = CheckStatus::already_verified;
      } else if (select->column_text(2) != check.identifier_key) {
        result.status = CheckStatus::identifier_mismatch;
      } else if (now_ms > select->column_int(3)) {
        result.status = CheckStatus::code_expired;
      } else {
        auto loaded = read_key(*select, 6, op);
        if (!loaded) return fail(loaded.error());
        lock = std::move(*loaded);
        if (lock.state.blocked_at(now_ms)) {
          result.status = CheckStatus::blocked;
          result.blocked_until = from_unix_ms(*lock.state.block_until);
        } else {
          attempt = true;
          pepper_id = to_u32(select->column_int(4));
          auto digest = read_digest(*select, 5, op);
          if (!digest) return fail(digest.error());
          code_digest = *digest;
        }
      }
    }
  }
  if (!attempt) {  // a refusal that changes nothing
    if (auto ended = transaction->rollback(); !ended) return fail(ended.error());
    return result;
  }

  const auto count_failure = [&]() -> Result<void> {
    KeyState state = lock.state;
    const FailureResult failure = add_failure(state, check.lockout, now_ms);
    result.failures = failure.failures;
    result.blocked_until = failure.blocked_until;
    return store_key(db, check.lockout.key, lock, state, op);
  };
  if (result.attempts >= check.max_attempts) {
    result.status = CheckStatus::exhausted;
    if (auto counted = count_failure(); !counted) return fail(counted.error());
    if (auto committed = transaction->commit(); !committed) return fail(committed.error());
    return result;
  }
  const auto offered = std::find_if(check.offered.begin(), check.offered.end(),
                                    [&](const OfferedDigest& o) { return o.pepper_id == pepper_id; });
  if (offered == check.offered.end()) {
    if (auto ended = transaction->rollback(); !ended) return fail(ended.error());
    result.status = CheckStatus::unknown_pepper;
    return result;
  }
  const bool matches = code_digest && sodium_memcmp(code_digest->data(), offered->digest.data(), Digest{}.size()) == 0;
  {
    auto update = db.prepare("UPDATE reverify_records SET attempts = attempts + 1, verified = ?2 WHERE id = ?1", op);
    if (!update) return fail(update.error());
    if (auto done = update->bind_view(1, check.record_id).bind(2, std::int64_t{matches ? 1 : 0}).run(); !done) {
      return fail(done.error());
    }
  }
  if (!matches) {
    if (auto counted = count_failure(); !counted) return fail(counted.error());
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  result.attempts += 1;
  result.status = matches ? CheckStatus::verified : CheckStatus::mismatch;
  return result;
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
  auto changed = update->bind_view(1, id).bind(2, to_unix_ms(now)).bind(3, std::int64_t{max_uses}).run();
  if (!changed) return fail(changed.error());
  return *changed == 1;
}

Result<FailureResult> SqliteStore::count_failure(const LockoutRule& rule, Timestamp now) {
  constexpr std::string_view op = "count_failure";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  Connection& db = **connection;
  auto transaction = ImmediateTransaction::begin(db, op);
  if (!transaction) return fail(transaction.error());
  auto loaded = load_key(db, rule.key, op);
  if (!loaded) return fail(loaded.error());
  KeyState state = loaded->state;
  const FailureResult result = add_failure(state, rule, to_unix_ms(now));
  if (auto stored = store_key(db, rule.key, *loaded, state, op); !stored) return fail(stored.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return result;
}

Result<std::optional<Timestamp>> SqliteStore::blocked_until(std::string_view key, Timestamp now) {
  constexpr std::string_view op = "blocked_until";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  auto select =
      (*connection)
          ->prepare(
              "SELECT block_until FROM reverify_keys WHERE near = ?3 AND kind = 0 AND key = ?1 AND block_until > ?2",
              op);
  if (!select) return fail(select.error());
  auto row = select->bind_view(1, key).bind(2, to_unix_ms(now)).bind(3, detail::near_of(key)).step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Timestamp>{};
  return std::optional<Timestamp>(from_unix_ms(select->column_int(0)));
}

Result<void> SqliteStore::unblock(std::string_view key) {
  constexpr std::string_view op = "unblock";
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  // The block and the key's events share one row.
  auto remove = (*connection)->prepare("DELETE FROM reverify_keys WHERE near = ?1 AND kind = 0 AND key = ?2", op);
  if (!remove) return fail(remove.error());
  if (auto done = remove->bind(1, detail::near_of(key)).bind_view(2, key).run(); !done) return fail(done.error());
  return {};
}

Result<std::size_t> SqliteStore::purge_expired(Timestamp now, std::size_t limit) {
  constexpr std::string_view op = "purge_expired";
  if (limit == 0) return std::size_t{0};
  auto connection = impl_->pool.acquire(op);
  if (!connection) return fail(connection.error());
  Connection& db = **connection;
  const std::int64_t now_ms = to_unix_ms(now);

  // No index serves the purge (an index would cost every send a page). Candidates are found by
  // a scan outside the write lock (WAL readers never block the writer) that examines at most
  // `purge_scan_factor * limit` rows of each table per call, resuming in key order where the
  // previous call stopped and wrapping around at the end, so a call costs the same on any table
  // size and repeated calls visit every row. Then one short transaction deletes each candidate
  // again only if still due.
  detail::PurgeCursor cursor;
  {
    const std::lock_guard<std::mutex> lock(impl_->purge_mutex);
    cursor = impl_->purge_cursor;
  }
  auto candidates = detail::scan_for_purge(db, cursor, now_ms, limit, op);
  if (!candidates) return fail(candidates.error());
  {
    const std::lock_guard<std::mutex> lock(impl_->purge_mutex);
    impl_->purge_cursor = std::move(cursor);
  }
  const std::vector<std::string>& records = candidates->records;
  const std::vector<std::string>& keys = candidates->keys;
  if (records.empty() && keys.empty()) return std::size_t{0};

  auto transaction = ImmediateTransaction::begin(db, op);
  if (!transaction) return fail(transaction.error());
  std::size_t deleted = 0;
  for (const std::string& id : records) {
    auto remove = db.prepare(
        "DELETE FROM reverify_records WHERE id = ?1 AND expires_at <= ?2 RETURNING user_id, kind, template_type, "
        "identifier_key, holds_slot",
        op);
    if (!remove) return fail(remove.error());
    auto row = remove->bind_view(1, id).bind(2, now_ms).step();
    if (!row) return fail(row.error());
    if (!*row) continue;  // purged or replaced meanwhile
    ++deleted;
    const std::optional<HeldSlot> held = held_slot(*remove);
    if (auto done = remove->run(); !done) return fail(done.error());
    if (!held) continue;
    if (auto dropped = drop_slot(db, held->identifier_key, held->slot, id, op); !dropped) return fail(dropped.error());
  }
  // Each stale event and each ended block is one item.
  for (const std::string& key : keys) {
    if (deleted >= limit) break;
    auto loaded = load_key(db, key, op);
    if (!loaded) return fail(loaded.error());
    KeyState state = loaded->state;
    const auto stale = static_cast<std::size_t>(
        std::upper_bound(state.events.begin(), state.events.end(), detail::saturating_add(now_ms, -state.window_ms)) -
        state.events.begin());
    const std::size_t take = std::min(stale, limit - deleted);
    state.events.erase(state.events.begin(), state.events.begin() + static_cast<std::ptrdiff_t>(take));
    deleted += take;
    if (deleted < limit && state.block_until && *state.block_until <= now_ms) {
      state.block_until.reset();
      ++deleted;
    }
    if (auto stored = store_key(db, key, *loaded, state, op); !stored) return fail(stored.error());
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return deleted;
}

}  // namespace reverify::sqlite
