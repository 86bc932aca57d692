#include "reverify/testing/faulty_store.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace reverify::testing {

std::string_view to_string(StoreOp op) noexcept {
  switch (op) {
    case StoreOp::insert:
      return "insert";
    case StoreOp::open_code:
      return "open_code";
    case StoreOp::cancel_code:
      return "cancel_code";
    case StoreOp::find:
      return "find";
    case StoreOp::check_code:
      return "check_code";
    case StoreOp::use:
      return "use";
    case StoreOp::count_failure:
      return "count_failure";
    case StoreOp::blocked_until:
      return "blocked_until";
    case StoreOp::unblock:
      return "unblock";
    case StoreOp::purge_expired:
      return "purge_expired";
  }
  return "unknown";
}

FaultyStore::FaultyStore(std::shared_ptr<Store> target) : StoreWrapper(std::move(target)) {}

void FaultyStore::set_fault(StoreOp op, FaultMode mode) noexcept { faults_[static_cast<std::size_t>(op)].store(mode); }

void FaultyStore::clear_faults() noexcept {
  for (auto& fault : faults_) fault.store(FaultMode::none);
}

FaultMode FaultyStore::fault(StoreOp op) const noexcept { return faults_[static_cast<std::size_t>(op)].load(); }

std::size_t FaultyStore::calls(StoreOp op) const noexcept { return calls_[static_cast<std::size_t>(op)].load(); }

void FaultyStore::reset_calls() noexcept {
  for (auto& count : calls_) count.store(0);
}

std::optional<Error> FaultyStore::enter(StoreOp op) {
  calls_[static_cast<std::size_t>(op)].fetch_add(1);
  switch (fault(op)) {
    case FaultMode::none:
      return std::nullopt;
    case FaultMode::error:
      return Error(Errc::store_unavailable, "faulty store: injected failure of " + std::string(to_string(op)));
    case FaultMode::throw_exception:
      throw std::runtime_error("faulty store: injected exception in " + std::string(to_string(op)));
  }
  return std::nullopt;
}

Result<bool> FaultyStore::insert(const VerificationRecord& record) {
  if (auto error = enter(StoreOp::insert)) return fail(std::move(*error));
  return StoreWrapper::insert(record);
}

Result<OpenResult> FaultyStore::open_code(const VerificationRecord& record, const SendLimit& limit,
                                          bool retire_previous, Timestamp now) {
  if (auto error = enter(StoreOp::open_code)) return fail(std::move(*error));
  return StoreWrapper::open_code(record, limit, retire_previous, now);
}

Result<void> FaultyStore::cancel_code(std::string_view id, std::string_view send_key, Timestamp at) {
  if (auto error = enter(StoreOp::cancel_code)) return fail(std::move(*error));
  return StoreWrapper::cancel_code(id, send_key, at);
}

Result<std::optional<VerificationRecord>> FaultyStore::find(std::string_view id, Timestamp now) {
  if (auto error = enter(StoreOp::find)) return fail(std::move(*error));
  return StoreWrapper::find(id, now);
}

Result<CheckResult> FaultyStore::check_code(const CodeCheck& check) {
  if (auto error = enter(StoreOp::check_code)) return fail(std::move(*error));
  return StoreWrapper::check_code(check);
}

Result<bool> FaultyStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  if (auto error = enter(StoreOp::use)) return fail(std::move(*error));
  return StoreWrapper::use(id, max_uses, now);
}

Result<FailureResult> FaultyStore::count_failure(const LockoutRule& rule, Timestamp now) {
  if (auto error = enter(StoreOp::count_failure)) return fail(std::move(*error));
  return StoreWrapper::count_failure(rule, now);
}

Result<std::optional<Timestamp>> FaultyStore::blocked_until(std::string_view key, Timestamp now) {
  if (auto error = enter(StoreOp::blocked_until)) return fail(std::move(*error));
  return StoreWrapper::blocked_until(key, now);
}

Result<void> FaultyStore::unblock(std::string_view key) {
  if (auto error = enter(StoreOp::unblock)) return fail(std::move(*error));
  return StoreWrapper::unblock(key);
}

Result<std::size_t> FaultyStore::purge_expired(Timestamp now, std::size_t limit) {
  if (auto error = enter(StoreOp::purge_expired)) return fail(std::move(*error));
  return StoreWrapper::purge_expired(now, limit);
}

}  // namespace reverify::testing
