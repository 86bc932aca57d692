#pragma once
/// @file
/// Helpers shared by the conformance clauses: record builders, result unwrapping, thread runs.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "reverify/store.hpp"

namespace reverify::testing::detail {

/// The suite's epoch: every clause measures time from here.
inline constexpr Timestamp t0 = from_unix_ms(1'700'000'000'123);

/// A valid record id (21 characters of [0-9a-z]) that is distinct for each `n`.
[[nodiscard]] std::string test_id(std::uint64_t n);

/// 32 bytes derived from `seed`, distinct per seed.
[[nodiscard]] Digest test_digest(std::uint32_t seed);

/// An unverified email code record of `user` for "Ann@Example.com", created at t0, expiring at
/// t0 + 600 s, with a code digest and pepper id 7.
[[nodiscard]] VerificationRecord code_record(std::string id, std::string user);

/// A verified password record of `user`, created at t0, expiring at t0 + 600 s.
[[nodiscard]] VerificationRecord password_record(std::string id, std::string user);

/// One line naming the fields of a record, digests in hex (test output only).
[[nodiscard]] std::string describe(const VerificationRecord& record);

/// Checks, field by field, that a stored record reads back as written.
void check_same_record(const VerificationRecord& actual, const VerificationRecord& expected);

/// Unwraps a result, failing the current clause with the error's message otherwise.
template <class T>
T ok(Result<T> result, std::string_view what) {
  if (!result) FAIL(what << " failed: " << result.error().message());
  return std::move(*result);
}
inline void ok(Result<void> result, std::string_view what) {
  if (!result) FAIL(what << " failed: " << result.error().message());
}

/// Runs `body(thread_index)` on `threads` threads released together, and joins them. Catch2
/// assertions are not thread-safe: bodies record outcomes, the caller checks them afterwards.
/// Returns how many bodies threw.
[[nodiscard]] unsigned run_threads(unsigned threads, const std::function<void(unsigned)>& body);

}  // namespace reverify::testing::detail
