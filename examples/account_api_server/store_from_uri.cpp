#include "store_from_uri.hpp"

#include <string_view>

#include "reverify/memory_store.hpp"

#ifdef REVERIFY_SERVER_HAS_SQLITE
#include "reverify/sqlite/sqlite_store.hpp"
#endif
#ifdef REVERIFY_SERVER_HAS_REDIS
#include "reverify/redis/redis_store.hpp"
#endif
#ifdef REVERIFY_SERVER_HAS_POSTGRES
#include "reverify/postgres/postgres_store.hpp"
#endif

namespace reverify::server {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool is_sqlite(const std::string& uri) { return starts_with(uri, "sqlite:"); }
bool is_redis(const std::string& uri) { return starts_with(uri, "redis://"); }

template <class T>
tl::expected<OpenedStore, StoreError> runtime_result(const char* kind, reverify::Result<std::shared_ptr<T>> made,
                                                     std::string description) {
  // A URI the store refuses as written is the operator's to fix (a usage error); one it cannot
  // reach is a runtime failure.
  if (!made) {
    const bool usage = made.error().code() == reverify::Errc::invalid_configuration;
    return tl::unexpected(
        StoreError{usage, std::string("cannot open the ") + kind + " store: " + made.error().message()});
  }
  return OpenedStore{std::shared_ptr<reverify::Store>(std::move(*made)), std::move(description)};
}

[[maybe_unused]] tl::expected<OpenedStore, StoreError> not_built(const char* component) {
  return tl::unexpected(StoreError{true, std::string("this reverify-server was built without reverify::") + component +
                                             " (install its development package and rebuild)"});
}

}  // namespace

bool is_postgres_store_uri(const std::string& uri) {
  return starts_with(uri, "postgresql://") || starts_with(uri, "postgres://");
}

bool is_durable_store_uri(const std::string& uri) {
  return is_sqlite(uri) || is_redis(uri) || is_postgres_store_uri(uri);
}

tl::expected<OpenedStore, StoreError> store_from_uri(const std::string& uri,
                                                     [[maybe_unused]] const StoreSettings& settings) {
  if (uri == "memory") return OpenedStore{std::make_shared<reverify::MemoryStore>(), "memory"};
  if (is_sqlite(uri)) {
    const std::string path = uri.substr(std::string_view("sqlite:").size());
    if (path.empty()) return tl::unexpected(StoreError{true, "--store sqlite:PATH needs a file path"});
#ifdef REVERIFY_SERVER_HAS_SQLITE
    return runtime_result("sqlite", reverify::sqlite::SqliteStore::open(path), "sqlite");
#else
    return not_built("sqlite");
#endif
  }
  if (is_redis(uri)) {
#ifdef REVERIFY_SERVER_HAS_REDIS
    return runtime_result("redis", reverify::redis::RedisStore::connect(uri), "redis");
#else
    return not_built("redis");
#endif
  }
  if (is_postgres_store_uri(uri)) {
#ifdef REVERIFY_SERVER_HAS_POSTGRES
    reverify::postgres::PostgresOptions options;
    options.flush_verified_marks = settings.pg_flush_verified_marks;
    // The description is read back from the options the store gets, so the startup line shows
    // what the store was really told.
    std::string description =
        std::string("postgresql, verified marks ") + (options.flush_verified_marks ? "flush" : "async");
    return runtime_result("postgres", reverify::postgres::PostgresStore::connect(uri, options), std::move(description));
#else
    return not_built("postgres");
#endif
  }
  return tl::unexpected(
      StoreError{true, "unknown --store URI (expected memory, sqlite:PATH, redis://… or postgresql://…)"});
}

}  // namespace reverify::server
