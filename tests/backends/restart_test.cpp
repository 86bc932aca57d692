// Durability across a process restart: a code sent through one manager and store instance
// verifies through a fresh instance in a new process with the same pepper, and the verified
// record then authorizes there.

#include <catch2/catch.hpp>

#include "backend_under_test.hpp"
#include "child_processes.hpp"

using namespace reverify;
using namespace reverify::test;

TEST_CASE("a code sent before a restart verifies in a new process", "[backends]") {
  INFO("backend " << backend_name);
  auto data = new_shared_data();
  std::string record_id;
  std::string code;
  {
    auto store = open_store(*data);
    REQUIRE(store.has_value());
    auto sent_code = std::make_shared<std::string>();
    auto manager = make_manager(*store, sent_code);
    REQUIRE(manager.has_value());
    auto sent = manager->send_code(email_code_request());
    REQUIRE(sent.has_value());
    record_id = sent->record_id;
    code = *sent_code;
  }  // the first instance is gone: nothing survives but the backend's data

  enum Outcome : int {
    verified_and_authorized = 0,
    no_store = 1,
    no_manager = 2,
    not_verified = 3,
    not_authorized = 4
  };
  const auto children = run_children<int>(1, [&](int) -> int {
    auto store = open_store(*data);
    if (!store) return no_store;
    auto manager = make_manager(*store, nullptr);
    if (!manager) return no_manager;
    if (!manager->verify_code(verify_request(record_id, code))) return not_verified;
    AuthorizeRequest authorize;
    authorize.record_id = record_id;
    authorize.user_id = test_user;
    if (!manager->authorize(authorize)) return not_authorized;
    return verified_and_authorized;
  });
  REQUIRE(children.failed_children == 0);
  REQUIRE(children.results.size() == 1);
  CHECK(children.results[0] == verified_and_authorized);

  // And this process, reopening the data, sees the record verified.
  auto reopened = open_store(*data);
  REQUIRE(reopened.has_value());
  auto record = (*reopened)->find(record_id, SystemClock().now());
  REQUIRE(record.has_value());
  REQUIRE(record->has_value());
  CHECK((*record)->verified);
  CHECK((*record)->attempts == 1);
}

TEST_CASE("a different pepper in the new process cannot verify the old code", "[backends]") {
  INFO("backend " << backend_name);
  auto data = new_shared_data();
  auto store = open_store(*data);
  REQUIRE(store.has_value());
  auto sent_code = std::make_shared<std::string>();
  auto manager = make_manager(*store, sent_code);
  REQUIRE(manager.has_value());
  auto sent = manager->send_code(email_code_request());
  REQUIRE(sent.has_value());

  // A manager whose only pepper has another id cannot key the stored digest: never verified.
  Dependencies deps;
  deps.store = *store;
  deps.hasher = test::cheap_hasher();
  deps.sender = std::make_shared<CallbackSender>([](const CodeMessage&) -> Result<void> { return {}; });
  deps.clock = std::make_shared<SystemClock>();
  deps.peppers.peppers.push_back(Pepper::random(99));
  auto other = VerificationManager::create(Policy{}, std::move(deps));
  REQUIRE(other.has_value());
  auto answer = other->verify_code(verify_request(sent->record_id, *sent_code));
  CHECK_FALSE(answer.has_value());
}
