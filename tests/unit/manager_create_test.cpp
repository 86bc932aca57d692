#include <catch2/catch.hpp>

#include "manager_fixture.hpp"

using namespace reverify;

namespace {
Dependencies complete_dependencies() {
  Dependencies deps;
  deps.store = std::make_shared<MemoryStore>();
  deps.hasher = test::cheap_hasher();
  deps.sender = std::make_shared<test::RecordingSender>();
  deps.clock = std::make_shared<ManualClock>();
  deps.peppers.peppers.push_back(Pepper::random(1));
  return deps;
}

void expect_rejected(Dependencies deps, const std::string& needle) {
  const auto manager = VerificationManager::create(Policy{}, std::move(deps));
  REQUIRE_FALSE(manager.has_value());
  CHECK(manager.error() == Errc::invalid_configuration);
  CHECK(manager.error().message().find(needle) != std::string::npos);
}
}  // namespace

TEST_CASE("create accepts complete dependencies and the default policy") {
  auto manager = VerificationManager::create(Policy{}, complete_dependencies());
  REQUIRE(manager.has_value());
  CHECK(manager->policy().max_code_attempts == 10);
}

TEST_CASE("create rejects null collaborators, missing or duplicate peppers") {
  auto deps = complete_dependencies();
  deps.store = nullptr;
  expect_rejected(deps, "store");
  deps = complete_dependencies();
  deps.hasher = nullptr;
  expect_rejected(deps, "hasher");
  deps = complete_dependencies();
  deps.sender = nullptr;
  expect_rejected(deps, "sender");
  deps = complete_dependencies();
  deps.clock = nullptr;
  expect_rejected(deps, "clock");
  deps = complete_dependencies();
  deps.peppers.peppers.clear();
  expect_rejected(deps, "pepper");
  deps = complete_dependencies();
  deps.peppers.peppers.push_back(Pepper::random(1));
  expect_rejected(deps, "unique");
}

TEST_CASE("create rejects an invalid policy") {
  Policy policy;
  policy.code_ttl = std::chrono::seconds(0);
  const auto manager = VerificationManager::create(policy, complete_dependencies());
  REQUIRE_FALSE(manager.has_value());
  CHECK(manager.error() == Errc::invalid_configuration);
}

TEST_CASE("the events sink is optional") {
  auto deps = complete_dependencies();
  deps.events = nullptr;
  auto sender = std::static_pointer_cast<test::RecordingSender>(deps.sender);
  auto manager = VerificationManager::create(Policy{}, std::move(deps)).value();
  SendCodeRequest request;
  request.user_id = "u1";
  request.identifier = Identifier::email("a@example.com");
  request.owned_identifiers.push_back(request.identifier);
  CHECK(manager.send_code(request).has_value());
  CHECK(sender->messages().size() == 1);
}
