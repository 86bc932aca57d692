#include "reference_store.hpp"

#include <algorithm>

namespace reverify::testing::detail {

VerificationRecord* ReferenceStore::live(const std::string& id, std::int64_t now) {
  const auto it = records_.find(id);
  if (it == records_.end() || now >= to_unix_ms(it->second.expires_at)) return nullptr;
  return &it->second;
}

std::multiset<std::int64_t>& ReferenceStore::window(const std::string& key, std::int64_t window_ms, std::int64_t now) {
  auto& events = events_[key];
  events.erase(events.begin(), events.upper_bound(now - window_ms));
  return events;
}

bool ReferenceStore::insert(const VerificationRecord& record) { return records_.emplace(record.id, record).second; }

OpenResult ReferenceStore::open_code(const VerificationRecord& record, const std::string& send_key,
                                     std::int64_t window_ms, std::uint32_t limit, bool retire_previous,
                                     std::int64_t now) {
  OpenResult result;
  if (records_.count(record.id) != 0) return result;  // id_taken
  auto& events = window(send_key, window_ms, now);
  if (events.size() >= limit) {
    result.status = OpenStatus::rate_limited;
  } else {
    result.status = OpenStatus::opened;
    events.insert(now);
    records_.emplace(record.id, record);
    if (retire_previous) {
      std::string& holder = holders_[record.code_slot()];
      const auto previous = records_.find(holder);
      if (previous != records_.end() && !previous->second.verified) previous->second.retired = true;
      holder = record.id;
    }
  }
  result.sends = static_cast<std::uint32_t>(events.size());
  if (!events.empty()) result.oldest = from_unix_ms(*events.begin());
  return result;
}

void ReferenceStore::cancel_code(const std::string& id, const std::string& send_key, std::int64_t at) {
  records_.erase(id);
  const auto key = events_.find(send_key);
  if (key == events_.end()) return;
  const auto event = key->second.find(at);
  if (event != key->second.end()) key->second.erase(event);
}

std::optional<VerificationRecord> ReferenceStore::find(const std::string& id, std::int64_t now) const {
  const auto it = records_.find(id);
  if (it == records_.end() || now >= to_unix_ms(it->second.expires_at)) return std::nullopt;
  return it->second;
}

ModelFailure ReferenceStore::check_code(const CodeCheck& check, CheckResult& result) {
  result = CheckResult{};
  const std::int64_t now = to_unix_ms(check.now);
  const std::string lock_key(check.lockout.key);
  const auto count = [&] {
    const ModelFailure failure = count_failure(lock_key, check.lockout.window.count(), check.lockout.failures,
                                               check.lockout.duration.count(), now);
    result.failures = failure.result.failures;
    result.blocked_until = failure.result.blocked_until;
    return failure;
  };

  VerificationRecord* record = live(std::string(check.record_id), now);
  if (record == nullptr || record->retired || record->user_id != check.user_id || record->kind != check.kind) {
    return {};
  }
  result.attempts = record->attempts;
  if (record->verified) {
    result.status = CheckStatus::already_verified;
  } else if (record->identifier_key != check.identifier_key) {
    result.status = CheckStatus::identifier_mismatch;
  } else if (now > to_unix_ms(record->code_expires_at)) {
    result.status = CheckStatus::code_expired;
  } else if (const auto until = blocked_until(lock_key, now)) {
    result.status = CheckStatus::blocked;
    result.blocked_until = from_unix_ms(*until);
  } else if (record->attempts >= check.max_attempts) {
    result.status = CheckStatus::exhausted;
    return count();
  } else {
    const auto offered = std::find_if(check.offered.begin(), check.offered.end(),
                                      [&](const OfferedDigest& o) { return o.pepper_id == record->pepper_id; });
    if (offered == check.offered.end()) {
      result.status = CheckStatus::unknown_pepper;
      return {};
    }
    result.attempts = ++record->attempts;
    if (record->code_digest && *record->code_digest == offered->digest) {
      record->verified = true;
      result.status = CheckStatus::verified;
    } else {
      result.status = CheckStatus::mismatch;
      return count();
    }
  }
  return {};
}

bool ReferenceStore::use(const std::string& id, std::uint32_t max_uses, std::int64_t now) {
  VerificationRecord* record = live(id, now);
  if (record == nullptr || record->retired || !record->verified) return false;
  if (max_uses != 0 && record->use_count >= max_uses) return false;
  ++record->use_count;
  return true;
}

ModelFailure ReferenceStore::count_failure(const std::string& key, std::int64_t window_ms, std::uint32_t failures,
                                           std::int64_t duration, std::int64_t now) {
  ModelFailure failure;
  auto& events = window(key, window_ms, now);
  events.insert(now);
  failure.result.failures = static_cast<std::uint32_t>(events.size());
  if (failure.result.failures >= failures) {
    failure.end_reported = !blocked_until(key, now).has_value();
    const auto [it, inserted] = blocks_.emplace(key, now + duration);
    if (!inserted) it->second = std::max(it->second, now + duration);
    failure.result.blocked_until = from_unix_ms(now + duration);
  }
  return failure;
}

std::optional<std::int64_t> ReferenceStore::blocked_until(const std::string& key, std::int64_t now) const {
  const auto it = blocks_.find(key);
  if (it == blocks_.end() || now >= it->second) return std::nullopt;
  return it->second;
}

void ReferenceStore::unblock(const std::string& key) {
  blocks_.erase(key);
  events_.erase(key);
}

}  // namespace reverify::testing::detail
