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
  r.code_expires_at = t0 + 5min;
  return r;
}

/// A wrong code for sample(): counts one attempt when it goes through.
reverify::CodeCheck check() {
  reverify::CodeCheck c;
  c.record_id = "faultyfaultyfaulty001";
  c.user_id = "user-1";
  c.kind = reverify::RecordKind::email_verification_code;
  c.identifier_key = "ann@example.com";
  c.offered = {reverify::OfferedDigest{0, reverify::Digest{1}}};
  c.max_attempts = 5;
  c.lockout = reverify::LockoutRule{"lock:k", 1s, 100, 1s};
  c.now = t0;
  return c;
}

/// Calls `op` once; returns whether it succeeded (an error result is false; exceptions propagate).
bool call(FaultyStore& store, StoreOp op) {
  switch (op) {
    case StoreOp::insert:
      return store.insert(sample()).has_value();
    case StoreOp::open_code: {
      reverify::VerificationRecord other = sample();
      other.id = "faultyfaultyfaulty002";
      return store.open_code(other, reverify::SendLimit{"send:k", 1s, 5}, true, t0).has_value();
    }
    case StoreOp::cancel_code:
      return store.cancel_code("faultyfaultyfaulty099", "send:k", t0 - 1s).has_value();
    case StoreOp::find:
      return store.find(sample().id, t0).has_value();
    case StoreOp::check_code:
      return store.check_code(check()).has_value();
    case StoreOp::use:
      return store.use(sample().id, 0, t0).has_value();
    case StoreOp::count_failure:
      return store.count_failure(reverify::LockoutRule{"lock:k", 1s, 5, 1s}, t0).has_value();
    case StoreOp::blocked_until:
      return store.blocked_until("lock:k", t0).has_value();
    case StoreOp::unblock:
      return store.unblock("lock:k").has_value();
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
  const auto result = store.insert(sample());
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code() == reverify::Errc::store_unavailable);
  CHECK(result.error().message().find("insert") != std::string::npos);
  CHECK(target->record_count() == 0);

  store.set_fault(StoreOp::insert, FaultMode::throw_exception);
  CHECK_THROWS_AS(store.insert(sample()), std::runtime_error);
  CHECK(target->record_count() == 0);

  store.set_fault(StoreOp::insert, FaultMode::none);
  CHECK(store.insert(sample()).value());
  CHECK(target->record_count() == 1);
  store.set_fault(StoreOp::check_code, FaultMode::error);
  const auto refused = store.check_code(check());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("check_code") != std::string::npos);
  CHECK(target->find(sample().id, t0).value()->attempts == 0);
  store.set_fault(StoreOp::check_code, FaultMode::throw_exception);
  CHECK_THROWS_AS(store.check_code(check()), std::runtime_error);
  CHECK(target->find(sample().id, t0).value()->attempts == 0);
  store.clear_faults();
  const auto checked = store.check_code(check()).value();
  CHECK(checked.status == reverify::CheckStatus::mismatch);
  CHECK(checked.attempts == 1);

  // A failed open_code neither counts a send nor inserts.
  reverify::VerificationRecord opened = sample();
  opened.id = "faultyfaultyfaulty003";
  const reverify::SendLimit limit{"send:k", 1min, 1};
  store.set_fault(StoreOp::open_code, FaultMode::error);
  CHECK_FALSE(store.open_code(opened, limit, true, t0).has_value());
  CHECK(target->record_count() == 1);
  store.clear_faults();
  CHECK(store.open_code(opened, limit, true, t0).value().status == reverify::OpenStatus::opened);
  CHECK(target->record_count() == 2);
}
