#pragma once
/// @file
/// Heap blocks for one memory-store shard's packed records, with a few freed blocks kept for
/// reuse. Private to the memory store.
///
/// Why not plain new/delete: a purge frees records that were written long ago and are far out of
/// cache, and glibc's `free` reads the block's header first (its size), so every purged record
/// cost a cache miss on the purge path (about 4 % of a send+verify cycle at a million records,
/// plus more when `free` merged neighbouring chunks). Here a block carries its size class in its
/// address's low bits, in the table entry that points to it, and keeping a freed block only
/// stores that address in the shard: the purge never reads the record.

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define REVERIFY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REVERIFY_ASAN 1
#endif
#endif
#if defined(REVERIFY_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace reverify::detail {

/// A block's address with its size class in the low bits: class `c` in 1..15 is a block of
/// `c * granule - header` bytes that may be kept for reuse, class 0 a larger block sized by the
/// allocator. The `header` allowance keeps a block to exactly one glibc chunk of `c * granule`
/// bytes (glibc's chunks are 16-byte multiples with 8 bytes of their own), so a record takes no
/// more memory than a plain `new` of its size did.
class RecordBlock {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t header = 8;
  static constexpr std::size_t largest_pooled = 15 * granule - header;

  RecordBlock() = default;

  /// Memory for `bytes` bytes, freshly allocated. Throws `std::bad_alloc`.
  [[nodiscard]] static RecordBlock allocate(std::size_t bytes) {
    const std::size_t size_class = class_of(bytes);
    const std::size_t size = size_class == 0 ? bytes : size_of(size_class);
    return RecordBlock(static_cast<char*>(::operator new(size)) + size_class);
  }
  /// The size class a block for `bytes` bytes gets (0: not pooled).
  [[nodiscard]] static constexpr std::size_t class_of(std::size_t bytes) noexcept {
    return bytes <= largest_pooled ? (bytes + header + granule - 1) / granule : 0;
  }
  /// The bytes a block of a pooled class holds.
  [[nodiscard]] static constexpr std::size_t size_of(std::size_t size_class) noexcept {
    return size_class * granule - header;
  }

  [[nodiscard]] void* address() const noexcept { return tagged_ - size_class(); }
  [[nodiscard]] std::size_t size_class() const noexcept {
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(tagged_) & tag_mask);
  }
  /// The bytes a pooled block holds (0 for class 0, whose size only the allocator knows).
  [[nodiscard]] std::size_t pooled_size() const noexcept { return size_class() == 0 ? 0 : size_of(size_class()); }
  [[nodiscard]] bool empty() const noexcept { return tagged_ == nullptr; }

  /// Gives the memory back to the allocator.
  void release() noexcept {
    if (!empty()) ::operator delete(address());
    tagged_ = nullptr;
  }

 private:
  // The classes live in the address's low bits, which the default `operator new` alignment keeps
  // free.
  static constexpr std::uintptr_t tag_mask = granule - 1;
  static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= granule, "size classes live in the low address bits");

  explicit RecordBlock(char* tagged) noexcept : tagged_(tagged) {}
  // The block's address plus its class: still a pointer into the block (a block of class c holds
  // at least c bytes), so the tag needs no integer-to-pointer cast.
  char* tagged_ = nullptr;
};

/// Up to `kept` freed blocks of one shard, for the shard's next records. Not thread-safe: guarded
/// by the shard mutex. Taking a kept block reads only this cache, never the block.
class RecordBlockCache {
 public:
  static constexpr std::size_t kept = 8;  // a shard's purge frees at most 4 records per insert

  RecordBlockCache() = default;
  RecordBlockCache(const RecordBlockCache&) = delete;
  RecordBlockCache& operator=(const RecordBlockCache&) = delete;
  ~RecordBlockCache() {
    for (std::size_t i = 0; i < count_; ++i) {
      mark_kept(blocks_[i], false);
      blocks_[i].release();
    }
  }

  /// A block for `bytes` bytes: a kept one of the right class, else a new one. Throws
  /// `std::bad_alloc`.
  [[nodiscard]] RecordBlock take(std::size_t bytes) {
    const std::size_t at = find(bytes);
    if (at == count_) return RecordBlock::allocate(bytes);
    const RecordBlock block = blocks_[at];
    blocks_[at] = blocks_[--count_];
    mark_kept(block, false);
    return block;
  }

  /// Keeps `block` for reuse when there is room and it is of a pooled class, else frees it.
  void give(RecordBlock block) noexcept {
    if (block.size_class() != 0 && count_ < kept) {
      mark_kept(block, true);
      blocks_[count_++] = block;
    } else {
      block.release();
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return count_; }

 private:
  // Under AddressSanitizer a kept block is poisoned, so a record read after its purge is reported
  // as it would be after a plain `delete`, rather than quietly reading whatever record reuses it.
  static void mark_kept(const RecordBlock& block, bool kept_now) noexcept {
#if defined(REVERIFY_ASAN)
    if (kept_now) {
      ASAN_POISON_MEMORY_REGION(block.address(), block.pooled_size());
    } else {
      ASAN_UNPOISON_MEMORY_REGION(block.address(), block.pooled_size());
    }
#else
    static_cast<void>(block);
    static_cast<void>(kept_now);
#endif
  }

  /// The index of the newest kept block for `bytes` bytes, or `count_` if none.
  [[nodiscard]] std::size_t find(std::size_t bytes) const noexcept {
    const std::size_t size_class = RecordBlock::class_of(bytes);
    if (size_class == 0) return count_;
    for (std::size_t i = count_; i > 0; --i) {
      if (blocks_[i - 1].size_class() == size_class) return i - 1;
    }
    return count_;
  }

  std::array<RecordBlock, kept> blocks_{};
  std::size_t count_ = 0;
};

}  // namespace reverify::detail
