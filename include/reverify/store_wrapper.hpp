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

  [[nodiscard]] Result<bool> insert(const VerificationRecord& record) override { return target_->insert(record); }
  [[nodiscard]] Result<OpenResult> open_code(const VerificationRecord& record, const SendLimit& limit,
                                             bool retire_previous, Timestamp now) override {
    return target_->open_code(record, limit, retire_previous, now);
  }
  [[nodiscard]] Result<void> cancel_code(std::string_view id, std::string_view send_key, Timestamp at) override {
    return target_->cancel_code(id, send_key, at);
  }
  [[nodiscard]] Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override {
    return target_->find(id, now);
  }
  [[nodiscard]] Result<CheckResult> check_code(const CodeCheck& check) override { return target_->check_code(check); }
  [[nodiscard]] Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override {
    return target_->use(id, max_uses, now);
  }
  [[nodiscard]] Result<FailureResult> count_failure(const LockoutRule& rule, Timestamp now) override {
    return target_->count_failure(rule, now);
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
