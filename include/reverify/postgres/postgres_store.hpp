#pragma once
/// @file
/// A shared `Store` on PostgreSQL: many processes, one statement per operation.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify::postgres {

/// Tuning of a `PostgresStore`.
struct REVERIFY_API PostgresOptions {
  /// The schema holding the store's tables: 1..63 characters from [a-z0-9_], not starting with a
  /// digit. One schema per application or tenant.
  std::string schema = "reverify";
  /// Create the schema and tables on first use (`CREATE … IF NOT EXISTS`, serialised by an
  /// advisory lock). Set false when a team applies share/reverify/postgres-schema.sql itself;
  /// `connect` then only checks the schema version.
  bool create_schema = true;
  /// Connections kept open; calls beyond this many at once wait for a free one. At least 1.
  std::size_t pool_size = 8;
  /// Limit for establishing one connection (libpq connect_timeout, whole seconds, at least 2 s);
  /// a value in the conninfo wins.
  std::chrono::milliseconds connect_timeout{5000};
  /// Limit for one statement (the session's statement_timeout) and for unacknowledged network
  /// writes (tcp_user_timeout).
  std::chrono::milliseconds command_timeout{5000};
  /// How long a call waits for a free pooled connection before failing.
  std::chrono::milliseconds pool_wait_timeout{5000};
  /// Whether a `check_code` that marks a record verified waits, like every other write, for its
  /// commit to be flushed to the write-ahead log on disk. Off by default: that one kind of
  /// transaction commits with `synchronous_commit = off`, which spares each verified code one WAL
  /// flush. A crash of the database server can then lose the verified marks of its last moments
  /// (at most three times `wal_writer_delay`, 600 ms by default): those records are unverified
  /// again, their attempt given back, and their users enter the code again. Wrong-code attempts,
  /// failures, blocks, sends, retirements and uses always wait for their flush, so the loss never
  /// lets a wrong code through. Other sessions see an unflushed mark at once, so a host may act on
  /// a mark that a crash then loses (see docs/backends.md, PostgreSQL, "Durability"). Set true when
  /// a verified mark must be on disk before anyone acts on it.
  bool flush_verified_marks = false;
};

/// A `Store` on one PostgreSQL database (libpq).
///
/// Atomicity: every operation is one SQL statement, prepared once per connection, in one
/// transaction. `open_code`, `check_code`, `cancel_code`, `count_failure` and `unblock` call
/// PL/pgSQL functions created with the schema: they lock the record row (an `UPDATE` that
/// re-checks its conditions on the latest row version, or `SELECT … FOR UPDATE`) and the
/// window/block key (a transaction advisory lock), always in that order, then decide on the
/// latest committed state, so results are exact under concurrency at READ COMMITTED. The
/// other operations are single-row `INSERT … ON CONFLICT`, `UPDATE … RETURNING` or `SELECT`.
/// `check_code` compares digests as SHA-256 hashes keyed by a fresh random nonce (constant time
/// with respect to the stored digest). See docs/backends.md and share/reverify/postgres-schema.sql.
///
/// Thread safety: every method may be called from any thread; each call borrows a pooled
/// connection. An idle connection the server has closed is noticed before anything is sent on it
/// and replaced, so the store recovers by itself after a server restart. A statement whose
/// connection breaks while it runs is resent (once, on a fresh connection) only by the operations
/// for which a second run changes nothing more (`find`, `blocked_until`, `unblock`,
/// `purge_expired`); the others report `store_unavailable`, since the first run may have counted.
/// Errors: every libpq or server failure is `Errc::store_unavailable` naming the operation and
/// the server's primary message (never parameter values).
class REVERIFY_API PostgresStore final : public Store {
 public:
  /// The schema version this build writes and reads.
  static constexpr int schema_version = 3;

  /// Connects one pooled connection with `conninfo` (a libpq URI `postgresql://…` or
  /// `key=value` string), creates, migrates (versions 1 and 2) or checks the schema, and prepares the
  /// statements. Needs PostgreSQL 11 or later.
  /// Errors: `invalid_configuration` (bad options, a conninfo libpq cannot parse, a schema of
  /// another version), `store_unavailable` (cannot connect, create or prepare). No message
  /// repeats the conninfo or its password.
  [[nodiscard]] static Result<std::shared_ptr<PostgresStore>> connect(const std::string& conninfo,
                                                                      PostgresOptions options = {});

  ~PostgresStore() override;

  [[nodiscard]] Result<bool> insert(const VerificationRecord& record) override;
  [[nodiscard]] Result<OpenResult> open_code(const VerificationRecord& record, const SendLimit& limit,
                                             bool retire_previous, Timestamp now) override;
  [[nodiscard]] Result<void> cancel_code(std::string_view id, std::string_view send_key, Timestamp at) override;
  [[nodiscard]] Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override;
  [[nodiscard]] Result<CheckResult> check_code(const CodeCheck& check) override;
  [[nodiscard]] Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override;
  [[nodiscard]] Result<FailureResult> count_failure(const LockoutRule& rule, Timestamp now) override;
  [[nodiscard]] Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) override;
  [[nodiscard]] Result<void> unblock(std::string_view key) override;
  /// Deletes expired records, window events and blocks: at most `limit` items in one statement.
  [[nodiscard]] Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) override;

  /// Drops the store's schema and everything in it (`DROP SCHEMA … CASCADE`). For tests and for
  /// decommissioning; the store is unusable afterwards.
  [[nodiscard]] Result<void> drop_schema();

  /// The schema in use.
  [[nodiscard]] const std::string& schema() const noexcept;

 private:
  struct Impl;
  explicit PostgresStore(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::postgres
