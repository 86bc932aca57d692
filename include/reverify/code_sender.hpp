#pragma once
/// @file
/// The delivery plug-in: how a one-time code reaches the user.

#include <string>

#include "reverify/clock.hpp"
#include "reverify/export.hpp"
#include "reverify/identifier.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"

namespace reverify {

/// One code to deliver. `code` is the only secret; senders must not log it.
struct REVERIFY_API CodeMessage {
  IdentifierType channel = IdentifierType::email;  ///< email, or phone (SMS)
  std::string to;                                  ///< the identifier exactly as the caller gave it
  SecretString code;                               ///< the one-time code
  TemplateType template_type = TemplateType::user_permission_validation;
  std::string record_id;        ///< the verification record the code belongs to
  std::string user_id;          ///< who asked for it
  Timestamp sent_at{};          ///< the manager's clock at send time
  Timestamp code_expires_at{};  ///< when the code stops working
};

/// Delivers codes. Implementations must be thread-safe. Return an error (or throw) when delivery
/// failed: the manager then leaves no usable record and does not count the send.
/// `Errc::connector_not_found` says no channel is configured for this kind of identifier, and
/// `Errc::invalid_input` that this message cannot be sent as it is (a recipient the channel
/// cannot address, text it cannot carry); both reach the caller as they are. Anything else is
/// reported as `Errc::sender_unavailable`. The error's message (or the
/// exception's `what()`) becomes part of the manager's error, withheld whole if it contains the
/// code; keep the code out of it anyway, as it may be spelled differently.
class REVERIFY_API CodeSender {
 public:
  CodeSender() = default;
  CodeSender(const CodeSender&) = delete;
  CodeSender& operator=(const CodeSender&) = delete;
  virtual ~CodeSender() = default;

  /// Delivers one message, or fails.
  [[nodiscard]] virtual Result<void> send(const CodeMessage& message) = 0;
};

}  // namespace reverify
