#pragma once
/// @file
/// A small open-addressing hash table (linear probing, backward-shift deletion) of trivially
/// copyable entries that carry their own 64-bit hash. Private to the memory store: it keeps the
/// per-record index overhead at 16 to 24 bytes per slot instead of a node allocation per entry.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "prefetch.hpp"

namespace reverify::detail {

/// A hash as the table wants it: never 0, which marks an empty slot.
[[nodiscard]] constexpr std::uint64_t table_hash(std::uint64_t hash) noexcept { return hash == 0 ? 1 : hash; }

/// `Entry` must be trivially copyable, have a `std::uint64_t hash` member (0 = empty) and be
/// value-initialisable to empty. Not thread-safe: the memory store guards each table with its
/// shard's mutex. Pointers to entries are invalidated by insert and erase.
template <class Entry>
class FlatTable {
  static_assert(std::is_trivially_copyable_v<Entry>, "entries are moved by plain copies");

 public:
  /// The table position is taken from bits above those the memory store uses to pick a shard.
  static constexpr unsigned position_shift = 16;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  [[nodiscard]] bool occupied(std::size_t index) const noexcept { return slots_[index].hash != 0; }
  [[nodiscard]] Entry& at(std::size_t index) noexcept { return slots_[index]; }
  [[nodiscard]] std::size_t index_of(const Entry* entry) const noexcept {
    return static_cast<std::size_t>(entry - slots_.data());
  }

  /// The first entry with this hash for which `matches(entry)` is true, or nullptr.
  template <class Matches>
  [[nodiscard]] Entry* find(std::uint64_t hash, Matches&& matches) noexcept {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(hash);; i = next(i)) {
      Entry& entry = slots_[i];
      if (entry.hash == 0) return nullptr;
      if (entry.hash == hash && matches(entry)) return &entry;
    }
  }

  /// The first entry with this hash, whatever it holds (callers that check the entry's fields
  /// themselves, or only want to prefetch what it points to), or nullptr.
  [[nodiscard]] Entry* first(std::uint64_t hash) noexcept {
    return find(hash, [](const Entry&) { return true; });
  }

  /// Starts loading the slot a lookup of `hash` probes first; the lookup itself comes later.
  void prefetch(std::uint64_t hash) const noexcept {
    if (!slots_.empty()) prefetch_address(&slots_[home(hash)]);
  }
  /// Starts loading the slot the next `sweep` looks at first.
  void prefetch_sweep() const noexcept {
    if (!slots_.empty()) prefetch_address(&slots_[sweep_cursor_ & (slots_.size() - 1)]);
  }

  /// Adds an entry (duplicates are the caller's business). May reallocate.
  void insert(const Entry& entry) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    place(entry);
    ++size_;
  }

  /// Removes the entry at `index`. Entries of the same probe run move back, so a scan that
  /// erases must look at `index` again before moving on.
  void erase_at(std::size_t index) noexcept {
    std::size_t hole = index;
    for (std::size_t j = next(hole);; j = next(j)) {
      const Entry& entry = slots_[j];
      if (entry.hash == 0) break;
      const std::size_t mask = slots_.size() - 1;
      const std::size_t displacement = (j - home(entry.hash)) & mask;
      if (displacement >= ((j - hole) & mask)) {
        slots_[hole] = entry;
        hole = j;
      }
    }
    slots_[hole] = Entry{};
    --size_;
  }

  /// Gives memory back after a purge emptied most of the table.
  void shrink_if_sparse() {
    std::size_t wanted = slots_.size();
    while (wanted > 64 && size_ * 8 < wanted) wanted /= 2;
    if (wanted != slots_.size()) rehash(size_ == 0 ? 0 : wanted);
  }

  /// What `sweep`'s visitor decided for one entry.
  struct Swept {
    std::size_t deleted = 0;  ///< items the visitor deleted (counted against the budget)
    bool erase = false;       ///< erase the entry (the visitor has released what it owns)
  };

  /// A resumable scan for bounded purges: visits up to `slots` slots from where the previous
  /// sweep stopped, stopping early once `budget` items are deleted. `visit(entry, room)` returns a
  /// `Swept`, `room` being the budget left.
  template <class Visit>
  std::size_t sweep(std::size_t slots, std::size_t budget, Visit&& visit) {
    std::size_t deleted = 0;
    const std::size_t capacity = slots_.size();
    if (capacity == 0) return 0;
    slots = slots < capacity ? slots : capacity;
    std::size_t index = sweep_cursor_ & (capacity - 1);
    for (std::size_t seen = 0; seen < slots && deleted < budget;) {
      if (occupied(index)) {
        const Swept swept = visit(slots_[index], budget - deleted);
        deleted += swept.deleted;
        if (swept.erase) {
          erase_at(index);
          continue;  // erase_at may have moved a later entry into `index`
        }
      }
      index = next(index);
      ++seen;
    }
    sweep_cursor_ = index;
    return deleted;
  }

 private:
  [[nodiscard]] std::size_t home(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> position_shift) & (slots_.size() - 1);
  }
  [[nodiscard]] std::size_t next(std::size_t index) const noexcept { return (index + 1) & (slots_.size() - 1); }

  void place(const Entry& entry) noexcept {
    std::size_t i = home(entry.hash);
    while (slots_[i].hash != 0) i = next(i);
    slots_[i] = entry;
  }

  void rehash(std::size_t new_capacity) {
    sweep_cursor_ = 0;
    std::vector<Entry> old(new_capacity);
    old.swap(slots_);
    for (const Entry& entry : old) {
      if (entry.hash != 0) place(entry);
    }
  }

  std::vector<Entry> slots_;
  std::size_t size_ = 0;
  std::size_t sweep_cursor_ = 0;
};

}  // namespace reverify::detail
