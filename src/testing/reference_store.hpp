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

/// A model answer of `count_failure`. When the key was already blocked before the failure, the
/// contract leaves open whether `blocked_until` reports the (kept) block: compare it only when
/// `end_reported` is true.
struct ModelFailure {
  FailureResult result;
  bool end_reported = true;
};

/// A single-threaded model of `Store`. Times are milliseconds since the epoch. Purging is not
/// modelled: what a purge may delete can no longer change any answer.
class ReferenceStore {
 public:
  [[nodiscard]] bool insert(const VerificationRecord& record);
  [[nodiscard]] OpenResult open_code(const VerificationRecord& record, const std::string& send_key, std::int64_t window,
                                     std::uint32_t limit, bool retire_previous, std::int64_t now);
  void cancel_code(const std::string& id, const std::string& send_key, std::int64_t at);
  [[nodiscard]] std::optional<VerificationRecord> find(const std::string& id, std::int64_t now) const;
  /// `check`'s string views and times are read as given; the lockout rule's key names the model's key.
  [[nodiscard]] ModelFailure check_code(const CodeCheck& check, CheckResult& result);
  [[nodiscard]] bool use(const std::string& id, std::uint32_t max_uses, std::int64_t now);
  [[nodiscard]] ModelFailure count_failure(const std::string& key, std::int64_t window, std::uint32_t failures,
                                           std::int64_t duration, std::int64_t now);
  [[nodiscard]] std::optional<std::int64_t> blocked_until(const std::string& key, std::int64_t now) const;
  void unblock(const std::string& key);

  /// Every record present (live or expired, not cancelled).
  [[nodiscard]] const std::map<std::string, VerificationRecord>& records() const noexcept { return records_; }

 private:
  [[nodiscard]] VerificationRecord* live(const std::string& id, std::int64_t now);
  /// Forgets the events of `key` stamped at or before `now - window`; returns the rest.
  std::multiset<std::int64_t>& window(const std::string& key, std::int64_t window_ms, std::int64_t now);

  std::map<std::string, VerificationRecord> records_;
  std::map<std::string, std::string> holders_;  // code slot -> id of the record that holds it
  std::map<std::string, std::multiset<std::int64_t>> events_;
  std::map<std::string, std::int64_t> blocks_;
};

}  // namespace reverify::testing::detail
