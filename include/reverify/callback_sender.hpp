#pragma once
/// @file
/// A CodeSender that hands each message to a host function.

#include <functional>
#include <utility>

#include "reverify/code_sender.hpp"
#include "reverify/export.hpp"

namespace reverify {

/// Calls `callback` for each message; the callback's Result (or exception) is the send's outcome.
/// Thread-safe if the callback is.
class REVERIFY_API CallbackSender final : public CodeSender {
 public:
  using Callback = std::function<Result<void>(const CodeMessage&)>;
  explicit CallbackSender(Callback callback) : callback_(std::move(callback)) {}

  [[nodiscard]] Result<void> send(const CodeMessage& message) override {
    if (!callback_) return fail(Errc::connector_not_found, "no callback configured");
    return callback_(message);
  }

 private:
  Callback callback_;
};

}  // namespace reverify
