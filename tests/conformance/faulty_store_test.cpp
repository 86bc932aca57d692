#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "reverify/memory_store.hpp"
#include "reverify/testing/faulty_store.hpp"

using namespace std::chrono_literals;
using reverify::testing::FaultMode;
using reverify::testing::FaultyStore;
using reverify::testing::StoreOp;

namespace {

constexpr reverify::Timestamp t0 = reverify::from_unix_ms(1'700'000'000'000);

reverify::VerificationRecord sample() {
  reverify::VerificationRecord r;
  r.id = "faultyfaultyfaulty001";
  r.user_id = "user-1";
  r.kind = reverify::RecordKind::email_verification_code;
  r.identifier = r.identifier_key = "ann@example.com";
  r.code_digest = reverify::Digest{};
  r.created_at = t0;
  r.expires_at = t0 + 10min;
  return r;
}

/// Calls `op` once; returns whether it succeeded (an error result is false; exceptions propagate).
bool call(FaultyStore& store, StoreOp op) {
  switch (op) {
    case StoreOp::insert:
      return store.insert(sample(), true).has_value();
    case StoreOp::find:
      return store.find(sample().id, t0).has_value();
    case StoreOp::spend_attempt:
      return store.spend_attempt(sample().id, 5, t0).has_value();
    case StoreOp::mark_verified:
      return store.mark_verified(sample().id, t0).has_value();
    case StoreOp::use:
      return store.use(sample().id, 0, t0).has_value();
    case StoreOp::retire:
      return store.retire("absent").has_value();
    case StoreOp::window_add:
      return store.window_add("k", 1s, 5, t0).has_value();
    case StoreOp::window_remove:
      return store.window_remove("k", t0).has_value();
    case StoreOp::block:
      return store.block("k", t0 + 1s).has_value();
    case StoreOp::blocked_until:
      return store.blocked_until("k", t0).has_value();
    case StoreOp::unblock:
      return store.unblock("k").has_value();
    case StoreOp::purge_expired:
      return store.purge_expired(t0, 10).has_value();
  }
  return false;
}

}  // namespace

TEST_CASE("FaultyStore fails exactly the switched operation, and counts calls", "[unit][faulty_store]") {
  auto target = std::make_shared<reverify::MemoryStore>();
  FaultyStore store(target);
  for (StoreOp failing : FaultyStore::all_ops) {
    INFO("failing " << reverify::testing::to_string(failing));
    store.clear_faults();
    store.reset_calls();
    store.set_fault(failing, FaultMode::error);
    CHECK(store.fault(failing) == FaultMode::error);
    for (StoreOp op : FaultyStore::all_ops) {
      INFO("calling " << reverify::testing::to_string(op));
      const bool succeeded = call(store, op);
      CHECK(succeeded == (op != failing));
      CHECK(store.calls(op) == 1);
    }
    store.set_fault(failing, FaultMode::throw_exception);
    CHECK_THROWS_AS(call(store, failing), std::runtime_error);
    CHECK(store.calls(failing) == 2);
  }
}

TEST_CASE("FaultyStore errors are store_unavailable and leave the target untouched", "[unit][faulty_store]") {
  auto target = std::make_shared<reverify::MemoryStore>();
  FaultyStore store(target);
  store.set_fault(StoreOp::insert, FaultMode::error);
  const auto result = store.insert(sample(), true);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code() == reverify::Errc::store_unavailable);
  CHECK(result.error().message().find("insert") != std::string::npos);
  CHECK(target->record_count() == 0);

  store.set_fault(StoreOp::insert, FaultMode::throw_exception);
  CHECK_THROWS_AS(store.insert(sample(), true), std::runtime_error);
  CHECK(target->record_count() == 0);

  store.set_fault(StoreOp::insert, FaultMode::none);
  CHECK(store.insert(sample(), true).value());
  CHECK(target->record_count() == 1);
  store.set_fault(StoreOp::spend_attempt, FaultMode::error);
  CHECK_FALSE(store.spend_attempt(sample().id, 5, t0).has_value());
  CHECK(target->find(sample().id, t0).value()->attempts == 0);
  store.clear_faults();
  CHECK(store.spend_attempt(sample().id, 5, t0).value().attempts == 1);
}
