#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "reverify/memory_store.hpp"
#include "reverify/testing/faulty_store.hpp"
#include "reverify/testing/store_conformance.hpp"

using namespace std::chrono_literals;
using reverify::MemoryStore;
using reverify::Timestamp;
using reverify::VerificationRecord;

namespace {

constexpr Timestamp t0 = reverify::from_unix_ms(1'700'000'000'000);

VerificationRecord record(std::uint64_t n, Timestamp created, std::chrono::milliseconds ttl, std::string user) {
  VerificationRecord r;
  std::string id = std::to_string(n);
  r.id = std::string(reverify::record_id_length - id.size(), 'm') + id;
  r.user_id = std::move(user);
  r.kind = reverify::RecordKind::email_verification_code;
  r.identifier = "ann@example.com";
  r.identifier_key = "ann@example.com";
  r.code_digest = reverify::Digest{};
  r.created_at = created;
  r.expires_at = created + ttl;
  r.code_expires_at = created + ttl;
  return r;
}

}  // namespace

TEST_CASE("MemoryStore passes the store conformance suite", "[conformance][memory]") {
  reverify::testing::store_conformance([] { return std::make_shared<MemoryStore>(); });
}

TEST_CASE("MemoryStore with one shard passes the conformance suite", "[conformance][memory]") {
  // Every record, slot and key shares one lock: the multi-shard insert path must not self-deadlock.
  reverify::testing::store_conformance([] { return std::make_shared<MemoryStore>(1); });
}

TEST_CASE("MemoryStore with an odd shard count passes the conformance suite", "[conformance][memory]") {
  reverify::testing::store_conformance([] { return std::make_shared<MemoryStore>(3); });
}

TEST_CASE("The conformance suite passes through a healthy FaultyStore", "[conformance][memory]") {
  reverify::testing::store_conformance(
      [] { return std::make_shared<reverify::testing::FaultyStore>(std::make_shared<MemoryStore>(0)); });
}

TEST_CASE("MemoryStore purges expired records during inserts without a purge thread", "[memory]") {
  MemoryStore store(4);
  // 40 000 records living 1 s each, inserted 100 per simulated second: about 100 are live at a
  // time. Without purging, all 40 000 would be held.
  std::size_t peak = 0;
  for (std::uint64_t n = 0; n < 40'000; ++n) {
    const Timestamp now = t0 + std::chrono::milliseconds(n * 10);
    REQUIRE(store.insert(record(n, now, 1s, "user-" + std::to_string(n % 1000))).value());
    peak = std::max(peak, store.record_count());
  }
  INFO("peak records held " << peak);
  CHECK(peak < 20'000);
  CHECK(store.record_count() < 20'000);
  // An explicit purge takes what remains once it has expired.
  const Timestamp end = t0 + 1h;
  CHECK(store.purge_expired(end, 1'000'000).value() > 0);
  CHECK(store.record_count() == 0);
}

TEST_CASE("MemoryStore never purges during inserts what a lagging caller still sees", "[memory]") {
  MemoryStore store;
  REQUIRE(store.insert(record(1, t0, 10s, "user-1")).value());
  // A record created 30 s after the first expired: within the grace, the first is kept.
  for (std::uint64_t n = 2; n < 2000; ++n) {
    REQUIRE(store.insert(record(n, t0 + 40s, 10min, "user-" + std::to_string(n))).value());
  }
  CHECK(store.record_count() == 1999);
  CHECK(store.find(record(1, t0, 10s, "").id, t0 + 10s - 1ms).value().has_value());
}

TEST_CASE("MemoryStore record_count reflects inserts and purges", "[memory]") {
  MemoryStore store;
  CHECK(store.record_count() == 0);
  for (std::uint64_t n = 0; n < 100; ++n) REQUIRE(store.insert(record(n, t0, 1s, "u")).value());
  CHECK(store.record_count() == 100);
  CHECK(store.purge_expired(t0 + 1s - 1ms, 1000).value() == 0);
  CHECK(store.record_count() == 100);
  CHECK(store.purge_expired(t0 + 1s, 40).value() == 40);
  CHECK(store.record_count() == 60);
  CHECK(store.purge_expired(t0 + 1s, 1000).value() == 60);
  CHECK(store.record_count() == 0);
}

TEST_CASE("MemoryStore refuses fields too long for its packed format with store_unavailable", "[memory]") {
  MemoryStore store;
  VerificationRecord r = record(1, t0, 1min, std::string(70'000, 'u'));
  const auto result = store.insert(r);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code() == reverify::Errc::store_unavailable);
  CHECK(result.error().message().find("user id") != std::string::npos);
  CHECK(result.error().message().find("uuuu") == std::string::npos);
  CHECK(store.record_count() == 0);
}
