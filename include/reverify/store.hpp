#pragma once
/// @file
/// The persistence plug-in: a few atomic operations, not get/put.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/clock.hpp"
#include "reverify/export.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// How `Store::spend_attempt` ended.
enum class AttemptStatus : std::uint8_t {
  spent,             ///< one attempt was counted; compare the code now
  exhausted,         ///< attempts already reached the limit; nothing counted
  already_verified,  ///< the record is verified; nothing counted
  not_found,         ///< missing, expired or retired; nothing counted
};

/// The answer of `Store::spend_attempt`.
struct REVERIFY_API AttemptResult {
  AttemptStatus status = AttemptStatus::not_found;
  std::uint32_t attempts = 0;         ///< the count after this call
  std::optional<Digest> code_digest;  ///< the stored digest when status == spent
  std::uint32_t pepper_id = 0;        ///< the pepper that keyed code_digest
};

/// The answer of `Store::window_add`.
struct REVERIFY_API WindowResult {
  bool counted = false;     ///< the event was added (count was below the limit)
  std::uint32_t count = 0;  ///< events in the window after this call
  Timestamp oldest{};       ///< the oldest event still in the window (for a retry hint); epoch if none
};

/// Durable state for a `VerificationManager`.
///
/// Contract, checked clause by clause by `reverify::testing::store_conformance`:
/// - Thread safety: every method may be called from many threads, and (for shared backends) from
///   many processes on the same data, at once.
/// - Atomicity: each method is one atomic step (one round trip on a networked backend). No
///   interleaving of concurrent calls may let `spend_attempt` count past `max_attempts`, let two
///   `mark_verified` calls both return true, or let `window_add` count past its limit.
/// - Time: the store never reads a clock; every method that needs time takes `now`. A record is
///   invisible (as if absent) once `now >= expires_at`.
/// - Errors: a backend failure is `Errc::store_unavailable` with a message naming the operation
///   and the cause, never record contents. "Not found" is a normal answer, not an error.
///   Methods may throw; the manager converts any exception to `store_unavailable`.
/// - Secrets: a store only ever sees digests, never codes or passwords.
class REVERIFY_API Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  /// Inserts a new record (attempts, use_count, verified and retired as given, normally 0/false).
  /// Returns false, changing nothing, if a record with that id exists (even expired, not yet purged). When
  /// `retire_previous` is set and the record is a code record, the record becomes the holder of its `code_slot()` and
  /// the previous holder, if still unverified, is marked retired — all in the same atomic step.
  [[nodiscard]] virtual Result<bool> insert(const VerificationRecord& record, bool retire_previous) = 0;

  /// The record with this id, or `std::nullopt` when absent or expired at `now`.
  [[nodiscard]] virtual Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) = 0;

  /// Atomically: if the record is live, not retired, not verified and `attempts < max_attempts`,
  /// increment attempts and return `spent` with the digest; otherwise say why not, changing nothing.
  [[nodiscard]] virtual Result<AttemptResult> spend_attempt(std::string_view id, std::uint32_t max_attempts,
                                                            Timestamp now) = 0;

  /// Atomically: if the record is live, not retired and not verified, mark it verified and return
  /// true. Exactly one of any number of concurrent callers gets true.
  [[nodiscard]] virtual Result<bool> mark_verified(std::string_view id, Timestamp now) = 0;

  /// Atomically: if the record is live, verified, not retired and `use_count < max_uses` (0 = no limit),
  /// increment use_count and return true; otherwise false.
  [[nodiscard]] virtual Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) = 0;

  /// Marks the record retired (unusable) whatever its state; absent records are fine.
  [[nodiscard]] virtual Result<void> retire(std::string_view id) = 0;

  /// Rolling-window counter. Atomically: forget events of `key` at or before `now - window`;
  /// if fewer than `limit` remain, add one at `now` (`counted` = true). Returns the count after.
  /// An event may be purged once `now >= at + window`.
  [[nodiscard]] virtual Result<WindowResult> window_add(std::string_view key, std::chrono::milliseconds window,
                                                        std::uint32_t limit, Timestamp now) = 0;

  /// Removes one event of `key` stamped exactly `at` (undoes a `window_add`); absent is fine.
  [[nodiscard]] virtual Result<void> window_remove(std::string_view key, Timestamp at) = 0;

  /// Blocks `key` until `until` (keeps the later of an existing block and this one).
  [[nodiscard]] virtual Result<void> block(std::string_view key, Timestamp until) = 0;

  /// When `key` is blocked at `now`, the end of the block; otherwise `std::nullopt`.
  [[nodiscard]] virtual Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) = 0;

  /// Removes the block on `key` and forgets the window events of `key`.
  [[nodiscard]] virtual Result<void> unblock(std::string_view key) = 0;

  /// Deletes records, window events and blocks that can no longer matter at `now`, at most
  /// `limit` items per call (bounded work). Returns how many were deleted. Backends with native
  /// expiry (Redis TTLs) may return 0.
  [[nodiscard]] virtual Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) = 0;
};

}  // namespace reverify
