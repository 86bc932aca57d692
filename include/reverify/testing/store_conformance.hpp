#pragma once
/// @file
/// The shared contract suite every Store must pass (component reverify::testing, Catch2 v2).

#include <functional>
#include <memory>
#include <string>

#include "reverify/export.hpp"
#include "reverify/store.hpp"

namespace reverify::testing {

/// What a backend can be asked to prove. (Sharing one store between processes is not among them:
/// a clause gets a fresh store from the factory, never a second handle on the same one; see
/// tests/backends/multi_process_test.cpp for how reverify's own backends prove it.)
struct REVERIFY_API StoreCapabilities {
  bool native_expiry = false;         ///< purge_expired may return 0 (Redis TTLs)
  unsigned concurrency_threads = 16;  ///< threads for the concurrency clauses
};

/// Makes a fresh, empty store (a new key prefix, schema or file) for one clause.
using StoreFactory = std::function<std::shared_ptr<Store>()>;

/// Runs every contract clause as a Catch2 SECTION. Call it inside a TEST_CASE.
///
/// Each clause takes a fresh store from `factory` and uses ids of 21 characters of [0-9a-z] and
/// times around 2023-11-14 (a fake clock: nothing sleeps). Clauses: round trip of every field
/// through insert and open_code; duplicate ids (id_taken counts no send); expiry exact to the
/// millisecond; open_code's rolling send limit exact at the window's edge; retire_previous (the
/// previous unverified holder of the same slot only, never a verified one, nothing without the
/// flag); cancel_code (the record and exactly one send stamped `at`); check_code's answers in the
/// documented order, code expiry, attempts, peppers and lockout; count_failure and its blocks,
/// unblock; use; purge_expired within its limit, never touching live state (each record, window
/// event and block counts as one item; counts are skipped when `native_expiry`);
/// `concurrency_threads` threads racing on one record, send key, id, slot or lock key with exact
/// counts; and a seeded sequence of 4000 mixed operations compared answer by answer with a
/// single-threaded model. The suite never re-uses the id of an expired record, never mixes
/// retire_previous values within one slot in the random sequence, and uses one window (and one
/// lockout rule) per key there: those cases are left to the backend. Not thread-safe itself
/// (Catch2 is not); it starts and joins its own threads.
REVERIFY_API void store_conformance(const StoreFactory& factory, const StoreCapabilities& capabilities = {});

}  // namespace reverify::testing
