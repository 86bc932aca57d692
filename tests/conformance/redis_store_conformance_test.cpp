#include <catch2/catch.hpp>

#include "backend_fixtures.hpp"
#include "reverify/redis/redis_store.hpp"
#include "reverify/testing/store_conformance.hpp"

TEST_CASE("RedisStore passes the store conformance suite", "[conformance][redis]") {
  reverify::testing::StoreCapabilities capabilities;
  capabilities.native_expiry = true;
  reverify::testing::store_conformance([] { return reverify::test::fresh_redis_store(); }, capabilities);
}

TEST_CASE("RedisStore with a single pooled connection passes the conformance suite", "[conformance][redis]") {
  reverify::testing::StoreCapabilities capabilities;
  capabilities.native_expiry = true;
  reverify::redis::RedisOptions options;
  options.pool_size = 1;
  reverify::testing::store_conformance([options] { return reverify::test::fresh_redis_store(options); }, capabilities);
}
