#pragma once
/// @file
/// `Result<T>`: the return type of every fallible public call.

#include <tl/expected.hpp>

#include "reverify/error.hpp"

namespace reverify {

/// A value or an `Error`. No exception crosses the public API. Debian's tl-expected 1.0 does not
/// mark the class `[[nodiscard]]`, so every function returning it is marked instead.
template <class T>
using Result = tl::expected<T, Error>;

/// Shorthand for an error result: `return fail(Errc::invalid_input, "empty code");`.
[[nodiscard]] inline tl::unexpected<Error> fail(Errc code) { return tl::unexpected<Error>(Error(code)); }
[[nodiscard]] inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
[[nodiscard]] inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace reverify
