#pragma once
/// @file
/// The default, embedded store: in process memory.

#include <cstddef>
#include <memory>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify {

/// A thread-safe, sharded in-memory `Store`. State lives as long as the object and is not shared
/// between processes. Records are kept compactly (see docs/backends.md for bytes per record);
/// expired state is purged by `purge_expired` and, in bounded steps, during inserts.
class REVERIFY_API MemoryStore final : public Store {
 public:
  /// `shards` independent locks (rounded up to a power of two, at least 1, at most 4096). Two
  /// threads cycling send+verify (bench/cycle_bench: up to four shards locked per send) met on a
  /// lock often enough to lose much of the second core: 1.2x one thread with 256 shards and plain
  /// mutexes on a VM where a sleeping waiter wakes slowly. Shard locks now spin briefly before
  /// they sleep, and the default is 1024: 1.60-1.84x. 4096 scaled about the same and made one
  /// thread ~5% slower (its shard headers no longer fit the cache). See docs/benchmarks.md.
  explicit MemoryStore(std::size_t shards = 1024);
  ~MemoryStore() override;

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

  /// Records currently held (live or not yet purged). For tests and metrics.
  [[nodiscard]] std::size_t record_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify
