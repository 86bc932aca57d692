#include <catch2/catch.hpp>

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>

#include "reverify/secret_string.hpp"

using reverify::SecretString;

// NOLINTBEGIN(cert-dcl58-cpp,misc-new-delete-overloads): replaced for the heap-wipe test below
void* operator new[](std::size_t size) {
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;  // NOLINT(cppcoreguidelines-no-malloc)
  throw std::bad_alloc();
}
// NOLINTEND(cert-dcl58-cpp,misc-new-delete-overloads)

namespace {
template <class T, class = void>
struct IsStreamable : std::false_type {};
template <class T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
// A secret longer than SecretString::inline_capacity lives in a `new char[]` block. This binary's
// array new/delete go through malloc, and delete[] looks into each block before freeing it while a
// test watches for a secret.
thread_local std::string_view watched_secret;
thread_local int blocks_freed = 0;
thread_local int blocks_freed_holding_secret = 0;

void inspect_before_free(void* block) noexcept {
  if (block == nullptr || watched_secret.empty()) return;
  ++blocks_freed;
  const auto* begin = static_cast<const char*>(block);
  const auto* end = begin + malloc_usable_size(block);
  if (std::search(begin, end, watched_secret.begin(), watched_secret.end()) != end) ++blocks_freed_holding_secret;
}

/// Watches array blocks freed while it lives for `secret`.
class WatchFreedBlocks {
 public:
  explicit WatchFreedBlocks(std::string_view secret) {
    watched_secret = secret;
    blocks_freed = 0;
    blocks_freed_holding_secret = 0;
  }
  ~WatchFreedBlocks() { watched_secret = {}; }
  WatchFreedBlocks(const WatchFreedBlocks&) = delete;
  WatchFreedBlocks& operator=(const WatchFreedBlocks&) = delete;
};

/// Whether the bytes of `object` (its object representation) contain `secret`.
template <class T>
bool bytes_contain(const T& object, std::string_view secret) {
  const auto* begin = reinterpret_cast<const char*>(&object);
  const auto* end = begin + sizeof(T);
  return std::search(begin, end, secret.begin(), secret.end()) != end;
}
}  // namespace

TEST_CASE("a secret string cannot be streamed") { STATIC_REQUIRE_FALSE(IsStreamable<SecretString>::value); }

TEST_CASE("a secret string holds and reveals its value") {
  const SecretString s("hunter2");
  CHECK(s.reveal() == "hunter2");
  CHECK(s.size() == 7);
  CHECK_FALSE(s.empty());
}

TEST_CASE("moving leaves the source empty") {
  SecretString a("correct horse battery staple");
  SecretString b(std::move(a));
  CHECK(b.reveal() == "correct horse battery staple");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is what we test
  SecretString c("short");
  SecretString d;
  d = std::move(c);
  CHECK(d.reveal() == "short");
  CHECK(c.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("taking a std::string wipes the original") {
  std::string original = "123456";
  const SecretString s(std::move(original));
  CHECK(s.reveal() == "123456");
  CHECK(original.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("clear empties") {
  SecretString s("x");
  s.clear();
  CHECK(s.empty());
}

TEST_CASE("secrets inline and on the heap survive copies, moves and reassignment") {
  const std::string long_secret(SecretString::inline_capacity + 20, 'k');
  for (const std::string& value :
       {std::string("246810"), long_secret, std::string(SecretString::inline_capacity, 'i')}) {
    SecretString a(value);
    SecretString copy(a);
    CHECK(copy.reveal() == value);
    SecretString moved(std::move(copy));
    CHECK(moved.reveal() == value);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move)
    SecretString assigned("previous");
    assigned = moved;
    CHECK(assigned.reveal() == value);
    assigned = SecretString("after");
    CHECK(assigned.reveal() == "after");
    assigned = std::move(moved);
    CHECK(assigned.reveal() == value);
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
    auto& self = assigned;
    assigned = self;
    CHECK(assigned.reveal() == value);
  }
}

// Codes and short passwords live inside the object: its own bytes must not keep them once it is
// moved from, cleared or destroyed.
TEST_CASE("an inline secret's bytes are wiped when moved from, cleared or destroyed") {
  const std::string code = "918273";
  SecretString source(code);
  REQUIRE(bytes_contain(source, code));
  SecretString target(std::move(source));
  CHECK_FALSE(bytes_contain(source, code));  // NOLINT(bugprone-use-after-move)
  CHECK(bytes_contain(target, code));

  SecretString assigned;
  assigned = std::move(target);
  CHECK_FALSE(bytes_contain(target, code));  // NOLINT(bugprone-use-after-move)
  assigned.clear();
  CHECK_FALSE(bytes_contain(assigned, code));

  alignas(SecretString) unsigned char storage[sizeof(SecretString)];
  auto* placed = new (storage) SecretString(code);
  REQUIRE(std::search(storage, storage + sizeof storage, code.begin(), code.end()) != storage + sizeof storage);
  placed->~SecretString();
  CHECK(std::search(storage, storage + sizeof storage, code.begin(), code.end()) == storage + sizeof storage);
}

TEST_CASE("reassigning wipes the secret it replaces") {
  const std::string old_code = "554433";
  SecretString s(old_code);
  s = SecretString("12");
  CHECK(s.reveal() == "12");
  CHECK_FALSE(bytes_contain(s, old_code.substr(2)));  // the bytes "12" did not overwrite
  SecretString copied(old_code);
  const SecretString shorter("34");
  copied = shorter;
  CHECK(copied.reveal() == "34");
  CHECK_FALSE(bytes_contain(copied, old_code.substr(2)));
}

TEST_CASE("a secret on the heap is wiped before its block is freed") {
  const std::string long_secret = std::string(SecretString::inline_capacity, 'q') + "-the-end-of-a-long-secret";
  const WatchFreedBlocks watch(long_secret);
  { const SecretString destroyed(long_secret); }
  {
    SecretString cleared(long_secret);
    cleared.clear();
    CHECK(cleared.empty());
  }
  {
    SecretString moved_over(long_secret);
    moved_over = SecretString("short");
  }
  {
    SecretString copied_over(long_secret);
    const SecretString other("other");
    copied_over = other;
  }
  {
    std::string original = long_secret;
    const SecretString taken(std::move(original));
    CHECK(taken.reveal() == long_secret);
  }
  CHECK(blocks_freed >= 5);
  CHECK(blocks_freed_holding_secret == 0);
}

// NOLINTBEGIN(cppcoreguidelines-no-malloc)
void operator delete[](void* block) noexcept {
  inspect_before_free(block);
  std::free(block);
}
void operator delete[](void* block, std::size_t /*size*/) noexcept {
  inspect_before_free(block);
  std::free(block);
}
// NOLINTEND(cppcoreguidelines-no-malloc)
