#pragma once
/// @file
/// A Store that forwards every call to another: the base for decorators (fault injection,
/// metrics, tracing).

#include <memory>
#include <utility>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify {

/// Forwards each operation to `target`. Override the ones you decorate.
class REVERIFY_API StoreWrapper : public Store {
 public:
  explicit StoreWrapper(std::shared_ptr<Store> target) : target_(std::move(target)) {}

  [[nodiscard]] Result<bool> insert(const VerificationRecord& record, bool retire_previous) override {
    return target_->insert(record, retire_previous);
  }
  [[nodiscard]] Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override {
    return target_->find(id, now);
  }
  [[nodiscard]] Result<AttemptResult> spend_attempt(std::string_view id, std::uint32_t max_attempts,
                                                    Timestamp now) override {
    return target_->spend_attempt(id, max_attempts, now);
  }
  [[nodiscard]] Result<bool> mark_verified(std::string_view id, Timestamp now) override {
    return target_->mark_verified(id, now);
  }
  [[nodiscard]] Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override {
    return target_->use(id, max_uses, now);
  }
  [[nodiscard]] Result<void> retire(std::string_view id) override { return target_->retire(id); }
  [[nodiscard]] Result<WindowResult> window_add(std::string_view key, std::chrono::milliseconds window,
                                                std::uint32_t limit, Timestamp now) override {
    return target_->window_add(key, window, limit, now);
  }
  [[nodiscard]] Result<void> window_remove(std::string_view key, Timestamp at) override {
    return target_->window_remove(key, at);
  }
  [[nodiscard]] Result<void> block(std::string_view key, Timestamp until) override {
    return target_->block(key, until);
  }
  [[nodiscard]] Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) override {
    return target_->blocked_until(key, now);
  }
  [[nodiscard]] Result<void> unblock(std::string_view key) override { return target_->unblock(key); }
  [[nodiscard]] Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) override {
    return target_->purge_expired(now, limit);
  }

 protected:
  [[nodiscard]] Store& target() noexcept { return *target_; }

 private:
  std::shared_ptr<Store> target_;
};

}  // namespace reverify
