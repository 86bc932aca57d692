#include "reverify/testing/faulty_store.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace reverify::testing {

std::string_view to_string(StoreOp op) noexcept {
  switch (op) {
    case StoreOp::insert:
      return "insert";
    case StoreOp::find:
      return "find";
    case StoreOp::spend_attempt:
      return "spend_attempt";
    case StoreOp::mark_verified:
      return "mark_verified";
    case StoreOp::use:
      return "use";
    case StoreOp::retire:
      return "retire";
    case StoreOp::window_add:
      return "window_add";
    case StoreOp::window_remove:
      return "window_remove";
    case StoreOp::block:
      return "block";
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

Result<bool> FaultyStore::insert(const VerificationRecord& record, bool retire_previous) {
  if (auto error = enter(StoreOp::insert)) return fail(std::move(*error));
  return StoreWrapper::insert(record, retire_previous);
}

Result<std::optional<VerificationRecord>> FaultyStore::find(std::string_view id, Timestamp now) {
  if (auto error = enter(StoreOp::find)) return fail(std::move(*error));
  return StoreWrapper::find(id, now);
}

Result<AttemptResult> FaultyStore::spend_attempt(std::string_view id, std::uint32_t max_attempts, Timestamp now) {
  if (auto error = enter(StoreOp::spend_attempt)) return fail(std::move(*error));
  return StoreWrapper::spend_attempt(id, max_attempts, now);
}

Result<bool> FaultyStore::mark_verified(std::string_view id, Timestamp now) {
  if (auto error = enter(StoreOp::mark_verified)) return fail(std::move(*error));
  return StoreWrapper::mark_verified(id, now);
}

Result<bool> FaultyStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  if (auto error = enter(StoreOp::use)) return fail(std::move(*error));
  return StoreWrapper::use(id, max_uses, now);
}

Result<void> FaultyStore::retire(std::string_view id) {
  if (auto error = enter(StoreOp::retire)) return fail(std::move(*error));
  return StoreWrapper::retire(id);
}

Result<WindowResult> FaultyStore::window_add(std::string_view key, std::chrono::milliseconds window,
                                             std::uint32_t limit, Timestamp now) {
  if (auto error = enter(StoreOp::window_add)) return fail(std::move(*error));
  return StoreWrapper::window_add(key, window, limit, now);
}

Result<void> FaultyStore::window_remove(std::string_view key, Timestamp at) {
  if (auto error = enter(StoreOp::window_remove)) return fail(std::move(*error));
  return StoreWrapper::window_remove(key, at);
}

Result<void> FaultyStore::block(std::string_view key, Timestamp until) {
  if (auto error = enter(StoreOp::block)) return fail(std::move(*error));
  return StoreWrapper::block(key, until);
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
