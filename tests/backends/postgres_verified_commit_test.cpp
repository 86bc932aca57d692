// PostgresOptions::flush_verified_marks: a check_code that marks a record verified commits with
// synchronous_commit = off unless the option asks to wait, and no other outcome ever does.
// Two ways in: the function called inside an explicit transaction on a plain connection that ran
// the store's own session settings (detail::session_settings), so the transaction's setting can be
// read back before it ends (then rolled back: the record stays as it was for the next case); and
// the store itself, in its own autocommit calls, watched by a deferred trigger that logs the
// setting its commit runs with.

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

struct Call {
  std::string id;
  std::string identifier_key = "email:a@example.com";
  std::string pepper_ids = "{7}";
  unsigned char offered = 0x5a;  // the record's digest is all 0x5a
  Timestamp now = t0 + 1min;
};

/// The SQL that calls check_code as `call` says, selecting its status.
std::string check_statement(const Call& call) {
  // id, user, kind, identifier key, pepper ids, digests, nonce, max attempts, lock key, window,
  // failures, block duration, now.
  return "SELECT out_status FROM @schema@.check_code('" + call.id + "', 'user-1', 2::smallint, '" +
         call.identifier_key + "', '" + call.pepper_ids + "'::bigint[], " + hex_bytes(call.offered) + ", " +
         hex_bytes(0x01) + ", 5, 'lock:email:a@example.com', 3600000, 100, 3600000, " +
         std::to_string(to_unix_ms(call.now)) + ")";
}

/// Runs check_code as `call` says in a transaction that is rolled back; returns "<status>
/// <untouched|rewritten: whether the record's row got a new version> <advisory locks the
/// transaction holds at the end>". A compared code always rewrites the row (its attempt is
/// counted first), and a wrong one takes the key's advisory lock.
std::string footprint_in_transaction(test::Sql& sql, const Call& call) {
  const std::string row = "SELECT ctid::text FROM @schema@.records WHERE id = '" + call.id + "'";
  sql.exec("BEGIN");
  const std::string before = sql.scalar(row);
  const std::string status = sql.scalar(check_statement(call));
  const std::string after = sql.scalar(row);
  const std::string locks =
      sql.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
  sql.exec("ROLLBACK");
  return status + (before == after ? " untouched " : " rewritten ") + locks;
}

/// Runs check_code as `call` says in a transaction that is rolled back; returns "<status> <the
/// transaction's synchronous_commit at the end of the call>". The session's own value is `on`.
std::string check_in_transaction(test::Sql& sql, const Call& call) {
  sql.exec("BEGIN");
  const std::string status = sql.scalar(check_statement(call));
  const std::string commit = sql.scalar("SHOW synchronous_commit");
  sql.exec("ROLLBACK");
  return status + " " + commit;
}

/// Logs, for every update of a record, the synchronous_commit its transaction commits with: a
/// deferred trigger runs at commit, after anything the function set.
void log_commit_settings(test::Sql& sql) {
  sql.exec("CREATE TABLE @schema@.commit_log (id text NOT NULL, verified boolean NOT NULL, sync text NOT NULL)");
  sql.exec(
      "CREATE FUNCTION @schema@.log_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO @schema@.commit_log VALUES (NEW.id, NEW.verified, current_setting('synchronous_commit')); "
      "RETURN NULL; END $$");
  sql.exec(
      "CREATE CONSTRAINT TRIGGER log_commit AFTER UPDATE ON @schema@.records DEFERRABLE INITIALLY DEFERRED "
      "FOR EACH ROW EXECUTE FUNCTION @schema@.log_commit()");
}

CodeCheck check_of(const VerificationRecord& record, unsigned char offered) {
  CodeCheck check;
  check.record_id = record.id;
  check.user_id = record.user_id;
  check.kind = record.kind;
  check.identifier_key = record.identifier_key;
  Digest digest{};
  digest.fill(offered);
  check.offered.push_back(OfferedDigest{7, digest});
  check.max_attempts = 5;
  check.lockout = LockoutRule{"lock:email:a@example.com", 1h, 100, 1h};
  check.now = t0 + 1min;
  return check;
}

CheckStatus checked(postgres::PostgresStore& store, const CodeCheck& check) {
  auto result = store.check_code(check);
  REQUIRE(result.has_value());
  return result->status;
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
  sql.exec("SET synchronous_commit = on");
  Call right;
  right.id = record.id;
  Call wrong = right;
  wrong.offered = 0x33;

  SECTION("default options: only the verified outcome turns synchronous_commit off") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    CHECK(check_in_transaction(sql, right) == "8 off");
    CHECK(check_in_transaction(sql, wrong) == "7 on");  // a mismatch is a counted failure
    Call missing = right;
    missing.id = "no-such-record";
    CHECK(check_in_transaction(sql, missing) == "0 on");
    Call other_identifier = right;
    other_identifier.identifier_key = "email:b@example.com";
    CHECK(check_in_transaction(sql, other_identifier) == "2 on");
    Call code_expired = right;
    code_expired.now = t0 + 11min;
    CHECK(check_in_transaction(sql, code_expired) == "3 on");
    Call unknown_pepper = right;
    unknown_pepper.pepper_ids = "{9}";
    CHECK(check_in_transaction(sql, unknown_pepper) == "6 on");
  }

  SECTION("flush_verified_marks: the verified outcome waits like every other") {
    postgres::PostgresOptions flushing;
    flushing.flush_verified_marks = true;
    sql.exec(postgres::detail::session_settings(flushing));
    CHECK(check_in_transaction(sql, right) == "8 on");
    CHECK(check_in_transaction(sql, wrong) == "7 on");
  }

  SECTION("a session that never set it (a client of an earlier build) waits") {
    CHECK(check_in_transaction(sql, right) == "8 on");
  }

  SECTION("a blocked key: the right code is refused, and the refusal waits") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    sql.exec("INSERT INTO @schema@.blocks VALUES ('lock:email:a@example.com', " + std::to_string(to_unix_ms(t0 + 1h)) +
             ")");
    CHECK(check_in_transaction(sql, right) == "4 on");
  }

  // Comparing during a block, even undone, let a right guess and a wrong one take different paths
  // (only the wrong one waited for the key's lock): guesses that spend nothing and can be told
  // apart by time. While blocked, neither code may touch the record or take the key's lock.
  SECTION("a blocked key: no code is compared, right or wrong") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    CHECK(footprint_in_transaction(sql, wrong) == "7 rewritten 1");  // the probe sees a comparison
    CHECK(footprint_in_transaction(sql, right) == "8 rewritten 0");
    sql.exec("INSERT INTO @schema@.blocks VALUES ('lock:email:a@example.com', " + std::to_string(to_unix_ms(t0 + 1h)) +
             ")");
    CHECK(footprint_in_transaction(sql, right) == "4 untouched 0");
    CHECK(footprint_in_transaction(sql, wrong) == "4 untouched 0");
  }

  SECTION("an exhausted record: even the right code is a counted failure, which waits") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    sql.exec("UPDATE @schema@.records SET attempts = 5 WHERE id = '" + record.id + "'");
    CHECK(check_in_transaction(sql, right) == "5 on");
  }

  SECTION("an already verified record: refused, and the refusal waits") {
    sql.exec(postgres::detail::session_settings(postgres::PostgresOptions{}));
    sql.exec("UPDATE @schema@.records SET verified = true WHERE id = '" + record.id + "'");
    CHECK(check_in_transaction(sql, right) == "1 on");
  }

  SECTION("the store's own calls commit as the option says") {
    INFO("the server's synchronous_commit must not be off, or this test cannot tell");
    // reset_val: what a session of this URL starts with (this session SET its own value to on).
    REQUIRE(sql.scalar("SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'") != "off");
    log_commit_settings(sql);
    VerificationRecord second = code_record();
    VerificationRecord third = code_record();
    REQUIRE(store->insert(second).value());
    REQUIRE(store->insert(third).value());

    CHECK(checked(*store, check_of(record, 0x5a)) == CheckStatus::verified);
    CHECK(checked(*store, check_of(second, 0x33)) == CheckStatus::mismatch);
    postgres::PostgresOptions flushing = options;
    flushing.flush_verified_marks = true;
    flushing.create_schema = false;
    auto flushing_store = postgres::PostgresStore::connect(test::postgres_url(), flushing);
    REQUIRE(flushing_store.has_value());
    CHECK(checked(**flushing_store, check_of(third, 0x5a)) == CheckStatus::verified);

    const std::string server = sql.scalar("SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'");
    CHECK(sql.scalar("SELECT string_agg(sync, ',') FROM @schema@.commit_log WHERE id = '" + record.id + "'") == "off");
    CHECK(sql.scalar("SELECT string_agg(sync, ',') FROM @schema@.commit_log WHERE id = '" + second.id + "'") == server);
    CHECK(sql.scalar("SELECT string_agg(sync, ',') FROM @schema@.commit_log WHERE id = '" + third.id + "'") == server);
    // The mark is there for everyone at once, and a second check is refused.
    CHECK(sql.scalar("SELECT verified FROM @schema@.records WHERE id = '" + record.id + "'") == "t");
    CHECK(checked(*store, check_of(record, 0x5a)) == CheckStatus::already_verified);
  }
}
