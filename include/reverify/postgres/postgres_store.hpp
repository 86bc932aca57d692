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
};

/// A `Store` on one PostgreSQL database (libpq).
///
/// Atomicity: every operation is one SQL statement, prepared once per connection: compare-and-set
/// `UPDATE … WHERE … RETURNING`, `INSERT … ON CONFLICT`, and data-modifying CTEs where one
/// operation touches several rows (insert + retire the previous code; spend an attempt while
/// reporting why not). Rolling windows keep their events in one row per key, updated by
/// `INSERT … ON CONFLICT DO UPDATE`, which locks that row, so counts are exact under concurrency.
/// See docs/backends.md and share/reverify/postgres-schema.sql.
///
/// Thread safety: every method may be called from any thread; each call borrows a pooled
/// connection. Broken connections are dropped (and the idle ones with them) and replaced on the
/// next call, so the store recovers by itself after a server restart; a call on a stale pooled
/// connection is retried once on a fresh one.
/// Errors: every libpq or server failure is `Errc::store_unavailable` naming the operation and
/// the server's primary message (never parameter values).
class REVERIFY_API PostgresStore final : public Store {
 public:
  /// The schema version this build writes and reads.
  static constexpr int schema_version = 1;

  /// Connects one pooled connection with `conninfo` (a libpq URI `postgresql://…` or
  /// `key=value` string), creates or checks the schema, and prepares the statements.
  /// Errors: `invalid_configuration` (bad options, a schema of another version),
  /// `store_unavailable` (cannot connect, create or prepare).
  [[nodiscard]] static Result<std::shared_ptr<PostgresStore>> connect(const std::string& conninfo,
                                                                      PostgresOptions options = {});

  ~PostgresStore() override;

  [[nodiscard]] Result<bool> insert(const VerificationRecord& record, bool retire_previous) override;
  [[nodiscard]] Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override;
  [[nodiscard]] Result<AttemptResult> spend_attempt(std::string_view id, std::uint32_t max_attempts,
                                                    Timestamp now) override;
  [[nodiscard]] Result<bool> mark_verified(std::string_view id, Timestamp now) override;
  [[nodiscard]] Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override;
  [[nodiscard]] Result<void> retire(std::string_view id) override;
  [[nodiscard]] Result<WindowResult> window_add(std::string_view key, std::chrono::milliseconds window,
                                                std::uint32_t limit, Timestamp now) override;
  [[nodiscard]] Result<void> window_remove(std::string_view key, Timestamp at) override;
  [[nodiscard]] Result<void> block(std::string_view key, Timestamp until) override;
  [[nodiscard]] Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) override;
  [[nodiscard]] Result<void> unblock(std::string_view key) override;
  /// Deletes expired records, code slots, windows and blocks: at most `limit` rows in one statement.
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
