#pragma once
/// @file
/// The floor's map at its cheapest: a flat open-addressing table (linear probing, backward-shift
/// erase) with keys and values inline, so that an insert into a large table is one random memory
/// access and nothing else (no node allocation, no bucket array, no chain). It offers the calls
/// the floor makes on `std::unordered_map` (`emplace`, `find`, `erase`) with the same meaning, so
/// one floor routine runs on either.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reverify::bench {

/// Keys are exactly `KeySize` bytes. Sized once for `entries` at most three quarters full; it
/// never grows, so it must not be filled beyond that.
template <std::size_t KeySize, class Value>
class FlatFloorMap {
 public:
  struct Entry {
    std::uint64_t hash = 0;  // 0 marks an empty slot
    std::array<char, KeySize> key{};
    Value second{};  // named as std::unordered_map's iterators name the value
  };
  using iterator = Entry*;

  explicit FlatFloorMap(std::size_t entries) {
    std::size_t capacity = 16;
    while (capacity * 3 < entries * 4) capacity *= 2;
    slots_.resize(capacity);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Inserts `key` (whose size must be `KeySize`) unless present; as `std::unordered_map`'s.
  std::pair<iterator, bool> emplace(const std::string& key, const Value& value) {
    const std::uint64_t hash = hash_of(key);
    std::size_t i = home(hash);
    for (; slots_[i].hash != 0; i = next(i)) {
      if (holds(slots_[i], hash, key)) return {&slots_[i], false};
    }
    Entry& entry = slots_[i];
    entry.hash = hash;
    std::memcpy(entry.key.data(), key.data(), KeySize);
    entry.second = value;
    ++size_;
    return {&entry, true};
  }

  /// The entry of `key`, or nullptr.
  [[nodiscard]] iterator find(const std::string& key) noexcept {
    const std::uint64_t hash = hash_of(key);
    for (std::size_t i = home(hash); slots_[i].hash != 0; i = next(i)) {
      if (holds(slots_[i], hash, key)) return &slots_[i];
    }
    return nullptr;
  }

  /// Removes the entry `at`; later entries of its probe run move back into the hole.
  void erase(iterator at) noexcept {
    auto hole = static_cast<std::size_t>(at - slots_.data());
    for (std::size_t j = next(hole); slots_[j].hash != 0; j = next(j)) {
      const std::size_t displacement = (j - home(slots_[j].hash)) & mask();
      if (displacement >= ((j - hole) & mask())) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Entry{};
    --size_;
  }

 private:
  [[nodiscard]] static std::uint64_t hash_of(const std::string& key) noexcept {
    const std::uint64_t hash = std::hash<std::string_view>{}(key);
    return hash == 0 ? 1 : hash;
  }
  [[nodiscard]] static bool holds(const Entry& entry, std::uint64_t hash, const std::string& key) noexcept {
    return entry.hash == hash && std::memcmp(entry.key.data(), key.data(), KeySize) == 0;
  }
  [[nodiscard]] std::size_t mask() const noexcept { return slots_.size() - 1; }
  [[nodiscard]] std::size_t home(std::uint64_t hash) const noexcept { return static_cast<std::size_t>(hash) & mask(); }
  [[nodiscard]] std::size_t next(std::size_t index) const noexcept { return (index + 1) & mask(); }

  std::vector<Entry> slots_;
  std::size_t size_ = 0;
};

}  // namespace reverify::bench
