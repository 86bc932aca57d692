#include "reverify/memory_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "memory_store_events.hpp"
#include "memory_store_record.hpp"
#include "memory_store_table.hpp"
#include "record_blocks.hpp"
#include "shard_mutex.hpp"
#include "siphash.hpp"

namespace reverify {
namespace {

using detail::FlatTable;
using detail::PackedRecord;
using detail::table_hash;

constexpr std::size_t max_shards = std::size_t{1} << 12;  // shard bits stay below FlatTable::position_shift
// Inserts and window updates purge a few stale entries as they go. They only remove what was
// already stale this long before the caller's "now", so a caller whose clock lags a little
// never sees a live record or block vanish.
constexpr std::int64_t opportunistic_grace_ms = 60'000;
constexpr std::size_t opportunistic_record_slots = 4;
constexpr std::size_t opportunistic_key_slots = 4;

/// SipHash-1-3 under a random per-store key: keys (user ids, identifiers) are chosen by clients,
/// so an unkeyed hash would let them pile entries into one probe run.
class KeyedHash {
 public:
  KeyedHash() : key_(random_key()) {}
  [[nodiscard]] std::uint64_t operator()(std::string_view bytes) const noexcept {
    return table_hash(key_.hash<1, 3>(bytes));
  }

 private:
  static detail::SipKey random_key() {
    if (sodium_init() < 0) throw std::runtime_error("memory store: libsodium failed to initialise");
    std::array<unsigned char, 16> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    detail::SipKey key(bytes);
    sodium_memzero(bytes.data(), bytes.size());
    return key;
  }
  detail::SipKey key_;
};

struct RecordEntry {
  std::uint64_t hash = 0;       // of the record id
  detail::RecordBlock block;    // holds the packed record; its size class lets a purge keep it unread
  std::int64_t expires_ms = 0;  // a copy of the record's, so purge scans touch only the table

  [[nodiscard]] PackedRecord* record() const noexcept { return static_cast<PackedRecord*>(block.address()); }
};

/// A code slot's current holder, by the hash of its id. The holder's fields are checked before
/// it is retired, so a hash collision can only fail to retire, never retire someone else's. An
/// entry whose holder is gone (cancelled, purged) is harmless: the holder lookup misses. Entries
/// carry the holder's expiry so sweeps drop them without touching the record.
struct SlotEntry {
  std::uint64_t hash = 0;  // of the slot's fields
  std::uint64_t holder = 0;
  std::int64_t expires_ms = 0;
};

/// How many keys of the store carry a block mark (ended or not). Raised when a key is marked and
/// lowered when the mark is cleared, both under the key's shard lock, so reading zero means no key
/// was blocked at that moment: check_code then needs no lock key (see there).
class BlockCount {
 public:
  void raise() noexcept { marks_.fetch_add(1); }
  void lower() noexcept { marks_.fetch_sub(1); }
  [[nodiscard]] bool none() const noexcept { return marks_.load() == 0; }

 private:
  std::atomic<std::size_t> marks_{0};
};

/// Window events and block of one key (they share the key space: `unblock` clears both).
class KeyState {
 public:
  detail::EventLog events;
  std::int64_t window_ms = 0;  // the longest window seen: older events can no longer matter
  std::int64_t block_until = 0;

  [[nodiscard]] bool empty() const noexcept { return events.empty() && !blocked_; }
  [[nodiscard]] bool blocked() const noexcept { return blocked_; }
  [[nodiscard]] bool blocked_at(std::int64_t now_ms) const noexcept { return blocked_ && now_ms < block_until; }
  /// Clears the block mark; every mark is cleared through here (or the store is being destroyed).
  void clear_block(BlockCount& blocks) noexcept {
    if (!blocked_) return;
    blocked_ = false;
    blocks.lower();
  }

  /// Forgets the events that left a `window_ms` window at `now_ms`.
  void forget_before(std::int64_t now_ms, std::int64_t window) {
    window_ms = std::max(window_ms, window);
    events.forget_up_to(now_ms - window);
  }
  /// Counts a failure under `rule`; blocks when it reaches the count.
  FailureResult count_failure(const LockoutRule& rule, std::int64_t now_ms, BlockCount& blocks) {
    forget_before(now_ms, std::max<std::int64_t>(rule.window.count(), 0));
    events.add(now_ms);
    FailureResult result;
    result.failures =
        static_cast<std::uint32_t>(std::min<std::size_t>(events.size(), std::numeric_limits<std::uint32_t>::max()));
    if (result.failures >= rule.failures) {
      const std::int64_t until = now_ms + rule.duration.count();
      if (blocked_) {
        block_until = std::max(block_until, until);
      } else {
        blocks.raise();
        blocked_ = true;
        block_until = until;
      }
      result.blocked_until = from_unix_ms(block_until);
    }
    return result;
  }
  [[nodiscard]] bool stale_at(std::int64_t now_ms) const noexcept {
    const bool events_stale = events.empty() || events.back() <= now_ms - window_ms;
    return events_stale && (!blocked_ || block_until <= now_ms);
  }

 private:
  bool blocked_ = false;
};

/// A window/block key and its state, owned by a `KeyTable`. The key's bytes follow the node in
/// the same allocation, so a lookup reads one cold block, not two.
class KeyNode {
 public:
  struct Deleter {
    void operator()(KeyNode* node) const noexcept {
      node->~KeyNode();
      ::operator delete(static_cast<void*>(node));
    }
  };
  using Ptr = std::unique_ptr<KeyNode, Deleter>;

  static Ptr create(std::string_view key) {
    void* memory = ::operator new(sizeof(KeyNode) + key.size());
    Ptr node(new (memory) KeyNode(key.size()));
    if (!key.empty()) std::memcpy(reinterpret_cast<char*>(node.get() + 1), key.data(), key.size());
    return node;
  }
  [[nodiscard]] std::string_view key() const noexcept { return {reinterpret_cast<const char*>(this + 1), key_size_}; }

  KeyState state;

 private:
  explicit KeyNode(std::size_t key_size) noexcept : key_size_(key_size) {}
  std::size_t key_size_;
};

struct KeyEntry {
  std::uint64_t hash = 0;  // of the key
  KeyNode* node = nullptr;
};

/// Owns the keys of one shard, indexed by the hash the shard was chosen with (no second hash,
/// no temporary string per lookup).
class KeyTable {
 public:
  KeyTable() = default;
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;
  ~KeyTable() {
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
      if (table_.occupied(i)) KeyNode::Deleter{}(table_.at(i).node);
    }
  }

  [[nodiscard]] KeyState* find(std::uint64_t hash, std::string_view key) noexcept {
    KeyEntry* entry = table_.find(hash, [key](const KeyEntry& e) { return e.node->key() == key; });
    return entry == nullptr ? nullptr : &entry->node->state;
  }

  /// The state of `key`, created empty if absent; `created` says which.
  KeyState& find_or_create(std::uint64_t hash, std::string_view key, bool& created) {
    created = false;
    if (KeyState* state = find(hash, key); state != nullptr) return *state;
    KeyNode::Ptr node = KeyNode::create(key);
    KeyNode* raw = node.get();
    table_.insert(KeyEntry{hash, raw});
    static_cast<void>(node.release());  // owned by the table from here on
    created = true;
    return raw->state;
  }

  void erase(std::uint64_t hash, std::string_view key, BlockCount& blocks) noexcept {
    KeyEntry* entry = table_.find(hash, [key](const KeyEntry& e) { return e.node->key() == key; });
    if (entry == nullptr) return;
    KeyNode* node = entry->node;
    node->state.clear_block(blocks);
    table_.erase_at(table_.index_of(entry));
    KeyNode::Deleter{}(node);
  }

  /// Trims up to `slots` keys from where the previous sweep stopped: `visit(state, room)` trims a
  /// key's state and returns how many items it deleted; keys left empty are erased. Stops once
  /// `budget` items are deleted.
  template <class Visit>
  std::size_t sweep(std::size_t slots, std::size_t budget, Visit&& visit) {
    using Swept = FlatTable<KeyEntry>::Swept;
    return table_.sweep(slots, budget, [&visit](KeyEntry& entry, std::size_t room) {
      const std::size_t deleted = visit(entry.node->state, room);
      if (!entry.node->state.empty()) return Swept{deleted, false};
      KeyNode::Deleter{}(entry.node);
      return Swept{deleted, true};
    });
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return table_.capacity(); }
  void shrink_if_sparse() { table_.shrink_if_sparse(); }
  /// Starts loading the table slot `hash` probes first (called under the shard lock).
  void prefetch(std::uint64_t hash) const noexcept { table_.prefetch(hash); }
  /// Starts loading the node of the first key with this hash (nearly always the one wanted).
  void prefetch_node(std::uint64_t hash) noexcept {
    const KeyEntry* entry = table_.first(hash);
    if (entry != nullptr) detail::prefetch_address(entry->node);
  }

 private:
  FlatTable<KeyEntry> table_;
};

/// A record packed into a block but not in a table yet. Frees the block unless a table takes it;
/// that needs no lock, as it bypasses the shard's block cache.
class PendingRecord {
 public:
  PendingRecord() = default;
  explicit PendingRecord(detail::RecordBlock block) noexcept : block_(block) {}
  PendingRecord(const PendingRecord&) = delete;
  PendingRecord& operator=(const PendingRecord&) = delete;
  PendingRecord(PendingRecord&& other) noexcept : block_(std::exchange(other.block_, {})) {}
  PendingRecord& operator=(PendingRecord&& other) noexcept {
    if (this != &other) {
      block_.release();
      block_ = std::exchange(other.block_, {});
    }
    return *this;
  }
  ~PendingRecord() { block_.release(); }

  [[nodiscard]] bool empty() const noexcept { return block_.empty(); }
  [[nodiscard]] const detail::RecordBlock& block() const noexcept { return block_; }
  [[nodiscard]] const PackedRecord& record() const noexcept {
    return *static_cast<const PackedRecord*>(block_.address());
  }
  /// Hands the block over; this object is empty afterwards.
  detail::RecordBlock take() noexcept { return std::exchange(block_, {}); }

 private:
  detail::RecordBlock block_;
};

/// Owns the packed records of one shard and the memory they live in.
class RecordTable {
 public:
  RecordTable() = default;
  RecordTable(const RecordTable&) = delete;
  RecordTable& operator=(const RecordTable&) = delete;
  ~RecordTable() {
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
      if (table_.occupied(i)) table_.at(i).block.release();
    }
  }

  [[nodiscard]] PackedRecord* find(std::uint64_t hash, std::string_view id) noexcept {
    RecordEntry* entry = table_.find(hash, [id](const RecordEntry& e) { return e.record()->id() == id; });
    return entry == nullptr ? nullptr : entry->record();
  }

  /// The record whose id hashes to `hash` and that holds the same slot as `record`.
  [[nodiscard]] PackedRecord* find_slot_holder(std::uint64_t hash, const VerificationRecord& record) noexcept {
    RecordEntry* entry = table_.find(hash, [&record](const RecordEntry& e) { return e.record()->same_slot(record); });
    return entry == nullptr ? nullptr : entry->record();
  }

  /// Deletes the record with this id, if present.
  void erase(std::uint64_t hash, std::string_view id) noexcept {
    RecordEntry* entry = table_.find(hash, [id](const RecordEntry& e) { return e.record()->id() == id; });
    if (entry == nullptr) return;
    const detail::RecordBlock block = entry->block;
    table_.erase_at(table_.index_of(entry));
    blocks_.give(block);
  }

  /// Packs `record` (`bytes` long, from `PackedRecord::packed_size`) into a block of this shard.
  /// Throws `std::bad_alloc`.
  [[nodiscard]] PendingRecord pack(const VerificationRecord& record, std::size_t bytes) {
    PendingRecord pending(blocks_.take(bytes));
    PackedRecord::pack_into(pending.block().address(), record);
    return pending;
  }

  /// Takes `record` into the table. Throws `std::bad_alloc`, leaving `record` with the caller.
  void insert(std::uint64_t hash, PendingRecord& record) {
    table_.insert(RecordEntry{hash, record.block(), record.record().expires_ms()});
    static_cast<void>(record.take());  // owned by the table from here on
  }

  [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }

  /// Deletes up to `budget` records expired at `now_ms`, looking at no more than `slots` table
  /// slots from where the previous scan stopped.
  std::size_t purge(std::int64_t now_ms, std::size_t slots, std::size_t budget) {
    using Swept = FlatTable<RecordEntry>::Swept;
    return table_.sweep(slots, budget, [this, now_ms](RecordEntry& entry, std::size_t) {
      if (entry.expires_ms > now_ms) return Swept{};
      blocks_.give(entry.block);
      return Swept{1, true};
    });
  }

  /// Starts loading the table slot `hash` probes first (called under the shard lock).
  void prefetch(std::uint64_t hash) const noexcept { table_.prefetch(hash); }
  void prefetch_sweep() const noexcept { table_.prefetch_sweep(); }
  /// Starts loading the first record with this id hash.
  void prefetch_record(std::uint64_t hash) noexcept {
    const RecordEntry* entry = table_.first(hash);
    if (entry != nullptr) detail::prefetch_address(entry->record());
  }

  void shrink_if_sparse() { table_.shrink_if_sparse(); }

 private:
  FlatTable<RecordEntry> table_;
  detail::RecordBlockCache blocks_;
};

struct alignas(64) Shard {
  detail::ShardMutex mutex;
  RecordTable records;
  FlatTable<SlotEntry> slots;
  KeyTable keys;
};

std::size_t round_shards(std::size_t wanted) {
  std::size_t shards = 1;
  while (shards < wanted && shards < max_shards) shards *= 2;
  return shards;
}

std::int64_t to_ms(std::chrono::milliseconds d) noexcept { return d.count(); }

}  // namespace

struct MemoryStore::Impl {
  explicit Impl(std::size_t wanted) : mask(round_shards(wanted) - 1) {
    shards.reserve(mask + 1);
    for (std::size_t i = 0; i <= mask; ++i) shards.push_back(std::make_unique<Shard>());
  }

  [[nodiscard]] std::size_t shard_index(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h) & mask; }
  [[nodiscard]] Shard& shard(std::uint64_t h) noexcept { return *shards[shard_index(h)]; }

  /// The hash of the code slot `r` holds: user id, kind, identifier key, template.
  [[nodiscard]] std::uint64_t slot_hash(const VerificationRecord& r) const {
    // Length-prefixed so that no two field tuples share an encoding; on the stack when it fits.
    const std::string_view user_id = r.user_id;
    const std::string_view key = r.identifier_key;
    const std::size_t size = 4 + user_id.size() + 2 + 4 + key.size();
    std::array<char, 512> local;  // NOLINT(cppcoreguidelines-pro-type-member-init): only the written prefix is read
    std::string heap;
    char* bytes = local.data();
    if (size > local.size()) {
      heap.resize(size);
      bytes = heap.data();
    }
    std::size_t at = 0;
    const auto put_length = [&](std::size_t n) {
      for (int i = 0; i < 4; ++i) bytes[at++] = static_cast<char>((n >> (8 * i)) & 0xff);
    };
    const auto put = [&](std::string_view s) {
      std::copy(s.begin(), s.end(), bytes + at);
      at += s.size();
    };
    put_length(user_id.size());
    put(user_id);
    bytes[at++] = static_cast<char>(r.kind);
    bytes[at++] = static_cast<char>(r.template_type);
    put_length(key.size());
    put(key);
    return hash(std::string_view(bytes, at));
  }

  /// Drops up to `budget` slot entries of a locked shard whose holder expired at `now_ms`, looking
  /// at no more than `slots` table slots.
  static void purge_slots(Shard& s, std::int64_t now_ms, std::size_t slots, std::size_t budget) {
    using Swept = FlatTable<SlotEntry>::Swept;
    s.slots.sweep(slots, budget, [now_ms](const SlotEntry& entry, std::size_t) {
      return entry.expires_ms > now_ms ? Swept{} : Swept{1, true};
    });
  }

  /// The opportunistic cleanup of a locked shard after an insert: a few expired records and slot
  /// entries, and only what expired well before `now_ms` (see opportunistic_grace_ms).
  static void purge_some(Shard& s, std::int64_t now_ms) {
    const std::int64_t stale_at = now_ms - opportunistic_grace_ms;
    s.records.purge(stale_at, opportunistic_record_slots, opportunistic_record_slots);
    purge_slots(s, stale_at, opportunistic_record_slots, opportunistic_record_slots);
  }

  /// Looks at a few slots of a locked shard's keys and erases keys with nothing left that matters.
  void purge_some_keys(Shard& s, std::int64_t now_ms) {
    const std::int64_t stale_at = now_ms - opportunistic_grace_ms;
    s.keys.sweep(opportunistic_key_slots, opportunistic_key_slots, [this, stale_at](KeyState& state, std::size_t) {
      if (state.stale_at(stale_at)) {
        state.clear_block(blocks);
        state = KeyState{};
      }
      return std::size_t{0};
    });
  }

  /// Deletes stale window events and ended blocks of a locked shard, at most `budget` of them.
  std::size_t purge_keys(Shard& s, std::int64_t now_ms, std::size_t budget) {
    return s.keys.sweep(s.keys.capacity(), budget, [this, now_ms](KeyState& state, std::size_t room) {
      std::size_t deleted = state.events.forget_up_to(now_ms - state.window_ms, room);
      if (deleted < room && state.blocked() && state.block_until <= now_ms) {
        state.clear_block(blocks);
        ++deleted;
      }
      state.events.release_memory();
      return deleted;
    });
  }

  KeyedHash hash;
  std::size_t mask;
  std::vector<std::unique_ptr<Shard>> shards;
  BlockCount blocks;  // read by every check_code; written only when a key is marked or cleared
  std::atomic<std::size_t> purge_start{0};
};

namespace {

/// Locks up to four shards. Every wait for a shard happens in ascending index order (the shards
/// known up front are locked sorted; a later one only waits if it is above all held), so two
/// operations can never deadlock; anything else is only tried.
class ShardLocks {
 public:
  /// Adds a shard to lock (at most four), keeping the list sorted and free of duplicates.
  void add(std::size_t index) {
    std::size_t at = count_;
    while (at > 0 && indices_[at - 1] > index) --at;
    if (at > 0 && indices_[at - 1] == index) return;
    for (std::size_t i = count_; i > at; --i) indices_[i] = indices_[i - 1];
    indices_[at] = index;
    ++count_;
  }
  [[nodiscard]] std::size_t max_held() const noexcept {
    return *std::max_element(indices_.begin(), indices_.begin() + static_cast<std::ptrdiff_t>(count_));
  }
  [[nodiscard]] bool holds(std::size_t index) const noexcept {
    return std::find(indices_.begin(), indices_.begin() + static_cast<std::ptrdiff_t>(count_), index) !=
           indices_.begin() + static_cast<std::ptrdiff_t>(count_);
  }
  void lock(std::vector<std::unique_ptr<Shard>>& shards) {
    for (std::size_t i = 0; i < count_; ++i)
      locks_[i] = std::unique_lock<detail::ShardMutex>(shards[indices_[i]]->mutex);
  }
  /// After `lock`: also locks `index` if that keeps the order (it is above every held shard) or
  /// the shard is free right now (`try_lock` never waits, so it cannot deadlock). False when
  /// neither: the caller starts over with `index` in its list.
  bool lock_more(std::size_t index, std::vector<std::unique_ptr<Shard>>& shards) {
    if (holds(index)) return true;
    if (count_ == indices_.size()) return false;
    std::unique_lock<detail::ShardMutex> lock(shards[index]->mutex, std::defer_lock);
    const bool in_order = count_ == 0 || index > max_held();
    if (in_order) {
      lock.lock();
    } else if (!lock.try_lock()) {
      return false;
    }
    indices_[count_] = index;
    locks_[count_] = std::move(lock);
    ++count_;
    return true;
  }

 private:
  std::array<std::size_t, 4> indices_{};
  std::array<std::unique_lock<detail::ShardMutex>, 4> locks_;
  std::size_t count_ = 0;
};

bool live_record(const PackedRecord* record, std::int64_t now_ms) noexcept {
  return record != nullptr && record->live_at(now_ms) && !record->retired();
}

}  // namespace

MemoryStore::MemoryStore(std::size_t shards) : impl_(std::make_unique<Impl>(shards)) {}

MemoryStore::~MemoryStore() = default;

Result<bool> MemoryStore::insert(const VerificationRecord& record) {
  const auto bytes = PackedRecord::packed_size(record);
  if (!bytes) return fail(bytes.error());
  Impl& impl = *impl_;
  const std::uint64_t id_hash = impl.hash(record.id);
  Shard& home = impl.shard(id_hash);
  const std::lock_guard<detail::ShardMutex> lock(home.mutex);
  if (home.records.find(id_hash, record.id) != nullptr) return false;
  PendingRecord packed = home.records.pack(record, *bytes);
  home.records.insert(id_hash, packed);
  Impl::purge_some(home, to_unix_ms(record.created_at));
  return true;
}

Result<OpenResult> MemoryStore::open_code(const VerificationRecord& record, const SendLimit& limit,
                                          bool retire_previous, Timestamp now) {
  Impl& impl = *impl_;
  const std::int64_t now_ms = to_unix_ms(now);
  const std::int64_t expires_ms = to_unix_ms(record.expires_at);
  const std::uint64_t id_hash = impl.hash(record.id);
  const std::uint64_t key_hash = impl.hash(limit.key);
  const bool retires = retire_previous && record.is_code();
  const std::uint64_t slot_hash = retires ? impl.slot_hash(record) : 0;
  const auto bytes = PackedRecord::packed_size(record);
  if (!bytes) return fail(bytes.error());
  PendingRecord packed;
  OpenResult result;

  // The record, the send key, the slot entry and the previous holder may live in four shards; all
  // are locked for the whole step. The holder is only known once the slot's shard is locked: its
  // shard is then locked too if that cannot deadlock (see ShardLocks::lock_more), else the step
  // starts over holding all four in order.
  std::uint64_t expected_holder = 0;
  for (;;) {
    ShardLocks locks;
    locks.add(impl.shard_index(id_hash));
    locks.add(impl.shard_index(key_hash));
    if (retires) locks.add(impl.shard_index(slot_hash));
    if (expected_holder != 0) locks.add(impl.shard_index(expected_holder));
    locks.lock(impl.shards);

    // In a large store each lookup below misses the cache, and three of them are chains (key
    // slot -> node -> events; slot entry -> holder slot -> holder record). Each hop's load is
    // started as soon as its address is known, so the chains overlap instead of queueing.
    Shard& home = impl.shard(id_hash);
    Shard& key_shard = impl.shard(key_hash);
    if (retires) impl.shard(slot_hash).slots.prefetch(slot_hash);
    home.records.prefetch(id_hash);
    home.records.prefetch_sweep();
    key_shard.keys.prefetch(key_hash);
    // The previous holder is two dependent loads (its table slot, then its record); the first is
    // started before packing the new record, so that packing covers it. That means reading the
    // slot entry before packing, right after its prefetch: a stall only when the slot table
    // itself is cold, and one load instead of a chain of three.
    SlotEntry* entry = nullptr;
    std::uint64_t holder = 0;
    if (retires) {
      entry = impl.shard(slot_hash).slots.first(slot_hash);
      holder = entry == nullptr ? 0 : entry->holder;
      if (holder != 0 && !locks.lock_more(impl.shard_index(holder), impl.shards)) {
        expected_holder = holder;
        continue;
      }
      if (holder != 0) impl.shard(holder).records.prefetch(holder);
    }
    if (packed.empty()) packed = home.records.pack(record, *bytes);
    key_shard.keys.prefetch_node(key_hash);
    if (holder != 0) impl.shard(holder).records.prefetch_record(holder);

    if (home.records.find(id_hash, record.id) != nullptr) return result;  // id_taken

    bool created = false;
    KeyState& state = key_shard.keys.find_or_create(key_hash, limit.key, created);
    state.events.prefetch_front();
    // Only found here; retired below once the send is known to count.
    PackedRecord* previous = holder == 0 ? nullptr : impl.shard(holder).records.find_slot_holder(holder, record);

    state.forget_before(now_ms, std::max<std::int64_t>(to_ms(limit.window), 0));
    if (state.events.size() >= limit.limit) {
      result.status = OpenStatus::rate_limited;
    } else {
      state.events.add(now_ms);
      result.status = OpenStatus::opened;
    }
    result.sends = static_cast<std::uint32_t>(state.events.size());
    if (!state.events.empty()) result.oldest = from_unix_ms(state.events.front());
    if (state.empty()) {
      key_shard.keys.erase(key_hash, limit.key, impl.blocks);
    } else if (created) {
      impl.purge_some_keys(key_shard, now_ms);  // new keys grow the map; let them pay for a little cleanup
    }
    if (result.status != OpenStatus::opened) return result;

    if (previous != nullptr && !previous->verified()) previous->set_retired();
    home.records.insert(id_hash, packed);
    if (retires) {
      if (entry != nullptr) {
        *entry = SlotEntry{slot_hash, id_hash, expires_ms};
      } else {
        impl.shard(slot_hash).slots.insert(SlotEntry{slot_hash, id_hash, expires_ms});
      }
    }
    Impl::purge_some(home, to_unix_ms(record.created_at));
    return result;
  }
}

Result<void> MemoryStore::cancel_code(std::string_view id, std::string_view send_key, Timestamp at) {
  Impl& impl = *impl_;
  const std::uint64_t id_hash = impl.hash(id);
  const std::uint64_t key_hash = impl.hash(send_key);
  ShardLocks locks;
  locks.add(impl.shard_index(id_hash));
  locks.add(impl.shard_index(key_hash));
  locks.lock(impl.shards);
  impl.shard(id_hash).records.erase(id_hash, id);  // its slot entry now names no one: harmless
  Shard& key_shard = impl.shard(key_hash);
  if (KeyState* state = key_shard.keys.find(key_hash, send_key); state != nullptr) {
    state->events.remove(to_unix_ms(at));
    if (state->empty()) key_shard.keys.erase(key_hash, send_key, impl.blocks);
  }
  return {};
}

Result<std::optional<VerificationRecord>> MemoryStore::find(std::string_view id, Timestamp now) {
  const std::uint64_t id_hash = impl_->hash(id);
  Shard& s = impl_->shard(id_hash);
  const std::lock_guard<detail::ShardMutex> lock(s.mutex);
  const PackedRecord* record = s.records.find(id_hash, id);
  if (record == nullptr || !record->live_at(to_unix_ms(now))) return std::optional<VerificationRecord>();
  return std::optional<VerificationRecord>(record->unpack());
}

namespace {

/// The refusals that need only the record, in Logto's order (missing or not the caller's, already
/// verified, other identifier, code expired), with `result.attempts` filled in; none if the
/// code may be tried.
std::optional<CheckStatus> record_refusal(const PackedRecord* record, const CodeCheck& check, std::int64_t now_ms,
                                          CheckResult& result) noexcept {
  if (!live_record(record, now_ms) || record->user_id() != check.user_id || record->kind() != check.kind) {
    return CheckStatus::not_found;
  }
  result.attempts = record->attempts();
  if (record->verified()) return CheckStatus::already_verified;
  if (record->identifier_key() != check.identifier_key) return CheckStatus::identifier_mismatch;
  if (now_ms > record->code_expires_ms()) return CheckStatus::code_expired;
  return std::nullopt;
}

const OfferedDigest* offered_for(const CodeCheck& check, std::uint32_t pepper_id) noexcept {
  const auto offered = std::find_if(check.offered.begin(), check.offered.end(),
                                    [pepper_id](const OfferedDigest& o) { return o.pepper_id == pepper_id; });
  return offered == check.offered.end() ? nullptr : &*offered;
}

}  // namespace

Result<CheckResult> MemoryStore::check_code(const CodeCheck& check) {
  Impl& impl = *impl_;
  const std::int64_t now_ms = to_unix_ms(check.now);
  const std::uint64_t id_hash = impl.hash(check.record_id);

  // Fast path, under the record's shard lock alone: when no key of the store is blocked (read
  // while that lock is held, so at that moment the lock key is not blocked either) and the code
  // is right, nothing but the record changes. A refusal that comes before the block check needs
  // only the record as well. Anything that would count a failure takes the full step below.
  {
    Shard& home = impl.shard(id_hash);
    const std::lock_guard<detail::ShardMutex> lock(home.mutex);
    CheckResult result;
    PackedRecord* record = home.records.find(id_hash, check.record_id);
    if (const auto refused = record_refusal(record, check, now_ms, result)) {
      result.status = *refused;
      return result;
    }
    if (impl.blocks.none() && record->attempts() < check.max_attempts) {
      const OfferedDigest* offered = offered_for(check, record->pepper_id());
      if (offered == nullptr) {
        result.status = CheckStatus::unknown_pepper;
        return result;
      }
      if (record->code_digest_equals(offered->digest)) {
        record->set_attempts(record->attempts() + 1);
        record->set_verified();
        result.attempts = record->attempts();
        result.status = CheckStatus::verified;
        return result;
      }
    }
  }

  const std::uint64_t key_hash = impl.hash(check.lockout.key);
  ShardLocks locks;
  locks.add(impl.shard_index(id_hash));
  locks.add(impl.shard_index(key_hash));
  locks.lock(impl.shards);

  CheckResult result;
  PackedRecord* record = impl.shard(id_hash).records.find(id_hash, check.record_id);
  if (const auto refused = record_refusal(record, check, now_ms, result)) {
    result.status = *refused;
    return result;
  }
  Shard& key_shard = impl.shard(key_hash);
  const KeyState* key = key_shard.keys.find(key_hash, check.lockout.key);
  if (key != nullptr && key->blocked_at(now_ms)) {
    result.status = CheckStatus::blocked;
    result.blocked_until = from_unix_ms(key->block_until);
    return result;
  }
  const auto count_failure = [&] {
    bool created = false;
    KeyState& state = key_shard.keys.find_or_create(key_hash, check.lockout.key, created);
    const FailureResult failure = state.count_failure(check.lockout, now_ms, impl.blocks);
    result.failures = failure.failures;
    result.blocked_until = failure.blocked_until;
  };
  if (record->attempts() >= check.max_attempts) {
    result.status = CheckStatus::exhausted;
    count_failure();
    return result;
  }
  const OfferedDigest* offered = offered_for(check, record->pepper_id());
  if (offered == nullptr) {
    result.status = CheckStatus::unknown_pepper;
    return result;
  }
  record->set_attempts(record->attempts() + 1);
  result.attempts = record->attempts();
  if (record->code_digest_equals(offered->digest)) {
    record->set_verified();
    result.status = CheckStatus::verified;
  } else {
    result.status = CheckStatus::mismatch;
    count_failure();
  }
  return result;
}

Result<bool> MemoryStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  const std::uint64_t id_hash = impl_->hash(id);
  Shard& s = impl_->shard(id_hash);
  const std::lock_guard<detail::ShardMutex> lock(s.mutex);
  PackedRecord* record = s.records.find(id_hash, id);
  if (!live_record(record, to_unix_ms(now)) || !record->verified()) return false;
  if (max_uses != 0 && record->use_count() >= max_uses) return false;
  if (record->use_count() == std::numeric_limits<std::uint32_t>::max()) return false;
  record->set_use_count(record->use_count() + 1);
  return true;
}

Result<FailureResult> MemoryStore::count_failure(const LockoutRule& rule, Timestamp now) {
  const std::uint64_t key_hash = impl_->hash(rule.key);
  Shard& s = impl_->shard(key_hash);
  const std::lock_guard<detail::ShardMutex> lock(s.mutex);
  bool created = false;
  const FailureResult result =
      s.keys.find_or_create(key_hash, rule.key, created).count_failure(rule, to_unix_ms(now), impl_->blocks);
  if (created) impl_->purge_some_keys(s, to_unix_ms(now));
  return result;
}

Result<std::optional<Timestamp>> MemoryStore::blocked_until(std::string_view key, Timestamp now) {
  const std::uint64_t key_hash = impl_->hash(key);
  Shard& s = impl_->shard(key_hash);
  const std::lock_guard<detail::ShardMutex> lock(s.mutex);
  const KeyState* state = s.keys.find(key_hash, key);
  if (state == nullptr || !state->blocked_at(to_unix_ms(now))) return std::optional<Timestamp>();
  return std::optional<Timestamp>(from_unix_ms(state->block_until));
}

Result<void> MemoryStore::unblock(std::string_view key) {
  const std::uint64_t key_hash = impl_->hash(key);
  Shard& s = impl_->shard(key_hash);
  const std::lock_guard<detail::ShardMutex> lock(s.mutex);
  s.keys.erase(key_hash, key, impl_->blocks);
  return {};
}

Result<std::size_t> MemoryStore::purge_expired(Timestamp now, std::size_t limit) {
  Impl& impl = *impl_;
  const std::int64_t now_ms = to_unix_ms(now);
  std::size_t deleted = 0;
  // Start at a different shard each call so that bounded calls share the work out evenly.
  const std::size_t start = impl.purge_start.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i <= impl.mask && deleted < limit; ++i) {
    Shard& s = *impl.shards[(start + i) & impl.mask];
    const std::lock_guard<detail::ShardMutex> lock(s.mutex);
    deleted += s.records.purge(now_ms, std::numeric_limits<std::size_t>::max(), limit - deleted);
    deleted += impl.purge_keys(s, now_ms, limit - deleted);
    // Slot entries are index entries, not records: dropped with their holders, not counted.
    Impl::purge_slots(s, now_ms, std::numeric_limits<std::size_t>::max(), std::numeric_limits<std::size_t>::max());
    s.records.shrink_if_sparse();
    s.slots.shrink_if_sparse();
    s.keys.shrink_if_sparse();
  }
  return deleted;
}

std::size_t MemoryStore::record_count() const {
  std::size_t count = 0;
  for (const auto& s : impl_->shards) {
    const std::lock_guard<detail::ShardMutex> lock(s->mutex);
    count += s->records.size();
  }
  return count;
}

}  // namespace reverify
