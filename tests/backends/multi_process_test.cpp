// Invariant 1 across processes: four processes hammer one record of one shared store with wrong
// codes through their own VerificationManager; exactly max_code_attempts comparisons happen.

#include <catch2/catch.hpp>

#include "backend_under_test.hpp"
#include "child_processes.hpp"

namespace {

using namespace reverify;
using namespace reverify::test;

struct Tally {
  int mismatch = 0;
  int exceeded = 0;
  int verified = 0;
  int unavailable = 0;
  int other = 0;
  int setup_failed = 0;
};

}  // namespace

TEST_CASE("four processes on one store answer code_mismatch exactly max_code_attempts times", "[backends]") {
  INFO("backend " << backend_name);
  auto data = new_shared_data();
  auto store = open_store(*data);
  REQUIRE(store.has_value());
  auto code = std::make_shared<std::string>();
  Policy policy;  // 10 attempts per code; 100 failures per hour before a lockout
  auto manager = make_manager(*store, code, policy);
  REQUIRE(manager.has_value());
  auto sent = manager->send_code(email_code_request());
  REQUIRE(sent.has_value());
  const std::string record_id = sent->record_id;
  const std::string wrong = wrong_code(*code);

  constexpr int processes = 4;
  constexpr int tries_per_process = 8;  // 32 wrong codes in all for a limit of 10
  const auto children = run_children<Tally>(processes, [&](int) {
    Tally tally;
    auto child_store = open_store(*data);  // a new instance and new connections in this process
    if (!child_store) {
      tally.setup_failed = 1;
      return tally;
    }
    auto child_manager = make_manager(*child_store, nullptr, policy);
    if (!child_manager) {
      tally.setup_failed = 1;
      return tally;
    }
    for (int i = 0; i < tries_per_process; ++i) {
      auto answer = child_manager->verify_code(verify_request(record_id, wrong));
      if (answer) {
        ++tally.verified;
      } else if (answer.error() == Errc::code_mismatch) {
        ++tally.mismatch;
      } else if (answer.error() == Errc::code_exceed_max_try) {
        ++tally.exceeded;
      } else if (answer.error() == Errc::store_unavailable) {
        ++tally.unavailable;
      } else {
        ++tally.other;
      }
    }
    return tally;
  });

  REQUIRE(children.failed_children == 0);
  REQUIRE(children.results.size() == static_cast<std::size_t>(processes));
  Tally total;
  for (const Tally& t : children.results) {
    total.mismatch += t.mismatch;
    total.exceeded += t.exceeded;
    total.verified += t.verified;
    total.unavailable += t.unavailable;
    total.other += t.other;
    total.setup_failed += t.setup_failed;
  }
  CHECK(total.setup_failed == 0);
  CHECK(total.unavailable == 0);
  CHECK(total.other == 0);
  CHECK(total.verified == 0);
  CHECK(total.mismatch == static_cast<int>(policy.max_code_attempts));
  CHECK(total.exceeded == processes * tries_per_process - static_cast<int>(policy.max_code_attempts));

  // The right code now answers exceed_max_try too: the limit is spent for everyone.
  auto late = manager->verify_code(verify_request(record_id, *code));
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error() == Errc::code_exceed_max_try);
  const auto record = (*store)->find(record_id, SystemClock().now());
  REQUIRE(record.has_value());
  REQUIRE(record->has_value());
  CHECK((*record)->attempts == policy.max_code_attempts);
}

TEST_CASE("four processes verifying one right code: exactly one wins", "[backends]") {
  INFO("backend " << backend_name);
  auto data = new_shared_data();
  auto store = open_store(*data);
  REQUIRE(store.has_value());
  auto code = std::make_shared<std::string>();
  auto manager = make_manager(*store, code);
  REQUIRE(manager.has_value());
  auto sent = manager->send_code(email_code_request());
  REQUIRE(sent.has_value());
  const std::string record_id = sent->record_id;
  const std::string right = *code;

  const auto children = run_children<int>(4, [&](int) {
    auto child_store = open_store(*data);
    if (!child_store) return -1;
    auto child_manager = make_manager(*child_store, nullptr);
    if (!child_manager) return -1;
    auto answer = child_manager->verify_code(verify_request(record_id, right));
    return answer ? 1 : 0;
  });
  REQUIRE(children.failed_children == 0);
  int winners = 0;
  for (int r : children.results) {
    CHECK(r >= 0);
    winners += r == 1 ? 1 : 0;
  }
  CHECK(winners == 1);
}
