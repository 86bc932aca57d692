#pragma once
/// @file
/// Structured audit events: what happened, to whom, and why — never a secret.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "reverify/clock.hpp"
#include "reverify/error.hpp"
#include "reverify/export.hpp"
#include "reverify/record.hpp"

namespace reverify {

/// What an event reports.
enum class EventType : std::uint8_t {
  record_created = 1,       ///< a record was opened (password verified, or code sent)
  verified,                 ///< a code record became verified
  failed,                   ///< a wrong password, a wrong code, or a try on an exhausted code
  locked,                   ///< a target reached the failure limit and is blocked
  unblocked,                ///< an operator lifted a block
  rate_limited,             ///< a send was refused by the per-recipient limit
  authorized,               ///< a sensitive action was allowed
  denied,                   ///< a sensitive action was refused
  password_hash_malformed,  ///< the host's stored hash could not be parsed (see `detail`)
};

/// "record_created", "verified", ...
[[nodiscard]] REVERIFY_API std::string_view to_string(EventType type) noexcept;

/// One event. Contains ids, kinds and reasons only.
struct REVERIFY_API Event {
  EventType type = EventType::record_created;
  Timestamp at{};
  std::string user_id;
  std::string record_id;  ///< empty when no record is involved
  std::optional<RecordKind> kind;
  std::optional<Errc> reason;  ///< the error answered, for failures and denials
  std::string target;          ///< lockout/rate-limit target (user id or normalised identifier)
  std::string detail;          ///< extra secret-free text (e.g. why a stored hash is malformed)
};

/// One line describing the event, e.g. for a log.
[[nodiscard]] REVERIFY_API std::string to_string(const Event& event);

/// Receives events. Called synchronously on the thread of the manager call; must be thread-safe
/// and fast. Exceptions it throws are swallowed: auditing never changes an answer.
class REVERIFY_API EventSink {
 public:
  EventSink() = default;
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;
  virtual ~EventSink() = default;

  virtual void on_event(const Event& event) = 0;
};

/// An EventSink that calls a function.
class REVERIFY_API CallbackEventSink final : public EventSink {
 public:
  explicit CallbackEventSink(std::function<void(const Event&)> callback) : callback_(std::move(callback)) {}
  void on_event(const Event& event) override {
    if (callback_) callback_(event);
  }

 private:
  std::function<void(const Event&)> callback_;
};

}  // namespace reverify
