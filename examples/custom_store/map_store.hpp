#pragma once
// A complete custom reverify::Store: std::map tables behind one mutex. Each method holds the
// mutex for its whole body, which is what makes every operation one atomic step. Swap the maps
// for your database and the mutex for its transaction or compare-and-set, and run the same
// conformance suite (map_store_test.cpp) to prove it.

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reverify/store.hpp"

namespace example {

using reverify::AttemptResult;
using reverify::AttemptStatus;
using reverify::Result;
using reverify::Timestamp;
using reverify::VerificationRecord;
using reverify::WindowResult;

class MapStore final : public reverify::Store {
 public:
  Result<bool> insert(const VerificationRecord& record, bool retire_previous) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (records_.count(record.id) != 0) return false;
    records_.emplace(record.id, record);
    if (retire_previous && record.is_code()) {
      auto [holder, fresh] = slots_.try_emplace(record.code_slot(), record.id);
      if (!fresh) {
        auto previous = records_.find(holder->second);
        if (previous != records_.end() && !previous->second.verified) previous->second.retired = true;
        holder->second = record.id;
      }
    }
    return true;
  }

  Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const VerificationRecord* record = live(id, now);
    if (record == nullptr) return std::optional<VerificationRecord>{};
    return std::optional<VerificationRecord>(*record);
  }

  Result<AttemptResult> spend_attempt(std::string_view id, std::uint32_t max_attempts, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    AttemptResult result;
    VerificationRecord* record = live(id, now);
    if (record == nullptr || record->retired) return result;  // not_found
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

  Result<bool> mark_verified(std::string_view id, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    VerificationRecord* record = live(id, now);
    if (record == nullptr || record->retired || record->verified) return false;
    record->verified = true;
    return true;
  }

  Result<bool> use(std::string_view id, std::uint32_t max_uses, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    VerificationRecord* record = live(id, now);
    if (record == nullptr || record->retired || !record->verified) return false;
    if (max_uses != 0 && record->use_count >= max_uses) return false;
    ++record->use_count;
    return true;
  }

  Result<void> retire(std::string_view id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = records_.find(std::string(id));
    if (found != records_.end()) found->second.retired = true;
    return {};
  }

  Result<WindowResult> window_add(std::string_view key, std::chrono::milliseconds window, std::uint32_t limit,
                                  Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& events = windows_[std::string(key)];  // sorted by time
    events.erase(std::remove_if(events.begin(), events.end(), [&](const Event& e) { return e.at <= now - window; }),
                 events.end());
    WindowResult result;
    if (events.size() < limit) {
      auto position =
          std::upper_bound(events.begin(), events.end(), now, [](Timestamp t, const Event& e) { return t < e.at; });
      events.insert(position, Event{now, now + window});
      result.counted = true;
    }
    result.count = static_cast<std::uint32_t>(events.size());
    if (!events.empty()) result.oldest = events.front().at;
    return result;
  }

  Result<void> window_remove(std::string_view key, Timestamp at) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = windows_.find(std::string(key));
    if (found == windows_.end()) return {};
    auto& events = found->second;
    auto event = std::find_if(events.begin(), events.end(), [at](const Event& e) { return e.at == at; });
    if (event != events.end()) events.erase(event);
    return {};
  }

  Result<void> block(std::string_view key, Timestamp until) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [entry, fresh] = blocks_.try_emplace(std::string(key), until);
    if (!fresh) entry->second = std::max(entry->second, until);
    return {};
  }

  Result<std::optional<Timestamp>> blocked_until(std::string_view key, Timestamp now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = blocks_.find(std::string(key));
    if (found == blocks_.end() || found->second <= now) return std::optional<Timestamp>{};
    return std::optional<Timestamp>(found->second);
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
  VerificationRecord* live(std::string_view id, Timestamp now) {
    auto found = records_.find(std::string(id));
    if (found == records_.end() || !found->second.live_at(now)) return nullptr;
    return &found->second;
  }

  std::mutex mutex_;
  std::map<std::string, VerificationRecord> records_;
  std::map<std::string, std::string> slots_;  // code slot -> current holder
  struct Event {
    Timestamp at;    // when it happened
    Timestamp gone;  // when it has left its window (purgeable)
  };
  std::map<std::string, std::vector<Event>> windows_;
  std::map<std::string, Timestamp> blocks_;
};

}  // namespace example
