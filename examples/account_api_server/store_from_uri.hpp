#pragma once
/// @file
/// Mapping the --store URI to a Store.

#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "reverify/store.hpp"

namespace reverify::server {

/// Why a store could not be made: a bad or unsupported URI is a usage error (exit 2); a store that
/// exists but cannot be reached is a runtime error (exit 1).
struct StoreError {
  bool usage = true;
  std::string message;  ///< one line; never a password from the URI
};

/// Store settings beside the URI (from their own flags).
struct StoreSettings {
  bool pg_flush_verified_marks = false;  ///< PostgresOptions::flush_verified_marks
};

/// A store and how the startup line names it ("memory", "sqlite", "redis", "postgresql, verified
/// marks async|flush"; never the URI, which may hold a password).
struct OpenedStore {
  std::shared_ptr<reverify::Store> store;
  std::string description;
};

/// A store for `uri`:
/// - `memory`: the embedded MemoryStore (state dies with the process);
/// - `sqlite:PATH`, `redis://…`, `postgresql://…`/`postgres://…`: durable stores, available when
///   the server was built with the matching component (`rediss://`, TLS, is not supported).
/// A URI the store refuses as written (`invalid_configuration`) is a usage error; one it cannot
/// reach is not.
[[nodiscard]] tl::expected<OpenedStore, StoreError> store_from_uri(const std::string& uri,
                                                                   const StoreSettings& settings);

/// True for URIs whose state outlives the process (they need a stable pepper: --pepper-file).
[[nodiscard]] bool is_durable_store_uri(const std::string& uri);

/// True for `postgresql://…` and `postgres://…`.
[[nodiscard]] bool is_postgres_store_uri(const std::string& uri);

}  // namespace reverify::server
