#pragma once
// A complete custom reverify::Store: std::map tables behind one mutex. Each method holds the
// mutex for its whole body, which is what makes every operation one atomic step. Swap the maps
// for your database and the mutex for its transaction or compare-and-set, and run the same
// conformance suite (map_store_test.cpp) to prove it.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reverify/store.hpp"

namespace example {

using reverify::CheckResult;
using reverify::CheckStatus;
using reverify::CodeCheck;
using reverify::FailureResult;
using reverify::LockoutRule;
using reverify::OpenResult;
using reverify::OpenStatus;
using reverify::Result;
using reverify::SendLimit;
using reverify::Timestamp;
using reverify::VerificationRecord;

class MapStore final : public reverify::Store {
 public:
  Result<bool> insert(const VerificationRecord& record) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_.emplace(record.id, record).second;
  }

  Result<OpenResult> open_code(const VerificationRecord& record, const SendLimit& limit, bool retire_previous,
                               Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    OpenResult result;
    if (records_.count(record.id) != 0) return result;  // id_taken
    auto& events = live_events(limit.key, limit.window, now);
    if (events.size() >= limit.limit) {
      result.status = OpenStatus::rate_limited;
    } else {
      add_event(events, now, limit.window);
      result.status = OpenStatus::opened;
      records_.emplace(record.id, record);
      if (retire_previous && record.is_code()) {
        auto [holder, fresh] = slots_.try_emplace(record.code_slot(), record.id);
        if (!fresh) {
          auto previous = records_.find(holder->second);
          if (previous != records_.end() && !previous->second.verified) previous->second.retired = true;
          holder->second = record.id;
        }
      }
    }
    result.sends = static_cast<std::uint32_t>(events.size());
    if (!events.empty()) result.oldest = events.front().at;
    return result;
  }

  Result<void> cancel_code(std::string_view id, std::string_view send_key, Timestamp at) override {
    std::lock_guard<std::mutex> lock(mutex_);
    records_.erase(std::string(id));
    auto found = windows_.find(std::string(send_key));
    if (found == windows_.end()) return {};
    auto& events = found->second;
    auto event = std::find_if(events.begin(), events.end(), [at](const Event& e) { return e.at == at; });
    if (event != events.end()) events.erase(event);
    return {};
  }

  Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const VerificationRecord* record = live(id, now);
    if (record == nullptr) return std::optional<VerificationRecord>{};
    return std::optional<VerificationRecord>(*record);
  }

  // Every refusal rule, the attempt, the comparison and the lockout failure under one lock.
  Result<CheckResult> check_code(const CodeCheck& check) override {
    std::lock_guard<std::mutex> lock(mutex_);
    CheckResult result;
    VerificationRecord* record = live(check.record_id, check.now);
    if (record == nullptr || record->retired || record->user_id != check.user_id || record->kind != check.kind) {
      return result;  // not_found
    }
    result.attempts = record->attempts;
    if (record->verified) {
      result.status = CheckStatus::already_verified;
    } else if (record->identifier_key != check.identifier_key) {
      result.status = CheckStatus::identifier_mismatch;
    } else if (check.now > record->code_expires_at) {
      result.status = CheckStatus::code_expired;
    } else if (auto until = block_end(check.lockout.key, check.now)) {
      result.status = CheckStatus::blocked;
      result.blocked_until = until;
    } else if (record->attempts >= check.max_attempts) {
      result.status = CheckStatus::exhausted;
      note_failure(result, check.lockout, check.now);
    } else {
      auto offered = std::find_if(check.offered.begin(), check.offered.end(),
                                  [&](const reverify::OfferedDigest& o) { return o.pepper_id == record->pepper_id; });
      if (offered == check.offered.end()) {
        result.status = CheckStatus::unknown_pepper;
        return result;
      }
      result.attempts = ++record->attempts;
      if (record->code_digest && reverify::digests_equal(*record->code_digest, offered->digest)) {
        record->verified = true;
        result.status = CheckStatus::verified;
      } else {
        result.status = CheckStatus::mismatch;
        note_failure(result, check.lockout, check.now);
      }
    }
    return result;
  }

  Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    VerificationRecord* record = live(id, now);
    if (record == nullptr || record->retired || !record->verified) return false;
    if (max_uses != 0 && record->use_count >= max_uses) return false;
    ++record->use_count;
    return true;
  }

  Result<FailureResult> count_failure(const LockoutRule& rule, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return add_failure(rule, now);
  }

  Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return block_end(key, now);
  }

  Result<void> unblock(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.erase(std::string(key));
    windows_.erase(std::string(key));
    return {};
  }

  // Records, window events and blocks each count as one item; at most `limit` per call.
  Result<std::size_t> purge_expired(Timestamp now, std::size_t limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t deleted = 0;
    for (auto it = records_.begin(); it != records_.end() && deleted < limit;) {
      if (it->second.live_at(now)) {
        ++it;
      } else {
        it = records_.erase(it);
        ++deleted;
      }
    }
    for (auto& [key, events] : windows_) {
      for (auto it = events.begin(); it != events.end() && deleted < limit;) {
        if (it->gone > now) {
          ++it;
        } else {
          it = events.erase(it);
          ++deleted;
        }
      }
    }
    for (auto it = blocks_.begin(); it != blocks_.end() && deleted < limit;) {
      if (it->second > now) {
        ++it;
      } else {
        it = blocks_.erase(it);
        ++deleted;
      }
    }
    return deleted;
  }

 private:
  struct Event {
    Timestamp at;    // when it happened
    Timestamp gone;  // when it has left its window (purgeable)
  };

  VerificationRecord* live(std::string_view id, Timestamp now) {
    auto found = records_.find(std::string(id));
    if (found == records_.end() || !found->second.live_at(now)) return nullptr;
    return &found->second;
  }

  // The events of `key` still inside `window` at `now` (older ones are forgotten), sorted by time.
  std::vector<Event>& live_events(std::string_view key, std::chrono::milliseconds window, Timestamp now) {
    auto& events = windows_[std::string(key)];
    events.erase(std::remove_if(events.begin(), events.end(), [&](const Event& e) { return e.at <= now - window; }),
                 events.end());
    return events;
  }

  static void add_event(std::vector<Event>& events, Timestamp now, std::chrono::milliseconds window) {
    auto position =
        std::upper_bound(events.begin(), events.end(), now, [](Timestamp t, const Event& e) { return t < e.at; });
    events.insert(position, Event{now, now + window});
  }

  std::optional<Timestamp> block_end(std::string_view key, Timestamp now) const {
    auto found = blocks_.find(std::string(key));
    if (found == blocks_.end() || found->second <= now) return std::nullopt;
    return found->second;
  }

  FailureResult add_failure(const LockoutRule& rule, Timestamp now) {
    auto& events = live_events(rule.key, rule.window, now);
    add_event(events, now, rule.window);
    FailureResult result;
    result.failures = static_cast<std::uint32_t>(events.size());
    if (result.failures >= rule.failures) {
      auto [entry, fresh] = blocks_.try_emplace(std::string(rule.key), now + rule.duration);
      if (!fresh) entry->second = std::max(entry->second, now + rule.duration);
      result.blocked_until = entry->second;
    }
    return result;
  }

  void note_failure(CheckResult& result, const LockoutRule& rule, Timestamp now) {
    const FailureResult failure = add_failure(rule, now);
    result.failures = failure.failures;
    result.blocked_until = failure.blocked_until;
  }

  std::mutex mutex_;
  std::map<std::string, VerificationRecord> records_;
  std::map<std::string, std::string> slots_;  // code slot -> current holder
  std::map<std::string, std::vector<Event>> windows_;
  std::map<std::string, Timestamp> blocks_;
};

}  // namespace example
