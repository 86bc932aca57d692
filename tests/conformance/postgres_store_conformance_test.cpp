#include <catch2/catch.hpp>

#include "backend_fixtures.hpp"
#include "reverify/postgres/postgres_store.hpp"
#include "reverify/testing/store_conformance.hpp"

TEST_CASE("PostgresStore passes the store conformance suite", "[conformance][postgres]") {
  reverify::testing::StoreCapabilities capabilities;
  reverify::testing::store_conformance([] { return reverify::test::fresh_postgres_store(); }, capabilities);
}
