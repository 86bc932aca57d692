#pragma once
/// @file
/// A durable `Store` in one SQLite file, shareable by several processes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify::sqlite {

/// Tuning of a `SqliteStore`.
struct REVERIFY_API SqliteOptions {
  /// How long a writer waits for another connection or process holding the write lock before
  /// the call fails with `Errc::store_unavailable`.
  std::chrono::milliseconds busy_timeout{5000};
  /// Connections kept open; calls beyond this many at once wait for a free one. At least 1.
  std::size_t pool_size = 4;
  /// Create the file when it does not exist (otherwise `open` fails).
  bool create_if_missing = true;
};

/// A `Store` on one SQLite database file (journal_mode=WAL, synchronous=NORMAL,
/// wal_autocheckpoint=10000: the `-wal` file grows to about 40 MB).
///
/// Atomicity: `open_code`, `cancel_code`, `check_code`, `count_failure` and `unblock` each run in
/// one `BEGIN IMMEDIATE` transaction, which takes the database's write lock first, so they are
/// atomic across threads and across processes sharing the file; `insert` and `use` are one
/// statement each. `check_code` first tries the right code as one compare-and-set `UPDATE` (its
/// own write transaction), which changes the record only when every rule passes and the digests
/// are equal; otherwise it changed nothing and the transaction decides. Digests are compared with
/// `sodium_memcmp`, on the digest read inside the statement or transaction. Connections write the
/// WAL through a forwarding VFS that writes each frame in one call. The schema carries a version
/// table and is migrated by `open`. See docs/backends.md.
///
/// Purging: `purge_expired(now, limit)` does bounded work. With no expiry index, it scans for
/// candidates, examining at most `4 * limit` rows of each table per call, resuming where this
/// object's previous call stopped and wrapping around; so a call may return 0 while expired rows
/// remain elsewhere in a large table. Call it periodically; a table of `n` rows is visited in about
/// `n / (4 * limit)` calls.
///
/// Thread safety: every method may be called from any thread; each call borrows one of
/// `pool_size` connections (an SQLite handle is never used by two threads at once).
/// Errors: every SQLite failure (including a write lock not obtained within `busy_timeout`) is
/// `Errc::store_unavailable` naming the operation and SQLite's message.
class REVERIFY_API SqliteStore final : public Store {
 public:
  /// The schema version this build writes and reads.
  static constexpr int schema_version = 3;

  /// Opens (and creates, per `options`) the database at `path` and migrates its schema.
  /// `":memory:"` is refused (each connection would see its own database).
  /// Errors: `Errc::invalid_configuration` (bad options or path, a schema newer than this build),
  /// `Errc::store_unavailable` (the file cannot be opened or migrated).
  [[nodiscard]] static Result<std::shared_ptr<SqliteStore>> open(const std::string& path, SqliteOptions options = {});

  ~SqliteStore() override;

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
  [[nodiscard]] Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) override;

  /// The file this store was opened on.
  [[nodiscard]] const std::string& path() const noexcept;

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::sqlite
