// Runs reverify's store conformance suite on the example's MapStore: every clause of the Store
// contract, including 16 threads racing on one record.
#include <catch2/catch.hpp>

#include <memory>

#include "map_store.hpp"
#include "reverify/testing/store_conformance.hpp"

TEST_CASE("MapStore passes the reverify store conformance suite", "[conformance][example]") {
  reverify::testing::StoreCapabilities capabilities;  // in-process only, no native expiry
  reverify::testing::store_conformance([] { return std::make_shared<example::MapStore>(); }, capabilities);
}
