// A stored record whose kind or template type no release writes (a damaged row, or one written
// behind the store's back) is reported as store_unavailable by find(), never handed to the
// manager as a record of some kind. Built once per durable backend that keeps these as columns;
// the Redis store's value format has its own test (redis_record_codec_test.cpp).

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "backend_fixtures.hpp"

#if defined(REVERIFY_TEST_WITH_SQLITE)
#include <sqlite3.h>

#include "reverify/sqlite/sqlite_store.hpp"
#include "sqlite_sql.hpp"
#endif
#if defined(REVERIFY_TEST_WITH_POSTGRES)
#include "postgres_sql_session.hpp"
#include "reverify/postgres/postgres_store.hpp"
#endif

using namespace reverify;
using namespace std::chrono_literals;

namespace {

const Timestamp t0 = from_unix_ms(1'800'000'000'000);

VerificationRecord code_record(const std::string& id) {
  VerificationRecord record;
  record.id = id;
  record.user_id = "user-1";
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::bind_mfa;
  record.identifier = record.identifier_key = "someone@example.com";
  record.code_digest = Digest{};
  record.created_at = t0;
  record.expires_at = t0 + 10min;
  record.code_expires_at = t0 + 5min;
  return record;
}

/// find() on a record after `corrupt` rewrote the column named `column` to `value`.
template <class Corrupt>
void check_refused(Store& store, const char* column, int value, Corrupt&& corrupt) {
  CAPTURE(column, value);
  const std::string id = std::string("corrupt") + column[0] + std::to_string(value + 100) + "00000000000";
  REQUIRE(store.insert(code_record(id)).value());
  REQUIRE(store.find(id, t0).value().has_value());
  corrupt(id, column, value);
  const auto found = store.find(id, t0);
  REQUIRE_FALSE(found);
  CHECK(found.error().code() == Errc::store_unavailable);
  CHECK(found.error().message().find("malformed") != std::string::npos);
}

}  // namespace

#if defined(REVERIFY_TEST_WITH_SQLITE)
TEST_CASE("sqlite: a stored kind or template type no release writes is store_unavailable", "[backends][sqlite]") {
  const std::string path = test::temp_path("reverify-corrupt") + ".db";
  auto store = sqlite::SqliteStore::open(path);
  REQUIRE(store);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const auto corrupt = [db](const std::string& id, const char* column, int value) {
    const std::string sql = std::string("UPDATE reverify_records SET ") + column + " = " + std::to_string(value) +
                            " WHERE id = '" + id + "'";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_changes(db) == 1);
  };
  for (const int value : {0, 4, 255, -1}) {
    check_refused(**store, "kind", value, corrupt);
    check_refused(**store, "template_type", value, corrupt);
  }
  sqlite3_close(db);
  store->reset();
  test::remove_sqlite_files(path);
}

TEST_CASE("sqlite: a damaged code record still leaves with its slot row", "[backends][sqlite]") {
  // Deleting a record recomputes its code slot from its kind and template type; for a damaged
  // row the slot row is found by its holder instead, so neither cancel_code nor a purge leaves it.
  const std::string path = test::temp_path("reverify-corrupt-slot") + ".db";
  auto store = sqlite::SqliteStore::open(path);
  REQUIRE(store);
  const VerificationRecord record = code_record("corruptslot0000000000");
  const SendLimit limit{"send:email:someone@example.com", std::chrono::minutes(10), 10};
  REQUIRE((*store)->open_code(record, limit, true, t0).value().status == OpenStatus::opened);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const auto slot_rows = [db] {
    return test::sql_integer(db,
                             "SELECT count(*) FROM reverify_keys WHERE kind = 1 AND holder = 'corruptslot0000000000'");
  };
  REQUIRE(slot_rows() == 1);
  REQUIRE(sqlite3_exec(db, "UPDATE reverify_records SET kind = 9 WHERE id = 'corruptslot0000000000'", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  REQUIRE((*store)->cancel_code(record.id, limit.key, t0));
  CHECK(slot_rows() == 0);
  CHECK(test::sql_integer(db, "SELECT count(*) FROM reverify_records") == 0);
  sqlite3_close(db);
  store->reset();
  test::remove_sqlite_files(path);
}
#endif

#if defined(REVERIFY_TEST_WITH_POSTGRES)
TEST_CASE("postgres: a stored kind or template type no release writes is store_unavailable", "[backends][postgres]") {
  test::Sql sql("reverify_corrupt_" + test::random_token());
  postgres::PostgresOptions options;
  options.schema = sql.schema();
  auto store = postgres::PostgresStore::connect(test::postgres_url(), options);
  REQUIRE(store);
  const auto corrupt = [&sql](const std::string& id, const char* column, int value) {
    sql.exec(std::string("UPDATE @schema@.records SET ") + column + " = " + std::to_string(value) + " WHERE id = '" +
             id + "'");
  };
  for (const int value : {0, 4, 255, -1}) {
    check_refused(**store, "kind", value, corrupt);
    check_refused(**store, "template_type", value, corrupt);
  }
}
#endif
