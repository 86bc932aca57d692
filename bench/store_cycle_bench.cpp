// One send+verify cycle through a VerificationManager on each durable store, each beside the raw
// round trip of the client library it is built on, in the same run:
//   SQLite   single-row UPDATE on the same kind of WAL file
//   Redis    EVALSHA of a one-line HINCRBY script
//   Postgres prepared single-row UPDATE … RETURNING (its commit waits for the WAL flush; the
//            cycle is run with the default options and with flush_verified_marks)
// The ratio cycle / round trip is what docs/benchmarks.md reports. The counter store_calls is the
// number of Store operations one cycle makes. Redis and PostgreSQL read REVERIFY_TEST_REDIS_URL /
// REVERIFY_TEST_PG_URL (scripts/services.sh); unset, those benchmarks report an error.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "reverify/reverify.hpp"
#include "reverify/store_wrapper.hpp"

#if REVERIFY_HAS_SQLITE
#include <sqlite3.h>

#include "reverify/sqlite/sqlite_store.hpp"
#endif
#if REVERIFY_HAS_REDIS
#include <hiredis/hiredis.h>

#include "reverify/redis/redis_store.hpp"
#endif
#if REVERIFY_HAS_POSTGRES
#include <libpq-fe.h>

#include "reverify/postgres/postgres_store.hpp"
#endif

namespace {

using namespace reverify;

std::string token() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::to_string(engine());
}

/// Counts store operations, to report how many one cycle makes.
class CountingStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<std::uint64_t> calls{0};
  Result<bool> insert(const VerificationRecord& r) override { return ++calls, StoreWrapper::insert(r); }
  Result<OpenResult> open_code(const VerificationRecord& r, const SendLimit& l, bool p, Timestamp now) override {
    return ++calls, StoreWrapper::open_code(r, l, p, now);
  }
  Result<void> cancel_code(std::string_view id, std::string_view k, Timestamp at) override {
    return ++calls, StoreWrapper::cancel_code(id, k, at);
  }
  Result<std::optional<VerificationRecord>> find(std::string_view id, Timestamp now) override {
    return ++calls, StoreWrapper::find(id, now);
  }
  Result<CheckResult> check_code(const CodeCheck& c) override { return ++calls, StoreWrapper::check_code(c); }
  Result<bool> use(std::string_view id, std::uint32_t m, Timestamp now) override {
    return ++calls, StoreWrapper::use(id, m, now);
  }
  Result<FailureResult> count_failure(const LockoutRule& r, Timestamp now) override {
    return ++calls, StoreWrapper::count_failure(r, now);
  }
  Result<std::optional<Timestamp>> blocked_until(std::string_view k, Timestamp now) override {
    return ++calls, StoreWrapper::blocked_until(k, now);
  }
  Result<void> unblock(std::string_view k) override { return ++calls, StoreWrapper::unblock(k); }
};

/// Runs send_code + verify_code (right code) per iteration on `store`. No-op sender; no
/// password hashing is involved (codes are keyed BLAKE2b digests).
void run_cycles(benchmark::State& state, std::shared_ptr<Store> backend) {
  auto store = std::make_shared<CountingStore>(std::move(backend));
  auto code = std::make_shared<std::string>();
  Argon2idParams params;
  params.ops_limit = 1;
  params.mem_limit = std::size_t{8} * 1024 * 1024;
  Dependencies deps;
  deps.store = store;
  deps.hasher = Argon2idHasher::create(params).value();
  deps.sender = std::make_shared<CallbackSender>([code](const CodeMessage& m) -> Result<void> {
    *code = std::string(m.code.reveal());
    return {};
  });
  deps.clock = std::make_shared<SystemClock>();
  deps.peppers.peppers.push_back(Pepper::random(1));
  auto manager = VerificationManager::create(Policy{}, std::move(deps));
  if (!manager) {
    state.SkipWithError(manager.error().message().c_str());
    return;
  }
  const std::string run = token();
  std::uint64_t n = 0;
  std::uint64_t cycles = 0;
  const std::uint64_t calls_before = store->calls.load();
  for (auto _ : state) {
    // A new recipient each cycle keeps the per-recipient send limit out of the way.
    const std::string email = "b" + run + "-" + std::to_string(n++) + "@example.com";
    SendCodeRequest send;
    send.user_id = "bench-user";
    send.identifier = Identifier::email(email);
    send.owned_identifiers.push_back(send.identifier);
    auto sent = manager->send_code(send);
    if (!sent) {
      state.SkipWithError(sent.error().message().c_str());
      return;
    }
    VerifyCodeRequest verify;
    verify.record_id = sent->record_id;
    verify.identifier = send.identifier;
    verify.code = SecretString(*code);
    verify.user_id = "bench-user";
    auto verified = manager->verify_code(verify);
    if (!verified) {
      state.SkipWithError(verified.error().message().c_str());
      return;
    }
    ++cycles;
  }
  if (cycles > 0) {
    state.counters["store_calls"] =
        static_cast<double>(store->calls.load() - calls_before) / static_cast<double>(cycles);
  }
}

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

#if REVERIFY_HAS_SQLITE
std::string sqlite_path(const char* stem) { return std::string("/tmp/") + stem + "-" + token() + ".db"; }
void remove_sqlite(const std::string& path) {
  // Any of them may be missing already.
  for (const char* suffix : {"", "-wal", "-shm"}) static_cast<void>(std::remove((path + suffix).c_str()));
}

void BM_SqliteCycle(benchmark::State& state) {
  const std::string path = sqlite_path("reverify-bench");
  {
    auto store = sqlite::SqliteStore::open(path);
    if (!store) {
      state.SkipWithError(store.error().message().c_str());
      return;
    }
    run_cycles(state, *store);
  }
  remove_sqlite(path);
}
BENCHMARK(BM_SqliteCycle)->Unit(benchmark::kMicrosecond);

void BM_SqliteRoundTrip(benchmark::State& state) {
  const std::string path = sqlite_path("reverify-bench-raw");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
               "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO t VALUES (1, 0);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* update = nullptr;
  sqlite3_prepare_v2(db, "UPDATE t SET n = n + 1 WHERE id = ?1", -1, &update, nullptr);
  for (auto _ : state) {
    sqlite3_bind_int64(update, 1, 1);
    if (sqlite3_step(update) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
    sqlite3_reset(update);
  }
  sqlite3_finalize(update);
  sqlite3_close(db);
  remove_sqlite(path);
}
BENCHMARK(BM_SqliteRoundTrip)->Unit(benchmark::kMicrosecond);
#endif

#if REVERIFY_HAS_REDIS
void BM_RedisCycle(benchmark::State& state) {
  const char* url = env("REVERIFY_TEST_REDIS_URL");
  if (url == nullptr) {
    state.SkipWithError(
        "REVERIFY_TEST_REDIS_URL is not set (scripts/services.sh start; eval \"$(scripts/services.sh env)\")");
    return;
  }
  redis::RedisOptions options;
  options.key_prefix = "reverify-bench:" + token() + ":";
  auto store = redis::RedisStore::connect(url, options);
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  run_cycles(state, *store);
  (void)(*store)->delete_all_keys();
}
BENCHMARK(BM_RedisCycle)->Unit(benchmark::kMicrosecond);

void BM_RedisRoundTrip(benchmark::State& state) {
  const char* url = env("REVERIFY_TEST_REDIS_URL");
  if (url == nullptr) {
    state.SkipWithError("REVERIFY_TEST_REDIS_URL is not set");
    return;
  }
  // redis://HOST:PORT/DB: the bench servers use the simple form.
  std::string rest = std::string(url).substr(8);
  rest = rest.substr(0, rest.find('/'));
  const std::string host = rest.substr(0, rest.rfind(':'));
  const int port = static_cast<int>(std::strtol(rest.substr(rest.rfind(':') + 1).c_str(), nullptr, 10));
  redisContext* c = redisConnect(host.c_str(), port);
  if (c == nullptr || c->err != 0) {
    state.SkipWithError("cannot connect to redis");
    return;
  }
  auto* loaded =
      static_cast<redisReply*>(redisCommand(c, "SCRIPT LOAD %s", "return redis.call('HINCRBY', KEYS[1], 'n', 1)"));
  const std::string sha(loaded->str, loaded->len);
  freeReplyObject(loaded);
  const std::string key = "reverify-bench-raw:" + token();
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "EVALSHA %s 1 %s", sha.c_str(), key.c_str()));
    if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) state.SkipWithError("EVALSHA failed");
    freeReplyObject(reply);
  }
  freeReplyObject(redisCommand(c, "DEL %s", key.c_str()));
  redisFree(c);
}
BENCHMARK(BM_RedisRoundTrip)->Unit(benchmark::kMicrosecond);
#endif

#if REVERIFY_HAS_POSTGRES
/// The PostgreSQL cycle; `flush_verified_marks` as PostgresOptions has it.
void run_postgres_cycles(benchmark::State& state, bool flush_verified_marks) {
  const char* url = env("REVERIFY_TEST_PG_URL");
  if (url == nullptr) {
    state.SkipWithError(
        "REVERIFY_TEST_PG_URL is not set (scripts/services.sh start; eval \"$(scripts/services.sh env)\")");
    return;
  }
  postgres::PostgresOptions options;
  options.schema = "reverify_bench_" + token();
  options.flush_verified_marks = flush_verified_marks;
  auto store = postgres::PostgresStore::connect(url, options);
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  run_cycles(state, *store);
  (void)(*store)->drop_schema();
}

// Default options: a verified mark commits without waiting for its WAL flush (see PostgresOptions).
void BM_PostgresCycle(benchmark::State& state) { run_postgres_cycles(state, false); }
BENCHMARK(BM_PostgresCycle)->Unit(benchmark::kMicrosecond);

// flush_verified_marks = true: both of the cycle's commits wait for their flush, as the raw
// round trip's does.
void BM_PostgresCycleFlushed(benchmark::State& state) { run_postgres_cycles(state, true); }
BENCHMARK(BM_PostgresCycleFlushed)->Unit(benchmark::kMicrosecond);

void BM_PostgresRoundTrip(benchmark::State& state) {
  const char* url = env("REVERIFY_TEST_PG_URL");
  if (url == nullptr) {
    state.SkipWithError("REVERIFY_TEST_PG_URL is not set");
    return;
  }
  PGconn* conn = PQconnectdb(url);
  if (PQstatus(conn) != CONNECTION_OK) {
    state.SkipWithError("cannot connect to postgres");
    PQfinish(conn);
    return;
  }
  const std::string table = "reverify_bench_raw_" + token();
  PQclear(PQexec(conn, ("CREATE TABLE " + table + " (id bigint PRIMARY KEY, n bigint NOT NULL); INSERT INTO " + table +
                        " VALUES (1, 0)")
                           .c_str()));
  PQclear(
      PQprepare(conn, "bump", ("UPDATE " + table + " SET n = n + 1 WHERE id = $1 RETURNING n").c_str(), 1, nullptr));
  const char* id = "1";
  for (auto _ : state) {
    PGresult* result = PQexecPrepared(conn, "bump", 1, &id, nullptr, nullptr, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) state.SkipWithError(PQerrorMessage(conn));
    PQclear(result);
  }
  PQclear(PQexec(conn, ("DROP TABLE " + table).c_str()));
  PQfinish(conn);
}
BENCHMARK(BM_PostgresRoundTrip)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace

BENCHMARK_MAIN();
