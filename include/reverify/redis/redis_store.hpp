#pragma once
/// @file
/// A shared `Store` on a Redis server: many processes, one round trip per operation.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify::redis {

/// Tuning of a `RedisStore`.
struct REVERIFY_API RedisOptions {
  /// Every key this store touches starts with this (e.g. one prefix per application or tenant).
  std::string key_prefix = "reverify:";
  /// Connections kept open; calls beyond this many at once wait for a free one. At least 1.
  std::size_t pool_size = 8;
  /// Limit for establishing one TCP connection (and its AUTH/SELECT).
  std::chrono::milliseconds connect_timeout{2000};
  /// Limit for one command's reply; a slower server makes the call fail with store_unavailable.
  std::chrono::milliseconds command_timeout{2000};
  /// How long a call waits for a free pooled connection before failing.
  std::chrono::milliseconds pool_wait_timeout{5000};
};

/// A `Store` on one Redis server (or primary; Redis Cluster is not supported).
///
/// Atomicity: every operation that reads then writes is one Lua script (loaded once with SCRIPT
/// LOAD, called with EVALSHA, sent again with EVAL after NOSCRIPT), which Redis runs without
/// interleaving, so each operation is one atomic round trip across all processes. A record is
/// one packed string value (written with `SET … PX`, its counters and flags changed in place by
/// `SETRANGE`, which keeps the TTL) that Redis expires by TTL; rolling windows are sorted sets;
/// blocks are strings. Every key starts with `RedisOptions::key_prefix`. See docs/backends.md for
/// the scripts, keys and the record layout.
///
/// Thread safety: every method may be called from any thread; each call borrows a pooled
/// connection. Before a pooled connection is written to, it is checked for a close or reset by
/// the server (a restart); such a connection is replaced and the command sent on a fresh one, so
/// the store recovers by itself. A connection that answered less than 500 ms ago is not checked:
/// a restart within that time fails the next call on it with `store_unavailable` (that command
/// reached no server, so it counted nothing). A command that was written and then failed is never sent again
/// if it changes state (a repeat could count an attempt, send or failure twice), nor after a
/// timeout; only the read-only `find`, `blocked_until` and the idempotent `unblock` are sent once
/// more on a fresh connection after a reset or close.
/// Errors: connection, timeout, protocol and script failures, and malformed replies, are
/// `Errc::store_unavailable` naming the operation and the cause.
class REVERIFY_API RedisStore final : public Store {
 public:
  /// Connects one pooled connection to `url` (`redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, port
  /// 6379 and database 0 by default) and loads the scripts. HOST is a name or IPv4 address
  /// (letters, digits, `-`, `.`, `_`) or a bracketed IPv6 address (`[::1]`; a zone as
  /// `[fe80::1%25eth0]`, RFC 6874's form, or `[fe80::1%eth0]`); a USER needs a PASSWORD. USER and
  /// PASSWORD are percent-decoded (`%2F` for `/`, `%25` for `%`, `%3A` for a `:` in USER; a `%`
  /// starting no `%XX` is refused); `@` and `:` may stand in a PASSWORD as they are. `rediss://`
  /// (TLS) is not supported. Errors: `invalid_configuration` (bad URL or options),
  /// `store_unavailable` (cannot connect, authenticate or load the scripts).
  [[nodiscard]] static Result<std::shared_ptr<RedisStore>> connect(const std::string& url, RedisOptions options = {});

  ~RedisStore() override;

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
  /// Redis expires records, windows and blocks by TTL: always returns 0.
  [[nodiscard]] Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) override;

  /// Deletes every key under this store's prefix (SCAN + UNLINK, in batches). For tests and for
  /// decommissioning a prefix; not atomic with concurrent writers. Returns how many were deleted.
  [[nodiscard]] Result<std::size_t> delete_all_keys();

  /// The key prefix in use.
  [[nodiscard]] const std::string& key_prefix() const noexcept;

 private:
  struct Impl;
  explicit RedisStore(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify::redis
