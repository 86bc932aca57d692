#include <catch2/catch.hpp>

#include "backend_fixtures.hpp"
#include "reverify/sqlite/sqlite_store.hpp"
#include "reverify/testing/store_conformance.hpp"

TEST_CASE("SqliteStore passes the store conformance suite", "[conformance][sqlite]") {
  reverify::testing::StoreCapabilities capabilities;
  reverify::testing::store_conformance([] { return reverify::test::fresh_sqlite_store(); }, capabilities);
}

TEST_CASE("SqliteStore with a single pooled connection passes the conformance suite", "[conformance][sqlite]") {
  reverify::testing::StoreCapabilities capabilities;
  reverify::sqlite::SqliteOptions options;
  options.pool_size = 1;
  reverify::testing::store_conformance([options] { return reverify::test::fresh_sqlite_store(options); }, capabilities);
}
