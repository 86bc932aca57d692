#pragma once
/// @file
/// The Store contract written as plainly as possible: one thread, ordinary maps, no purging.
/// The random-sequence clause compares a real store with it answer by answer.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "reverify/store.hpp"

namespace reverify::testing::detail {

/// A single-threaded model of `Store`. Times are milliseconds since the epoch. Purging is not
/// modelled: what a purge may delete can no longer change any answer.
class ReferenceStore {
 public:
  [[nodiscard]] bool insert(const VerificationRecord& record, bool retire_previous);
  [[nodiscard]] std::optional<VerificationRecord> find(const std::string& id, std::int64_t now) const;
  [[nodiscard]] AttemptResult spend_attempt(const std::string& id, std::uint32_t max_attempts, std::int64_t now);
  [[nodiscard]] bool mark_verified(const std::string& id, std::int64_t now);
  [[nodiscard]] bool use(const std::string& id, std::uint32_t max_uses, std::int64_t now);
  void retire(const std::string& id);
  [[nodiscard]] WindowResult window_add(const std::string& key, std::int64_t window, std::uint32_t limit,
                                        std::int64_t now);
  void window_remove(const std::string& key, std::int64_t at);
  void block(const std::string& key, std::int64_t until);
  [[nodiscard]] std::optional<std::int64_t> blocked_until(const std::string& key, std::int64_t now) const;
  void unblock(const std::string& key);

  /// Every id ever inserted (live or not).
  [[nodiscard]] const std::map<std::string, VerificationRecord>& records() const noexcept { return records_; }

 private:
  [[nodiscard]] VerificationRecord* live(const std::string& id, std::int64_t now);

  std::map<std::string, VerificationRecord> records_;
  std::map<std::string, std::multiset<std::int64_t>> windows_;
  std::map<std::string, std::int64_t> blocks_;
};

}  // namespace reverify::testing::detail
