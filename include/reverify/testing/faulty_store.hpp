#pragma once
/// @file
/// A Store decorator that fails chosen operations on demand (component reverify::testing), for
/// proving that callers fail closed.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "reverify/export.hpp"
#include "reverify/store_wrapper.hpp"

namespace reverify::testing {

/// One `Store` operation, for choosing which one fails.
enum class StoreOp : std::uint8_t {
  insert,
  open_code,
  cancel_code,
  find,
  check_code,
  use,
  count_failure,
  blocked_until,
  unblock,
  purge_expired,
};

/// How an operation fails.
enum class FaultMode : std::uint8_t {
  none,             ///< forwards to the wrapped store
  error,            ///< returns `Errc::store_unavailable` without touching the wrapped store
  throw_exception,  ///< throws `std::runtime_error` without touching the wrapped store
};

/// The operation's name as in `Store`, e.g. "check_code".
[[nodiscard]] REVERIFY_API std::string_view to_string(StoreOp op) noexcept;

/// Forwards to a target store, except for operations switched to fail. Counts every call per
/// operation (failed ones included). Thread-safe: switches and counters are atomic, so faults may
/// be switched while other threads call the store. Shares ownership of the target.
class REVERIFY_API FaultyStore final : public StoreWrapper {
 public:
  /// Every operation, in declaration order: loop over it to fail each in turn.
  static constexpr StoreOp all_ops[] = {
      StoreOp::insert, StoreOp::open_code,     StoreOp::cancel_code,   StoreOp::find,    StoreOp::check_code,
      StoreOp::use,    StoreOp::count_failure, StoreOp::blocked_until, StoreOp::unblock, StoreOp::purge_expired,
  };
  static constexpr std::size_t op_count = sizeof(all_ops) / sizeof(all_ops[0]);

  /// Wraps `target` (must not be null) with every operation healthy.
  explicit FaultyStore(std::shared_ptr<Store> target);

  /// Makes `op` fail as `mode` says from now on (`FaultMode::none` heals it).
  void set_fault(StoreOp op, FaultMode mode) noexcept;
  /// Heals every operation. Call counters are kept.
  void clear_faults() noexcept;
  /// The fault currently set for `op`.
  [[nodiscard]] FaultMode fault(StoreOp op) const noexcept;
  /// How many times `op` was called since construction or the last `reset_calls`.
  [[nodiscard]] std::size_t calls(StoreOp op) const noexcept;
  /// Sets every call counter to zero.
  void reset_calls() noexcept;

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

 private:
  /// Counts the call, then returns the error to answer with (throws for `throw_exception`), or
  /// nothing when the call should go through.
  [[nodiscard]] std::optional<Error> enter(StoreOp op);

  std::array<std::atomic<FaultMode>, op_count> faults_{};  // value-initialised: all FaultMode::none
  std::array<std::atomic<std::size_t>, op_count> calls_{};
};

}  // namespace reverify::testing
