#pragma once
/// @file
/// A lean map for the floor: a flat open-addressing table (linear probing, backward-shift erase)
/// with keys and values inline, one cache line per entry, half full (a slot is found by a
/// multiply, not a division, so the capacity need not be a power of two), so that an insert
/// into a large table is a short probe run from one random line and nothing else (no node
/// allocation, no bucket array, no chain). It offers the calls the floor makes on
/// `std::unordered_map` (`emplace`, `find`, `erase`) with the same meaning, so one floor routine
/// runs on either.

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace reverify::bench {

/// Keys are exactly `KeySize` random bytes: their first eight are the hash. Sized once for
/// `entries`, with twice as many slots; it never grows, so it must not hold more than `entries`.
template <std::size_t KeySize, class Value>
class FlatFloorMap {
  static_assert(KeySize >= sizeof(std::uint64_t), "the key's first bytes are its hash");
  __extension__ using Wide = unsigned __int128;  // g++ and clang; maps a hash onto [0, capacity)

 public:
  struct alignas(64) Entry {
    std::array<char, KeySize> key{};
    bool occupied = false;
    Value second{};  // named as std::unordered_map's iterators name the value
  };
  using iterator = Entry*;

  explicit FlatFloorMap(std::size_t entries) : slots_(2 * entries + 1) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Inserts `key` unless present; as `std::unordered_map`'s.
  std::pair<iterator, bool> emplace(const std::string& key, const Value& value) {
    assert(key.size() == KeySize);
    std::size_t i = home(key);
    for (; slots_[i].occupied; i = next(i)) {
      if (holds(slots_[i], key)) return {&slots_[i], false};
    }
    Entry& entry = slots_[i];
    std::memcpy(entry.key.data(), key.data(), KeySize);
    entry.occupied = true;
    entry.second = value;
    ++size_;
    return {&entry, true};
  }

  /// The entry of `key`, or nullptr.
  [[nodiscard]] iterator find(const std::string& key) noexcept {
    assert(key.size() == KeySize);
    for (std::size_t i = home(key); slots_[i].occupied; i = next(i)) {
      if (holds(slots_[i], key)) return &slots_[i];
    }
    return nullptr;
  }

  /// Removes the entry `at`; later entries of its probe run move back into the hole.
  void erase(iterator at) noexcept {
    auto hole = static_cast<std::size_t>(at - slots_.data());
    for (std::size_t j = next(hole); slots_[j].occupied; j = next(j)) {
      if (distance(home(slots_[j].key), j) >= distance(hole, j)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Entry{};
    --size_;
  }

 private:
  template <class Bytes>
  [[nodiscard]] std::size_t home(const Bytes& key) const noexcept {
    std::uint64_t hash = 0;
    std::memcpy(&hash, key.data(), sizeof hash);
    return static_cast<std::size_t>((static_cast<Wide>(hash) * slots_.size()) >> 64);
  }
  [[nodiscard]] static bool holds(const Entry& entry, const std::string& key) noexcept {
    return std::memcmp(entry.key.data(), key.data(), KeySize) == 0;
  }
  [[nodiscard]] std::size_t next(std::size_t index) const noexcept {
    return index + 1 == slots_.size() ? 0 : index + 1;
  }
  /// Steps from `from` forward to `to`, wrapping around the end.
  [[nodiscard]] std::size_t distance(std::size_t from, std::size_t to) const noexcept {
    return to >= from ? to - from : to + slots_.size() - from;
  }

  std::vector<Entry> slots_;
  std::size_t size_ = 0;
};

}  // namespace reverify::bench
