#include "reverify/events.hpp"

#include <fmt/format.h>

namespace reverify {

std::string_view to_string(EventType type) noexcept {
  switch (type) {
    case EventType::record_created:
      return "record_created";
    case EventType::verified:
      return "verified";
    case EventType::failed:
      return "failed";
    case EventType::locked:
      return "locked";
    case EventType::unblocked:
      return "unblocked";
    case EventType::rate_limited:
      return "rate_limited";
    case EventType::authorized:
      return "authorized";
    case EventType::denied:
      return "denied";
    case EventType::password_hash_malformed:
      return "password_hash_malformed";
  }
  return "unknown";
}

std::string to_string(const Event& event) {
  std::string out = fmt::format("{} at={} user={}", to_string(event.type), to_iso8601(event.at), event.user_id);
  if (!event.record_id.empty()) out += fmt::format(" record={}", event.record_id);
  if (event.kind) out += fmt::format(" kind={}", to_string(*event.kind));
  if (event.reason) out += fmt::format(" reason={}", string_code(*event.reason));
  if (!event.target.empty()) out += fmt::format(" target={}", event.target);
  if (!event.detail.empty()) out += fmt::format(" detail={}", event.detail);
  return out;
}

}  // namespace reverify
