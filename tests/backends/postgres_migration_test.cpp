// Schema migration of the PostgreSQL store: a schema written by version 1 (slot holders in a table
// `code_slots`, an unverified record displaced from its slot counting as retired without the flag
// saying so) or by version 2 (a slot's holder found through a partial index on records.slot)
// opens under the current version with its records, sends, failures and blocks meaning what they
// meant; opening it again changes nothing; a schema from a newer version is refused. Each test
// case works in its own fresh schema and drops it at the end.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "backend_fixtures.hpp"
#include "postgres_sql_session.hpp"
#include "reverify/postgres/postgres_store.hpp"
#include "testing/conformance_support.hpp"

using namespace reverify;
using namespace std::chrono_literals;
using reverify::test::Sql;

namespace {

constexpr std::int64_t t0_ms = 1'700'000'000'000;
const Timestamp t0 = from_unix_ms(t0_ms);

// The version 1 schema exactly as released (src/postgres/schema.sql at 83b76f0, comments left out),
// with @schema@ for the quoted schema name.
constexpr const char* v1_schema = R"sql(
CREATE SCHEMA IF NOT EXISTS @schema@;
CREATE TABLE IF NOT EXISTS @schema@.schema_version (
  version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS @schema@.records (
  id              text     PRIMARY KEY,
  user_id         text     NOT NULL,
  kind            smallint NOT NULL,
  template_type   smallint NOT NULL,
  identifier      text     NOT NULL,
  identifier_key  text     NOT NULL,
  purpose         text     NOT NULL,
  binding_digest  bytea,
  code_digest     bytea,
  pepper_id       bigint   NOT NULL,
  attempts        integer  NOT NULL,
  use_count       integer  NOT NULL,
  created_at      bigint   NOT NULL,
  expires_at      bigint   NOT NULL,
  code_expires_at bigint   NOT NULL,
  verified        boolean  NOT NULL,
  retired         boolean  NOT NULL,
  slot            text
);
CREATE INDEX IF NOT EXISTS records_expires_at ON @schema@.records (expires_at);
CREATE TABLE IF NOT EXISTS @schema@.code_slots (
  slot        text   PRIMARY KEY,
  record_id   text   NOT NULL,
  previous_id text,
  expires_at  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS code_slots_expires_at ON @schema@.code_slots (expires_at);
CREATE TABLE IF NOT EXISTS @schema@.windows (
  key        text     PRIMARY KEY,
  events     bigint[] NOT NULL,
  counted    boolean  NOT NULL,
  expires_at bigint   NOT NULL
);
CREATE INDEX IF NOT EXISTS windows_expires_at ON @schema@.windows (expires_at);
CREATE TABLE IF NOT EXISTS @schema@.blocks (
  key   text   PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_until ON @schema@.blocks (until);
INSERT INTO @schema@.schema_version (version)
  SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM @schema@.schema_version);
)sql";

// The version 2 tables exactly as released (src/postgres/schema.sql at 04ca76a, comments and
// functions left out: the current build replaces the functions, whose signatures are unchanged).
constexpr const char* v2_schema = R"sql(
CREATE SCHEMA IF NOT EXISTS @schema@;
CREATE TABLE IF NOT EXISTS @schema@.schema_version (
  version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS @schema@.records (
  id              text     PRIMARY KEY,
  user_id         text     NOT NULL,
  kind            smallint NOT NULL,
  template_type   smallint NOT NULL,
  identifier      text     NOT NULL,
  identifier_key  text     NOT NULL,
  purpose         text     NOT NULL,
  binding_digest  bytea,
  code_digest     bytea,
  pepper_id       bigint   NOT NULL,
  attempts        integer  NOT NULL,
  use_count       integer  NOT NULL,
  created_at      bigint   NOT NULL,
  expires_at      bigint   NOT NULL,
  code_expires_at bigint   NOT NULL,
  verified        boolean  NOT NULL,
  retired         boolean  NOT NULL,
  slot            text
);
CREATE INDEX IF NOT EXISTS records_expires_at ON @schema@.records (expires_at);
CREATE INDEX IF NOT EXISTS records_slot ON @schema@.records (slot) WHERE slot IS NOT NULL;
CREATE TABLE IF NOT EXISTS @schema@.windows (
  key        text     PRIMARY KEY,
  events     bigint[] NOT NULL,
  counted    boolean  NOT NULL,
  expires_at bigint   NOT NULL
);
CREATE INDEX IF NOT EXISTS windows_expires_at ON @schema@.windows (expires_at);
CREATE TABLE IF NOT EXISTS @schema@.blocks (
  key   text   PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_until ON @schema@.blocks (until);
INSERT INTO @schema@.schema_version (version)
  SELECT 2 WHERE NOT EXISTS (SELECT 1 FROM @schema@.schema_version);
)sql";

std::string ms(Timestamp at) { return std::to_string(to_unix_ms(at)); }

std::string fresh_schema() { return "reverify_migration_" + test::random_token(); }

Digest digest_of(unsigned char fill) {
  Digest digest{};
  digest.fill(fill);
  return digest;
}

std::string sql_bytes(const std::optional<Digest>& digest) {
  if (!digest) return "NULL";
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "decode('";
  for (unsigned char byte : *digest) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out + "', 'hex')";
}

std::string sql_bool(bool value) { return value ? "true" : "false"; }

// An email code sent at `created` for `user_id` to `identifier`, code digest filled with `code`.
VerificationRecord code_record(std::string id, std::string user_id, const std::string& identifier, unsigned char code,
                               Timestamp created) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = std::move(user_id);
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = identifier;
  record.identifier_key = "email:" + identifier;
  record.purpose = "payment";
  record.binding_digest = digest_of(0xb1);
  record.code_digest = digest_of(code);
  record.pepper_id = 7;
  record.created_at = created;
  record.expires_at = created + 1h;
  record.code_expires_at = created + 10min;
  return record;
}

// A records row as version 1 wrote it; `slot` empty for a code opened without retire_previous.
void insert_v1_record(Sql& sql, const VerificationRecord& r, const std::string& slot) {
  sql.exec("INSERT INTO @schema@.records VALUES ('" + r.id + "', '" + r.user_id + "', " +
           std::to_string(static_cast<int>(r.kind)) + ", " + std::to_string(static_cast<int>(r.template_type)) + ", '" +
           r.identifier + "', '" + r.identifier_key + "', '" + r.purpose + "', " + sql_bytes(r.binding_digest) + ", " +
           sql_bytes(r.code_digest) + ", " + std::to_string(r.pepper_id) + ", " + std::to_string(r.attempts) + ", " +
           std::to_string(r.use_count) + ", " + ms(r.created_at) + ", " + ms(r.expires_at) + ", " +
           ms(r.code_expires_at) + ", " + sql_bool(r.verified) + ", " + sql_bool(r.retired) + ", " +
           (slot.empty() ? std::string("NULL") : "'" + slot + "'") + ")");
}

// Slot 1 (user-1, a@example.com): R, then A, then B were opened with retire_previous. A retired
// R explicitly; B took the slot from A while A's row was not yet visible to its statement, so A's
// flag stayed false: version 1 read A as retired because code_slots names B. N went to the same
// address without retire_previous (no slot). Slot 2 (user-2, b@example.com): V was verified, then
// W took the slot (a verified record is never displaced).
struct V1State {
  VerificationRecord r = code_record("r000000000000000000000", "user-1", "a@example.com", 0x90, t0 - 2min);
  VerificationRecord a = code_record("a000000000000000000000", "user-1", "a@example.com", 0xa0, t0);
  VerificationRecord b = code_record("b000000000000000000000", "user-1", "a@example.com", 0xc0, t0 + 1s);
  VerificationRecord n = code_record("n000000000000000000000", "user-1", "a@example.com", 0xf0, t0 + 1s);
  VerificationRecord v = code_record("v000000000000000000000", "user-2", "b@example.com", 0xd0, t0 - 1min);
  VerificationRecord w = code_record("w000000000000000000000", "user-2", "b@example.com", 0xe0, t0);

  V1State() {
    r.retired = true;
    b.attempts = 1;
    n.binding_digest = std::nullopt;
    v.attempts = 1;
    v.verified = true;
    v.use_count = 1;
  }
};

void write_v1_schema(Sql& sql, const V1State& s) {
  sql.exec(v1_schema);
  const std::string slot1 = s.b.code_slot();
  const std::string slot2 = s.w.code_slot();
  REQUIRE(slot1 == s.a.code_slot());
  REQUIRE(slot2 == s.v.code_slot());
  insert_v1_record(sql, s.r, slot1);
  insert_v1_record(sql, s.a, slot1);
  insert_v1_record(sql, s.b, slot1);
  insert_v1_record(sql, s.n, "");
  insert_v1_record(sql, s.v, slot2);
  insert_v1_record(sql, s.w, slot2);
  sql.exec("INSERT INTO @schema@.code_slots VALUES ('" + slot1 + "', '" + s.b.id + "', '" + s.a.id + "', " +
           ms(s.b.expires_at) + "), ('" + slot2 + "', '" + s.w.id + "', '" + s.v.id + "', " + ms(s.w.expires_at) + ")");
  // Sends of a@example.com at t0 and t0 + 1 s in a 60 s window; one failure of its lock key in a
  // 15 min window and a block until t0 + 5 min; a block that has ended.
  sql.exec("INSERT INTO @schema@.windows VALUES ('send:email:a@example.com', ARRAY[" + ms(t0) + ", " + ms(t0 + 1s) +
           "]::bigint[], true, " + ms(t0 + 61s) + "), ('lock:email:a@example.com', ARRAY[" + ms(t0) +
           "]::bigint[], true, " + ms(t0 + 15min) + ")");
  sql.exec("INSERT INTO @schema@.blocks VALUES ('lock:email:a@example.com', " + ms(t0 + 5min) + "), ('lock:ended', " +
           ms(t0 - 1ms) + ")");
}

std::shared_ptr<postgres::PostgresStore> connect(const std::string& schema) {
  postgres::PostgresOptions options;
  options.schema = schema;
  options.pool_size = 2;
  auto store = postgres::PostgresStore::connect(test::postgres_url(), options);
  if (!store) FAIL("postgres connect: " << store.error().message());
  return *store;
}

VerificationRecord found(postgres::PostgresStore& store, const std::string& id, Timestamp now) {
  auto result = store.find(id, now);
  REQUIRE(result.has_value());
  REQUIRE(result->has_value());
  return **result;
}

CodeCheck check_of(const VerificationRecord& record, std::string_view lock_key, Timestamp now) {
  CodeCheck check;
  check.record_id = record.id;
  check.user_id = record.user_id;
  check.kind = record.kind;
  check.identifier_key = record.identifier_key;
  check.offered.push_back(OfferedDigest{7, *record.code_digest});
  check.max_attempts = 5;
  check.lockout = LockoutRule{lock_key, 15min, 10, 1h};
  check.now = now;
  return check;
}

CheckResult checked(postgres::PostgresStore& store, const CodeCheck& check) {
  auto result = store.check_code(check);
  REQUIRE(result.has_value());
  return *result;
}

const SendLimit send_a{"send:email:a@example.com", 60s, 3};
const SendLimit send_b{"send:email:b@example.com", 60s, 3};

}  // namespace

TEST_CASE("a version 1 PostgreSQL schema opens migrated, its state intact", "[backends][postgres]") {
  Sql sql(fresh_schema());
  const V1State s;
  write_v1_schema(sql, s);
  // Version 1 left A's flag false (code_slots said it was displaced).
  CHECK(sql.scalar("SELECT retired FROM @schema@.records WHERE id = '" + s.a.id + "'") == "f");
  const Timestamp now = t0 + 2s;
  {
    auto store = connect(sql.schema());
    CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") ==
          std::to_string(postgres::PostgresStore::schema_version));
    CHECK(sql.scalar("SELECT to_regclass('@schema@.code_slots')") == "<null>");
    CHECK(sql.scalar("SELECT retired FROM @schema@.records WHERE id = '" + s.a.id + "'") == "t");

    // Every column of a record survives.
    testing::detail::check_same_record(found(*store, s.b.id, now), s.b);
    CHECK(found(*store, s.n.id, now).binding_digest == std::nullopt);

    // A lost its slot to B: it comes out retired, and its correct code no longer verifies. R was
    // retired already; N never had a slot; V is verified, so W's taking the slot left it usable.
    CHECK(found(*store, s.a.id, now).retired);
    CHECK(found(*store, s.r.id, now).retired);
    CHECK_FALSE(found(*store, s.n.id, now).retired);
    CHECK_FALSE(found(*store, s.w.id, now).retired);
    const VerificationRecord v = found(*store, s.v.id, now);
    CHECK(v.verified);
    CHECK_FALSE(v.retired);
    CHECK(v.use_count == 1);
    const CheckResult on_a = checked(*store, check_of(s.a, "lock:other", now));
    CHECK(on_a.status == CheckStatus::not_found);
    CHECK(found(*store, s.a.id, now).attempts == 0);
    auto used = store->use(s.v.id, 0, now);
    REQUIRE(used.has_value());
    CHECK(*used);
    CHECK(found(*store, s.v.id, now).use_count == 2);
    CHECK_FALSE(store->use(s.w.id, 0, now).value());

    // The block and the failure carried over; the ended block is not in force.
    CHECK(store->blocked_until("lock:email:a@example.com", now).value() == std::optional<Timestamp>(t0 + 5min));
    CHECK(store->blocked_until("lock:ended", now).value() == std::nullopt);
    const CheckResult blocked = checked(*store, check_of(s.b, "lock:email:a@example.com", now));
    CHECK(blocked.status == CheckStatus::blocked);
    CHECK(blocked.blocked_until == std::optional<Timestamp>(t0 + 5min));
    CHECK(found(*store, s.b.id, now).attempts == 1);
    auto failure = store->count_failure(LockoutRule{"lock:email:a@example.com", 15min, 10, 1h}, now);
    REQUIRE(failure.has_value());
    CHECK(failure->failures == 2);

    // The two sends count in their window, and B is the slot's holder: a new code retires B (not
    // the slot-less N); a send beyond the limit is refused and leaves the new holder alone.
    const VerificationRecord c = code_record("c000000000000000000000", "user-1", "a@example.com", 0xc1, now);
    auto opened = store->open_code(c, send_a, true, now);
    REQUIRE(opened.has_value());
    CHECK(opened->status == OpenStatus::opened);
    CHECK(opened->sends == 3);
    CHECK(opened->oldest == t0);
    CHECK(found(*store, s.b.id, now).retired);
    CHECK(found(*store, s.a.id, now).retired);
    CHECK_FALSE(found(*store, s.n.id, now).retired);
    CHECK(checked(*store, check_of(s.b, "lock:other", now)).status == CheckStatus::not_found);
    const VerificationRecord d = code_record("d000000000000000000000", "user-1", "a@example.com", 0xd1, now + 1s);
    auto refused = store->open_code(d, send_a, true, now + 1s);
    REQUIRE(refused.has_value());
    CHECK(refused->status == OpenStatus::rate_limited);
    CHECK(refused->sends == 3);
    CHECK_FALSE(found(*store, c.id, now + 1s).retired);
    const CheckResult on_c = checked(*store, check_of(c, "lock:other", now + 2s));
    CHECK(on_c.status == CheckStatus::verified);
    CHECK(on_c.attempts == 1);
    const CheckResult on_n = checked(*store, check_of(s.n, "lock:other", now + 2s));
    CHECK(on_n.status == CheckStatus::verified);

    // Slot 2: W is its holder; a new code retires W and leaves the verified V usable.
    const VerificationRecord x = code_record("x000000000000000000000", "user-2", "b@example.com", 0xe1, now + 2s);
    auto opened_x = store->open_code(x, send_b, true, now + 2s);
    REQUIRE(opened_x.has_value());
    CHECK(opened_x->status == OpenStatus::opened);
    CHECK(opened_x->sends == 1);
    CHECK(found(*store, s.w.id, now + 2s).retired);
    const VerificationRecord v_after = found(*store, s.v.id, now + 2s);
    CHECK(v_after.verified);
    CHECK_FALSE(v_after.retired);
    CHECK(store->use(s.v.id, 0, now + 2s).value());
  }

  // Opening the migrated schema again is a no-op: the version, the records' states, the sends and
  // the block stay as they were.
  {
    auto store = connect(sql.schema());
    const Timestamp later = t0 + 5s;
    CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") ==
          std::to_string(postgres::PostgresStore::schema_version));
    CHECK(found(*store, s.a.id, later).retired);
    CHECK(found(*store, s.b.id, later).retired);
    CHECK(found(*store, "c000000000000000000000", later).verified);
    CHECK_FALSE(found(*store, "x000000000000000000000", later).retired);
    CHECK(found(*store, s.v.id, later).use_count == 3);
    const VerificationRecord e = code_record("e000000000000000000000", "user-1", "a@example.com", 0xe2, later);
    auto refused = store->open_code(e, send_a, true, later);
    REQUIRE(refused.has_value());
    CHECK(refused->status == OpenStatus::rate_limited);
    CHECK(refused->sends == 3);
    CHECK(store->blocked_until("lock:email:a@example.com", later).value() == std::optional<Timestamp>(t0 + 5min));

    // At t0 + 2 h everything has expired; the purge counts window events one by one: 8 records
    // (R, A, B, N, V, W, C, X), 3 sends of a@example.com, 1 of b@example.com, 2 failures and 2
    // blocks.
    auto purged = store->purge_expired(t0 + 2h, 1000);
    REQUIRE(purged.has_value());
    CHECK(*purged == 16);
    CHECK(store->purge_expired(t0 + 2h, 1000).value() == 0);
  }
}

// Version 2 rows: slot 1 (user-1, a@example.com) got R (retired by A), then A, its holder; N went
// to the same address without retire_previous. Slot 2 (user-2, b@example.com): its last record V
// is verified, so it has no holder. Sends of a@example.com at t0 and t0 + 1 s (60 s window).
struct V2State {
  VerificationRecord r = code_record("r000000000000000000000", "user-1", "a@example.com", 0x90, t0 - 2min);
  VerificationRecord a = code_record("a000000000000000000000", "user-1", "a@example.com", 0xa0, t0);
  VerificationRecord n = code_record("n000000000000000000000", "user-1", "a@example.com", 0xf0, t0 + 1s);
  VerificationRecord v = code_record("v000000000000000000000", "user-2", "b@example.com", 0xd0, t0 - 1min);

  V2State() {
    r.retired = true;
    a.attempts = 1;
    v.attempts = 1;
    v.verified = true;
  }
};

void write_v2_schema(Sql& sql, const V2State& s) {
  sql.exec(v2_schema);
  insert_v1_record(sql, s.r, s.r.code_slot());  // the records table is the same in both versions
  insert_v1_record(sql, s.a, s.a.code_slot());
  insert_v1_record(sql, s.n, "");
  insert_v1_record(sql, s.v, s.v.code_slot());
  sql.exec("INSERT INTO @schema@.windows VALUES ('send:email:a@example.com', ARRAY[" + ms(t0) + ", " + ms(t0 + 1s) +
           "]::bigint[], true, " + ms(t0 + 61s) + ")");
}

TEST_CASE("a version 2 PostgreSQL schema opens migrated, its slot holders named", "[backends][postgres]") {
  Sql sql(fresh_schema());
  const V2State s;
  write_v2_schema(sql, s);
  const Timestamp now = t0 + 2s;
  {
    auto store = connect(sql.schema());
    CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") ==
          std::to_string(postgres::PostgresStore::schema_version));
    CHECK(sql.scalar("SELECT to_regclass('@schema@.records_slot')") == "<null>");
    CHECK(sql.scalar("SELECT string_agg(holder, ',') FROM @schema@.slots") == s.a.id);
    CHECK(sql.scalar("SELECT slot FROM @schema@.slots") == s.a.code_slot());

    // A is its slot's holder: a new code retires it (not the slot-less N, nor R again), and A's
    // right code no longer verifies. A send beyond the limit is refused and leaves C alone.
    const VerificationRecord c = code_record("c000000000000000000000", "user-1", "a@example.com", 0xc1, now);
    auto opened = store->open_code(c, send_a, true, now);
    REQUIRE(opened.has_value());
    CHECK(opened->status == OpenStatus::opened);
    CHECK(opened->sends == 3);
    CHECK(found(*store, s.a.id, now).retired);
    CHECK(found(*store, s.a.id, now).attempts == 1);
    CHECK(found(*store, s.r.id, now).retired);
    CHECK_FALSE(found(*store, s.n.id, now).retired);
    CHECK(checked(*store, check_of(s.a, "lock:other", now)).status == CheckStatus::not_found);
    const VerificationRecord d = code_record("d000000000000000000000", "user-1", "a@example.com", 0xd1, now + 1s);
    auto refused = store->open_code(d, send_a, true, now + 1s);
    REQUIRE(refused.has_value());
    CHECK(refused->status == OpenStatus::rate_limited);
    CHECK_FALSE(found(*store, c.id, now + 1s).retired);
    CHECK(sql.scalar("SELECT string_agg(holder, ',') FROM @schema@.slots") == c.id);
    CHECK(checked(*store, check_of(s.n, "lock:other", now + 1s)).status == CheckStatus::verified);

    // Slot 2 had no holder: a new code there leaves the verified V usable.
    const VerificationRecord x = code_record("x000000000000000000000", "user-2", "b@example.com", 0xe1, now);
    auto opened_x = store->open_code(x, send_b, true, now);
    REQUIRE(opened_x.has_value());
    CHECK(opened_x->status == OpenStatus::opened);
    const VerificationRecord v = found(*store, s.v.id, now);
    CHECK(v.verified);
    CHECK_FALSE(v.retired);
    CHECK(store->use(s.v.id, 0, now).value());

    // Cancelling X drops its slot's row with it; the next code of slot 2 has nothing to retire.
    REQUIRE(store->cancel_code(x.id, send_b.key, now).has_value());
    CHECK(sql.scalar("SELECT count(*) FROM @schema@.slots WHERE slot = '" + x.code_slot() + "'") == "0");
    const VerificationRecord y = code_record("y000000000000000000000", "user-2", "b@example.com", 0xe2, now + 1s);
    auto opened_y = store->open_code(y, send_b, true, now + 1s);
    REQUIRE(opened_y.has_value());
    CHECK(opened_y->status == OpenStatus::opened);
    CHECK(opened_y->sends == 1);
    CHECK(checked(*store, check_of(y, "lock:other", now + 1s)).status == CheckStatus::verified);
  }

  // Opening it again changes nothing; at t0 + 2 h everything has expired: 6 records (R, A, N, V,
  // C, Y) and 4 sends (3 of a@example.com, Y's of b@example.com); the slot rows go with their
  // holders.
  {
    auto store = connect(sql.schema());
    CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") ==
          std::to_string(postgres::PostgresStore::schema_version));
    CHECK(found(*store, s.a.id, now).retired);
    CHECK_FALSE(found(*store, "c000000000000000000000", now).retired);
    auto purged = store->purge_expired(t0 + 2h, 1000);
    REQUIRE(purged.has_value());
    CHECK(*purged == 10);
    CHECK(store->purge_expired(t0 + 2h, 1000).value() == 0);
    CHECK(sql.scalar("SELECT count(*) FROM @schema@.slots") == "0");
  }
}

TEST_CASE("two stores opening one version 1 schema at once migrate it once", "[backends][postgres]") {
  Sql sql(fresh_schema());
  const V1State s;
  write_v1_schema(sql, s);
  std::optional<Result<std::shared_ptr<postgres::PostgresStore>>> first;
  std::optional<Result<std::shared_ptr<postgres::PostgresStore>>> second;
  postgres::PostgresOptions options;
  options.schema = sql.schema();
  options.pool_size = 1;
  const std::string url = test::postgres_url();
  std::thread other([&] { second = postgres::PostgresStore::connect(url, options); });
  first = postgres::PostgresStore::connect(url, options);
  other.join();
  REQUIRE(first->has_value());
  REQUIRE(second->has_value());
  CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") ==
        std::to_string(postgres::PostgresStore::schema_version));
  CHECK(found(*first->value(), s.a.id, t0 + 2s).retired);
  CHECK_FALSE(found(*second->value(), s.b.id, t0 + 2s).retired);
}

TEST_CASE("a version 1 PostgreSQL schema is not migrated when create_schema is off", "[backends][postgres]") {
  Sql sql(fresh_schema());
  write_v1_schema(sql, V1State{});
  postgres::PostgresOptions options;
  options.schema = sql.schema();
  options.create_schema = false;
  auto store = postgres::PostgresStore::connect(test::postgres_url(), options);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code() == Errc::invalid_configuration);
  CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") == "1");
  CHECK(sql.scalar("SELECT to_regclass('@schema@.code_slots') IS NOT NULL") == "t");
}

TEST_CASE("a PostgreSQL schema from a newer schema version is refused and left alone", "[backends][postgres]") {
  Sql sql(fresh_schema());
  const std::string newer = std::to_string(postgres::PostgresStore::schema_version + 1);
  sql.exec(
      "CREATE SCHEMA @schema@; CREATE TABLE @schema@.schema_version (version integer NOT NULL); "
      "INSERT INTO @schema@.schema_version VALUES (" +
      newer + ")");
  postgres::PostgresOptions options;
  options.schema = sql.schema();
  auto store = postgres::PostgresStore::connect(test::postgres_url(), options);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code() == Errc::invalid_configuration);
  CHECK_THAT(store.error().message(), Catch::Matchers::Contains("version " + newer));
  // Nothing of this build's schema was written into it.
  CHECK(sql.scalar("SELECT string_agg(version::text, ',') FROM @schema@.schema_version") == newer);
  CHECK(sql.scalar("SELECT to_regclass('@schema@.records')") == "<null>");
  CHECK(sql.scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = '@schema@'::regnamespace") == "0");
}
