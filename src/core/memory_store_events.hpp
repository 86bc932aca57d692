#pragma once
/// @file
/// The sorted event times of one rolling window (sends or failures of one key). Private to the
/// memory store.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "prefetch.hpp"

namespace reverify::detail {

/// Event times in ascending order, several per millisecond allowed. Old events leave from the
/// front and new ones nearly always arrive at the back, so both ends are handled without touching
/// the middle: forgotten events only advance `head_` (the vector is compacted once at least half
/// of it is forgotten), and an event not older than the newest is appended.
class EventLog {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return times_.size() - head_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// The oldest and newest event; the log must not be empty.
  [[nodiscard]] std::int64_t front() const noexcept { return times_[head_]; }
  [[nodiscard]] std::int64_t back() const noexcept { return times_.back(); }

  /// Starts loading the oldest event (see `prefetch_address`).
  void prefetch_front() const noexcept {
    if (!empty()) prefetch_address(&times_[head_]);
  }

  void add(std::int64_t at_ms) {
    if (empty() || at_ms >= back()) {
      times_.push_back(at_ms);
    } else {
      times_.insert(std::upper_bound(times_.begin() + offset(), times_.end(), at_ms), at_ms);
    }
  }

  /// Removes one event stamped `at_ms`, if any.
  void remove(std::int64_t at_ms) {
    const auto event = std::lower_bound(times_.begin() + offset(), times_.end(), at_ms);
    if (event != times_.end() && *event == at_ms) times_.erase(event);
    if (empty()) clear();
  }

  /// Forgets up to `limit` events stamped at or before `cutoff_ms`, oldest first; returns how many.
  std::size_t forget_up_to(std::int64_t cutoff_ms, std::size_t limit = static_cast<std::size_t>(-1)) {
    std::size_t forgotten = 0;
    while (forgotten < limit && !empty() && front() <= cutoff_ms) {
      ++head_;
      ++forgotten;
    }
    if (empty()) {
      clear();
    } else if (head_ * 2 >= times_.size() && head_ >= compact_after) {
      times_.erase(times_.begin(), times_.begin() + offset());
      head_ = 0;
    }
    return forgotten;
  }

  void clear() noexcept {
    times_.clear();
    head_ = 0;
  }
  void release_memory() {
    if (empty()) std::vector<std::int64_t>().swap(times_);
  }

 private:
  static constexpr std::size_t compact_after = 16;
  [[nodiscard]] std::ptrdiff_t offset() const noexcept { return static_cast<std::ptrdiff_t>(head_); }

  std::vector<std::int64_t> times_;
  std::size_t head_ = 0;
};

}  // namespace reverify::detail
