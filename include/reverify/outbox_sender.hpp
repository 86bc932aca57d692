#pragma once
/// @file
/// A development CodeSender that writes each message as one JSON line.

#include <memory>
#include <ostream>
#include <string>

#include "reverify/code_sender.hpp"
#include "reverify/export.hpp"

namespace reverify {

/// Appends one JSON object per message and flushes:
/// `{"channel":"email"|"sms","to":…,"code":…,"template":…,"verificationRecordId":…,"sentAt":…}`
/// (`sentAt` ISO-8601 UTC with milliseconds). FOR DEVELOPMENT ONLY: the outbox holds codes in
/// clear. Thread-safe (one lock per sender).
class REVERIFY_API OutboxSender final : public CodeSender {
 public:
  /// Appends to the file at `path` (created if missing, mode 0600).
  /// Errors: `Errc::invalid_configuration` when it cannot be opened (a symbolic link is not
  /// followed), when it exists and belongs to another user or has any group or other permission
  /// (character devices such as a terminal excepted), or when `path` holds a control character
  /// (errors name the path and stay one line).
  [[nodiscard]] static Result<std::shared_ptr<OutboxSender>> open_file(const std::string& path);
  /// Writes to a stream the caller keeps alive (e.g. std::cout).
  explicit OutboxSender(std::ostream& stream);
  ~OutboxSender() override;

  /// Errors: `invalid_input` for a field that is not valid UTF-8 (nothing is written),
  /// `sender_unavailable` when the write fails.
  [[nodiscard]] Result<void> send(const CodeMessage& message) override;

  /// The JSON line for a message, without the newline.
  [[nodiscard]] static std::string to_json_line(const CodeMessage& message);

  struct Impl;
  explicit OutboxSender(std::unique_ptr<Impl> impl) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify
