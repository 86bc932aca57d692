#pragma once
/// @file
/// The shared contract suite every Store must pass (component reverify::testing, Catch2 v2).

#include <functional>
#include <memory>
#include <string>

#include "reverify/store.hpp"

namespace reverify::testing {

/// What a backend can be asked to prove.
struct StoreCapabilities {
  bool shared_between_processes = false;  ///< SQLite file, Redis, PostgreSQL
  bool native_expiry = false;             ///< purge_expired may return 0 (Redis TTLs)
  unsigned concurrency_threads = 16;      ///< threads for the concurrency clauses
};

/// Makes a fresh, empty store (a new key prefix, schema or file) for one clause.
using StoreFactory = std::function<std::shared_ptr<Store>()>;

/// Runs every contract clause as a Catch2 SECTION. Call it inside a TEST_CASE.
void store_conformance(const StoreFactory& factory, const StoreCapabilities& capabilities = {});

}  // namespace reverify::testing
