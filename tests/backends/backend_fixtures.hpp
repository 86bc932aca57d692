#pragma once
// Fresh, self-cleaning backend stores for tests: a new SQLite file, Redis key prefix or
// PostgreSQL schema per store, removed when the last reference goes away.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "reverify/store.hpp"

#if defined(REVERIFY_TEST_WITH_SQLITE)
#include "reverify/sqlite/sqlite_store.hpp"
#endif
#if defined(REVERIFY_TEST_WITH_REDIS)
#include "reverify/redis/redis_store.hpp"
#endif
#if defined(REVERIFY_TEST_WITH_POSTGRES)
#include "reverify/postgres/postgres_store.hpp"
#endif

namespace reverify::test {

/// 16 random lower-case hex characters.
inline std::string random_token() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t value = engine();
  std::string out(16, '0');
  for (auto& c : out) {
    c = hex[value & 0xF];
    value >>= 4;
  }
  return out;
}

/// The value of a required environment variable; a loud test failure when unset.
inline std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(name << " is not set. Start the test servers with `scripts/services.sh start` and run "
                 "`eval \"$(scripts/services.sh env)\"` before ctest.");
  }
  return value;
}

/// Keeps a backend store alive with a cleanup that runs after the store is gone.
template <class StoreT, class Cleanup>
std::shared_ptr<StoreT> with_cleanup(std::shared_ptr<StoreT> store, Cleanup cleanup) {
  struct Holder {
    Holder(std::shared_ptr<StoreT> s, Cleanup c) : store(std::move(s)), cleanup(std::move(c)) {}
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() { cleanup(store); }
    std::shared_ptr<StoreT> store;
    Cleanup cleanup;
  };
  auto holder = std::make_shared<Holder>(std::move(store), std::move(cleanup));
  return std::shared_ptr<StoreT>(holder, holder->store.get());
}

/// A fresh temporary folder path (not created) for SQLite files.
inline std::string temp_path(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/" + stem + "-" + random_token();
}

inline void remove_sqlite_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
}

#if defined(REVERIFY_TEST_WITH_SQLITE)
/// A store on a new SQLite file, deleted with the store.
inline std::shared_ptr<sqlite::SqliteStore> fresh_sqlite_store(sqlite::SqliteOptions options = {}) {
  const std::string path = temp_path("reverify-test") + ".db";
  auto store = sqlite::SqliteStore::open(path, options);
  REQUIRE(store.has_value());
  return with_cleanup(*store, [path](std::shared_ptr<sqlite::SqliteStore>& s) {
    s.reset();
    remove_sqlite_files(path);
  });
}
#endif

#if defined(REVERIFY_TEST_WITH_REDIS)
inline std::string redis_url() { return required_env("REVERIFY_TEST_REDIS_URL"); }

/// A store under a new random key prefix; its keys are deleted with the store.
inline std::shared_ptr<redis::RedisStore> fresh_redis_store(redis::RedisOptions options = {}, std::string prefix = {}) {
  options.key_prefix = prefix.empty() ? "reverify-test:" + random_token() + ":" : std::move(prefix);
  auto store = redis::RedisStore::connect(redis_url(), options);
  if (!store) FAIL("redis connect: " << store.error().message());
  return with_cleanup(*store, [](std::shared_ptr<redis::RedisStore>& s) { (void)s->delete_all_keys(); });
}
#endif

#if defined(REVERIFY_TEST_WITH_POSTGRES)
inline std::string postgres_url() { return required_env("REVERIFY_TEST_PG_URL"); }

/// A store in a new random schema, dropped with the store.
inline std::shared_ptr<postgres::PostgresStore> fresh_postgres_store(postgres::PostgresOptions options = {},
                                                                     std::string schema = {}) {
  options.schema = schema.empty() ? "reverify_test_" + random_token() : std::move(schema);
  auto store = postgres::PostgresStore::connect(postgres_url(), options);
  if (!store) FAIL("postgres connect: " << store.error().message());
  return with_cleanup(*store, [](std::shared_ptr<postgres::PostgresStore>& s) { (void)s->drop_schema(); });
}
#endif

}  // namespace reverify::test
