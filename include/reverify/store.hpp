#pragma once
/// @file
/// The persistence plug-in: a few atomic intents, not get/put.
///
/// Each verification step is one store call, so that a networked store pays one round trip per
/// step: sending a code is `open_code` (count the send, retire the earlier code, insert), checking
/// one is `check_code` (every refusal rule, count the attempt, compare, mark verified, count a
/// failure toward the lockout). The rules are data passed in by the manager; the store only
/// applies them atomically.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reverify/clock.hpp"
#include "reverify/export.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"

namespace reverify {

/// A per-recipient send limit: at most `limit` sends of `key` in any rolling `window`.
struct REVERIFY_API SendLimit {
  std::string_view key;
  std::chrono::milliseconds window{0};
  std::uint32_t limit = 0;
};

/// A lockout rule: `failures` failures of `key` within a rolling `window` block `key` for
/// `duration` from the failure that reached the count.
struct REVERIFY_API LockoutRule {
  std::string_view key;
  std::chrono::milliseconds window{0};
  std::uint32_t failures = 0;
  std::chrono::milliseconds duration{0};
};

/// How `Store::open_code` ended.
enum class OpenStatus : std::uint8_t {
  opened,        ///< the send was counted and the record inserted
  rate_limited,  ///< `limit` sends were already in the window; nothing changed
  id_taken,      ///< a record with this id exists (even expired, not yet purged); nothing changed
};

/// The answer of `Store::open_code`.
struct REVERIFY_API OpenResult {
  OpenStatus status = OpenStatus::id_taken;
  std::uint32_t sends = 0;  ///< sends in the window after this call
  Timestamp oldest{};       ///< the oldest send still in the window (for a retry hint); epoch if none
};

/// A digest of the offered code under one pepper. The manager offers one per configured pepper,
/// because it learns which pepper keyed the record only inside the store's atomic step.
struct REVERIFY_API OfferedDigest {
  std::uint32_t pepper_id = 0;
  Digest digest{};
};

/// Everything `Store::check_code` needs to decide one verification attempt.
struct REVERIFY_API CodeCheck {
  std::string_view record_id;
  std::string_view user_id;  ///< the caller; must own the record
  RecordKind kind = RecordKind::email_verification_code;
  std::string_view identifier_key;  ///< normalised identifier the caller names
  std::vector<OfferedDigest> offered;
  std::uint32_t max_attempts = 0;
  LockoutRule lockout;  ///< keyed by `identifier_key`'s lock key
  Timestamp now{};
};

/// How `Store::check_code` ended. Listed in the order the checks are made.
enum class CheckStatus : std::uint8_t {
  not_found,            ///< missing, expired, retired, another owner's or another kind; nothing changed
  already_verified,     ///< nothing changed
  identifier_mismatch,  ///< the record was sent to another identifier; nothing changed
  code_expired,         ///< `now > code_expires_at`; nothing changed
  blocked,              ///< the lockout key is blocked at `now`; nothing changed
  exhausted,            ///< attempts already at `max_attempts`; one failure counted, no attempt
  unknown_pepper,       ///< the record's pepper is not among `offered`; nothing changed
  mismatch,             ///< one attempt and one failure counted; the code differs
  verified,             ///< one attempt counted, the code matched, the record is now verified
};

/// The answer of `Store::check_code`.
struct REVERIFY_API CheckResult {
  CheckStatus status = CheckStatus::not_found;
  std::uint32_t attempts = 0;              ///< the record's attempts after this call (0 when not found)
  std::uint32_t failures = 0;              ///< failures of the lockout key in the window, when one was counted
  std::optional<Timestamp> blocked_until;  ///< `blocked`: the block's end; `exhausted`/`mismatch`: set when
                                           ///< this failure reached the count and started a block
};

/// The answer of `Store::count_failure`.
struct REVERIFY_API FailureResult {
  std::uint32_t failures = 0;              ///< failures of the key in the window, this one included
  std::optional<Timestamp> blocked_until;  ///< set when this failure reached the count and started a block
};

/// Durable state for a `VerificationManager`.
///
/// Contract, checked clause by clause by `reverify::testing::store_conformance`:
/// - Thread safety: every method may be called from many threads, and (for shared backends) from
///   many processes on the same data, at once.
/// - Atomicity: each method is one atomic step (one round trip on a networked backend). No
///   interleaving of concurrent calls may let `check_code` count past `max_attempts` or answer
///   `verified` twice for one record, or let `open_code` count past its limit.
/// - Time: the store never reads a clock; every method that needs time takes `now`. A record is
///   invisible (as if absent) once `now >= expires_at`. Rolling windows forget an event stamped
///   `at` once `now - window >= at`; a block is in force while `now < until`.
/// - Comparison: `check_code` compares digests in constant time, or blinds both sides with a fresh
///   random key before a variable-time comparison (so timing reveals nothing about the stored one).
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

  /// Inserts a record as given (any kind and state; the manager uses it for password records).
  /// Returns false, changing nothing, if a record with that id exists (even expired, not yet purged).
  [[nodiscard]] virtual Result<bool> insert(const VerificationRecord& record) = 0;

  /// Sends a code, atomically: if the id is taken, `id_taken`. Otherwise forget the events of
  /// `limit.key` that left the window at `now`; if `limit.limit` remain, `rate_limited`. Otherwise
  /// add an event at `now`, insert the code record, and, when `retire_previous` is set, make it the
  /// holder of its `code_slot()` and mark the previous holder retired if it is still unverified.
  [[nodiscard]] virtual Result<OpenResult> open_code(const VerificationRecord& record, const SendLimit& limit,
                                                     bool retire_previous, Timestamp now) = 0;

  /// Undoes an `open_code` whose delivery failed, atomically: deletes record `id` (whatever its
  /// state) and one event of `send_key` stamped exactly `at`. Absent ones are fine. A record it
  /// retired stays retired (Logto also drops the earlier code before delivering).
  [[nodiscard]] virtual Result<void> cancel_code(std::string_view id, std::string_view send_key, Timestamp at) = 0;

  /// The record with this id, or `std::nullopt` when absent or expired at `now`.
  [[nodiscard]] virtual Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) = 0;

  /// Checks one code, atomically, in the order of `CheckStatus`: the record must be live, not
  /// retired, owned by `user_id` and of `kind`; not verified; sent to `identifier_key`; its code
  /// not expired (`now > code_expires_at` is expired); `lockout.key` not blocked. Then, if
  /// `attempts >= max_attempts`, count a failure (`count_failure(lockout)`) and answer
  /// `exhausted`. Otherwise take the offered digest of the record's pepper (`unknown_pepper` if
  /// none), count one attempt, compare it with the record's `code_digest` (a record without one
  /// never matches): equal marks the record verified (`verified`); different counts a failure
  /// (`mismatch`).
  [[nodiscard]] virtual Result<CheckResult> check_code(const CodeCheck& check) = 0;

  /// Atomically: if the record is live, verified, not retired and `use_count < max_uses` (0 = no limit),
  /// increment use_count and return true; otherwise false.
  [[nodiscard]] virtual Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) = 0;

  /// Atomically: forget the failures of `rule.key` that left the window at `now`, add one at
  /// `now`; when that makes `rule.failures` or more, block the key until `now + rule.duration`
  /// (keeping a later existing end).
  [[nodiscard]] virtual Result<FailureResult> count_failure(const LockoutRule& rule, Timestamp now) = 0;

  /// When `key` is blocked at `now`, the end of the block; otherwise `std::nullopt`.
  [[nodiscard]] virtual Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) = 0;

  /// Removes the block on `key` and forgets its failures.
  [[nodiscard]] virtual Result<void> unblock(std::string_view key) = 0;

  /// Deletes records, window events and blocks that can no longer matter at `now`, at most
  /// `limit` items per call (bounded work). Returns how many were deleted. Backends with native
  /// expiry (Redis TTLs) may return 0.
  [[nodiscard]] virtual Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) = 0;
};

}  // namespace reverify
