// PostgresOptions::flush_verified_marks: a check_code that marks a record verified commits with
// synchronous_commit = off unless the option asks to wait, and no other outcome ever does. The
// function is called inside an explicit transaction on a plain connection that ran the store's own
// session settings (detail::session_settings), so the transaction's synchronous_commit can be read
// back before it ends; it is rolled back, and the record stays as it was for the next case.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "backend_fixtures.hpp"
#include "postgres/postgres_session.hpp"
#include "postgres_sql_session.hpp"
#include "reverify/postgres/postgres_store.hpp"

namespace {

using namespace reverify;
using namespace std::chrono_literals;

const Timestamp t0 = from_unix_ms(1'700'000'000'000);

std::string hex_bytes(unsigned char fill) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "decode('";
  for (int i = 0; i < 32; ++i) {
    out += digits[fill >> 4];
    out += digits[fill & 15];
  }
  return out + "', 'hex')";
}

VerificationRecord code_record() {
  VerificationRecord record;
  record.id = "vc" + test::random_token();
  record.user_id = "user-1";
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = "a@example.com";
  record.identifier_key = "email:a@example.com";
  Digest digest{};
  digest.fill(0x5a);
  record.code_digest = digest;
  record.pepper_id = 7;
  record.created_at = t0;
  record.expires_at = t0 + 1h;
  record.code_expires_at = t0 + 10min;
  return record;
}

/// Calls check_code on `record` with a digest filled with `offered` in a transaction that is
/// rolled back; returns "<status> <synchronous_commit at the end of the call>".
std::string check_in_transaction(test::Sql& sql, const VerificationRecord& record, unsigned char offered) {
  // id, user, kind, identifier key, pepper ids, digests, nonce, max attempts, lock key, window,
  // failures, block duration, now.
  const std::string call = "SELECT out_status FROM @schema@.check_code('" + record.id +
                           "', 'user-1', 2::smallint, 'email:a@example.com', '{7}'::bigint[], " + hex_bytes(offered) +
                           ", " + hex_bytes(0x01) + ", 5, 'lock:email:a@example.com', 3600000, 100, 3600000, " +
                           std::to_string(to_unix_ms(t0 + 1min)) + ")";
  sql.exec("BEGIN");
  const std::string status = sql.scalar(call);
  const std::string commit = sql.scalar("SHOW synchronous_commit");
  sql.exec("ROLLBACK");
  return status + " " + commit;
}

}  // namespace

TEST_CASE("a verified mark commits without waiting for its WAL flush unless flush_verified_marks asks",
          "[backends][postgres]") {
  const std::string schema = "reverify_commit_" + test::random_token();
  postgres::PostgresOptions options;
  options.schema = schema;
  options.pool_size = 1;
  auto store = test::fresh_postgres_store(options, schema);
  const VerificationRecord record = code_record();
  REQUIRE(store->insert(record).value());
  test::Sql sql(schema);

  SECTION("default options: only the verified outcome turns synchronous_commit off") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    CHECK(check_in_transaction(sql, record, 0x5a) == "8 off");
    CHECK(check_in_transaction(sql, record, 0x33) == "7 on");  // mismatch: the failure waits
  }

  SECTION("flush_verified_marks: the verified outcome waits like every other") {
    postgres::PostgresOptions flushing;
    flushing.flush_verified_marks = true;
    sql.exec(postgres::detail::session_settings(flushing));
    CHECK(check_in_transaction(sql, record, 0x5a) == "8 on");
    CHECK(check_in_transaction(sql, record, 0x33) == "7 on");
  }

  SECTION("a session that never set it (a client of an earlier build) waits") {
    CHECK(check_in_transaction(sql, record, 0x5a) == "8 on");
  }

  SECTION("a blocked key: the right code is refused, and the refusal waits") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    sql.exec("INSERT INTO @schema@.blocks VALUES ('lock:email:a@example.com', " + std::to_string(to_unix_ms(t0 + 1h)) +
             ")");
    CHECK(check_in_transaction(sql, record, 0x5a) == "4 on");
  }

  SECTION("an exhausted record: even the right code is a counted failure, which waits") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    sql.exec("UPDATE @schema@.records SET attempts = 5 WHERE id = '" + record.id + "'");
    CHECK(check_in_transaction(sql, record, 0x5a) == "5 on");
  }

  SECTION("through the store, the verified mark is kept and read back") {
    CodeCheck check;
    check.record_id = record.id;
    check.user_id = record.user_id;
    check.kind = record.kind;
    check.identifier_key = record.identifier_key;
    check.offered.push_back(OfferedDigest{7, *record.code_digest});
    check.max_attempts = 5;
    check.lockout = LockoutRule{"lock:email:a@example.com", 1h, 100, 1h};
    check.now = t0 + 1min;
    auto checked = store->check_code(check);
    REQUIRE(checked.has_value());
    CHECK(checked->status == CheckStatus::verified);
    CHECK(sql.scalar("SELECT verified FROM @schema@.records WHERE id = '" + record.id + "'") == "t");
    auto again = store->check_code(check);
    REQUIRE(again.has_value());
    CHECK(again->status == CheckStatus::already_verified);
  }
}
