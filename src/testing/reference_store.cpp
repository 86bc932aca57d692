#include "reference_store.hpp"

#include <algorithm>

namespace reverify::testing::detail {
namespace {

bool same_slot(const VerificationRecord& a, const VerificationRecord& b) {
  return a.user_id == b.user_id && a.kind == b.kind && a.identifier_key == b.identifier_key &&
         a.template_type == b.template_type;
}

}  // namespace

VerificationRecord* ReferenceStore::live(const std::string& id, std::int64_t now) {
  const auto it = records_.find(id);
  if (it == records_.end() || now >= to_unix_ms(it->second.expires_at)) return nullptr;
  return &it->second;
}

bool ReferenceStore::insert(const VerificationRecord& record, bool retire_previous) {
  if (records_.count(record.id) != 0) return false;
  // The suite never mixes retire_previous values within one slot, so "the previous holder" and
  // "every earlier unverified record of the slot" are the same set of live records.
  if (retire_previous && record.is_code()) {
    for (auto& [id, other] : records_) {
      if (same_slot(other, record) && !other.verified) other.retired = true;
    }
  }
  records_.emplace(record.id, record);
  return true;
}

std::optional<VerificationRecord> ReferenceStore::find(const std::string& id, std::int64_t now) const {
  const auto it = records_.find(id);
  if (it == records_.end() || now >= to_unix_ms(it->second.expires_at)) return std::nullopt;
  return it->second;
}

AttemptResult ReferenceStore::spend_attempt(const std::string& id, std::uint32_t max_attempts, std::int64_t now) {
  AttemptResult result;
  VerificationRecord* record = live(id, now);
  if (record == nullptr || record->retired) return result;
  result.attempts = record->attempts;
  if (record->verified) {
    result.status = AttemptStatus::already_verified;
  } else if (record->attempts >= max_attempts) {
    result.status = AttemptStatus::exhausted;
  } else {
    result.status = AttemptStatus::spent;
    result.attempts = ++record->attempts;
    result.code_digest = record->code_digest;
    result.pepper_id = record->pepper_id;
  }
  return result;
}

bool ReferenceStore::mark_verified(const std::string& id, std::int64_t now) {
  VerificationRecord* record = live(id, now);
  if (record == nullptr || record->retired || record->verified) return false;
  record->verified = true;
  return true;
}

bool ReferenceStore::use(const std::string& id, std::uint32_t max_uses, std::int64_t now) {
  VerificationRecord* record = live(id, now);
  if (record == nullptr || record->retired || !record->verified) return false;
  if (max_uses != 0 && record->use_count >= max_uses) return false;
  ++record->use_count;
  return true;
}

void ReferenceStore::retire(const std::string& id) {
  const auto it = records_.find(id);
  if (it != records_.end()) it->second.retired = true;
}

WindowResult ReferenceStore::window_add(const std::string& key, std::int64_t window, std::uint32_t limit,
                                        std::int64_t now) {
  auto& events = windows_[key];
  events.erase(events.begin(), events.upper_bound(now - window));
  WindowResult result;
  if (events.size() < limit) {
    events.insert(now);
    result.counted = true;
  }
  result.count = static_cast<std::uint32_t>(events.size());
  if (!events.empty()) result.oldest = from_unix_ms(*events.begin());
  return result;
}

void ReferenceStore::window_remove(const std::string& key, std::int64_t at) {
  const auto it = windows_.find(key);
  if (it == windows_.end()) return;
  const auto event = it->second.find(at);
  if (event != it->second.end()) it->second.erase(event);
}

void ReferenceStore::block(const std::string& key, std::int64_t until) {
  const auto [it, inserted] = blocks_.emplace(key, until);
  if (!inserted) it->second = std::max(it->second, until);
}

std::optional<std::int64_t> ReferenceStore::blocked_until(const std::string& key, std::int64_t now) const {
  const auto it = blocks_.find(key);
  if (it == blocks_.end() || now >= it->second) return std::nullopt;
  return it->second;
}

void ReferenceStore::unblock(const std::string& key) {
  blocks_.erase(key);
  windows_.erase(key);
}

}  // namespace reverify::testing::detail
