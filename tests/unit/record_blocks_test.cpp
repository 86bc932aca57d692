#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "record_blocks.hpp"

using reverify::detail::RecordBlock;
using reverify::detail::RecordBlockCache;

TEST_CASE("record blocks come in classes of one 16-byte-multiple glibc chunk each, up to 232 bytes") {
  // A block of class c holds 16c - 8 bytes: glibc's chunk of 16c bytes keeps 8 for its header.
  CHECK(RecordBlock::class_of(1) == 1);
  CHECK(RecordBlock::class_of(8) == 1);
  CHECK(RecordBlock::class_of(9) == 2);
  CHECK(RecordBlock::class_of(131) == 9);  // a typical email code record: a 144-byte chunk, as with new
  CHECK(RecordBlock::class_of(136) == 9);
  CHECK(RecordBlock::class_of(137) == 10);
  CHECK(RecordBlock::class_of(232) == 15);
  CHECK(RecordBlock::class_of(233) == 0);  // larger records go to the allocator as they are
  CHECK(RecordBlock::class_of(65'000) == 0);
  CHECK(RecordBlock::size_of(9) == 136);

  RecordBlock small = RecordBlock::allocate(131);
  CHECK(small.size_class() == 9);
  CHECK(small.pooled_size() == 136);
  CHECK(reinterpret_cast<std::uintptr_t>(small.address()) % RecordBlock::granule == 0);
  RecordBlock large = RecordBlock::allocate(4000);
  CHECK(large.size_class() == 0);
  small.release();
  large.release();
  CHECK(small.empty());
  CHECK(large.empty());
}

TEST_CASE("a record block cache reuses a freed block of the same class, newest first") {
  RecordBlockCache cache;
  const RecordBlock first = cache.take(131);
  const RecordBlock second = cache.take(136);  // same class (136 bytes)
  REQUIRE(first.address() != second.address());
  cache.give(first);
  cache.give(second);
  CHECK(cache.size() == 2);

  const RecordBlock reused = cache.take(129);
  CHECK(reused.address() == second.address());
  CHECK(reused.size_class() == 9);
  CHECK(cache.size() == 1);

  // Another class does not take a kept block: the record would not fit, or waste it.
  RecordBlock other = cache.take(100);
  CHECK(other.address() != first.address());
  CHECK(other.size_class() == 7);
  CHECK(cache.size() == 1);
  RecordBlock oldest = cache.take(131);
  CHECK(oldest.address() == first.address());
  CHECK(cache.size() == 0);

  other.release();
  oldest.release();
  RecordBlock newest = reused;
  newest.release();
}

TEST_CASE("a record block cache keeps at most a few blocks and never large ones") {
  RecordBlockCache cache;
  std::vector<RecordBlock> blocks;
  for (std::size_t i = 0; i < RecordBlockCache::kept + 3; ++i) blocks.push_back(cache.take(64));
  for (const RecordBlock& block : blocks) cache.give(block);  // the extra three go to the allocator
  CHECK(cache.size() == RecordBlockCache::kept);

  cache.give(RecordBlock::allocate(1000));  // class 0: freed at once
  CHECK(cache.size() == RecordBlockCache::kept);
  // The cache frees what it still keeps when it goes (the sanitizer builds check nothing leaks).
}

#if defined(REVERIFY_ASAN)
TEST_CASE("under AddressSanitizer a kept block is poisoned until it is taken again") {
  RecordBlockCache cache;
  const RecordBlock block = cache.take(131);
  // Its address is read before `give`: clang's analyzer cannot tell that `give` keeps this block
  // rather than freeing it, and would call each later read a use after free.
  const char* const kept_at = static_cast<const char*>(block.address());
  CHECK_FALSE(__asan_address_is_poisoned(kept_at));
  cache.give(block);
  CHECK(__asan_address_is_poisoned(kept_at));
  CHECK(__asan_address_is_poisoned(kept_at + 135));
  RecordBlock again = cache.take(131);
  REQUIRE(again.address() == kept_at);
  CHECK_FALSE(__asan_address_is_poisoned(again.address()));
  CHECK_FALSE(__asan_address_is_poisoned(static_cast<const char*>(again.address()) + 135));
  again.release();
}
#endif
