#pragma once
/// @file
/// The random-sequence clause: a seeded mix of every operation, answers compared with the model.

#include <cstdint>

#include "reverify/store.hpp"

namespace reverify::testing::detail {

/// Runs `steps` operations drawn from `seed` against `store` (fresh and empty) and against a
/// `ReferenceStore`, requiring equal answers. Time only moves forward; ids are never reused
/// (except to be refused while live); each code slot always gets the same retire_previous flag;
/// each key always the same window (and lock keys the same lockout rule).
void run_random_sequence(Store& store, std::uint64_t seed, int steps);

}  // namespace reverify::testing::detail
