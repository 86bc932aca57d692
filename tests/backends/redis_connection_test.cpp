// How the Redis store treats its connections: a timed-out command is never sent twice (it would
// count twice once the server catches up), a pooled connection the server closed while idle is
// replaced before anything is written, and a corrupt record is store_unavailable. Runs on a
// private redis-server (scripts/services.sh with its own folder and port): CLIENT PAUSE and
// CLIENT KILL would disturb the shared one.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "backend_fixtures.hpp"
#include "reverify/redis/redis_store.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {

constexpr const char* port = "16382";

class PrivateRedis {
 public:
  PrivateRedis() : dir_(test::temp_path("reverify-redis-connection")) {}
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;
  ~PrivateRedis() { (void)services("clean"); }

  [[nodiscard]] int start() const { return services("start"); }
  [[nodiscard]] static std::string url() { return std::string("redis://127.0.0.1:") + port + "/0"; }
  /// Runs one redis-cli command against this server.
  [[nodiscard]] static int cli(const std::string& args) {
    return std::system(("redis-cli -h 127.0.0.1 -p " + std::string(port) + " " + args + " >/dev/null 2>&1").c_str());
  }

 private:
  [[nodiscard]] int services(const char* action) const {
    const std::string command = "REVERIFY_SERVICES_DIR='" + dir_ + "' REVERIFY_REDIS_PORT=" + port + " '" +
                                REVERIFY_SERVICES_SCRIPT "' " + action + " redis 2>&1";
    return std::system(command.c_str());
  }
  std::string dir_;
};

/// One pooled connection, under a key prefix of its own.
redis::RedisOptions one_connection() {
  redis::RedisOptions options;
  options.key_prefix = "reverify-connection-test:" + test::random_token() + ":";
  options.pool_size = 1;
  return options;
}

std::shared_ptr<redis::RedisStore> connect(std::chrono::milliseconds command_timeout) {
  redis::RedisOptions options = one_connection();
  options.command_timeout = command_timeout;
  auto store = redis::RedisStore::connect(PrivateRedis::url(), options);
  if (!store) FAIL("redis connect: " << store.error().message());
  return *store;
}

const Timestamp t0 = from_unix_ms(1'700'000'000'000);
const LockoutRule rule{"lock:email:someone@example.com", 1h, 100, 1h};

}  // namespace

TEST_CASE("redis: a timed-out command is not sent again, a closed idle connection is replaced", "[backends][redis]") {
  PrivateRedis server;
  REQUIRE(server.start() == 0);

  SECTION("timeout") {
    auto store = connect(150ms);
    auto first = store->count_failure(rule, t0);
    REQUIRE(first.has_value());
    CHECK(first->failures == 1);

    // A slow script keeps the server busy for 600 ms: the call times out on the reused
    // connection, but its command was written and runs once the server is free again.
    REQUIRE(std::system(("redis-cli -h 127.0.0.1 -p " + std::string(port) +
                         " EVAL \"local s = redis.call('TIME') while true do local n = redis.call('TIME') "
                         "if (n[1] - s[1]) * 1000000 + n[2] - s[2] > 600000 then return 1 end end\" 0 "
                         ">/dev/null 2>&1 &")
                            .c_str()) == 0);
    std::this_thread::sleep_for(100ms);
    auto timed_out = store->count_failure(rule, t0);
    REQUIRE_FALSE(timed_out.has_value());
    CHECK(timed_out.error() == Errc::store_unavailable);
    CHECK_THAT(timed_out.error().message(), Catch::Contains("count_failure") && Catch::Contains("timed out"));
    std::this_thread::sleep_for(900ms);

    // Sent once, counted once: a resend on a fresh connection would have made this 4.
    auto after = store->count_failure(rule, t0);
    REQUIRE(after.has_value());
    CHECK(after->failures == 3);
  }

  SECTION("idle connection closed by the server") {
    auto store = connect(2000ms);
    REQUIRE(store->count_failure(rule, t0).has_value());
    REQUIRE(PrivateRedis::cli("CLIENT KILL TYPE normal SKIPME yes") == 0);
    // Idle for longer than the store trusts a connection that just answered without probing it.
    std::this_thread::sleep_for(700ms);

    // The probe finds the closed socket before writing: the call succeeds on a new connection,
    // counted exactly once.
    auto after = store->count_failure(rule, t0);
    REQUIRE(after.has_value());
    CHECK(after->failures == 2);
  }

  SECTION("connection closed by the server right after it answered") {
    auto store = connect(2000ms);
    REQUIRE(store->count_failure(rule, t0).has_value());
    REQUIRE(PrivateRedis::cli("CLIENT KILL TYPE normal SKIPME yes") == 0);

    // Within the no-probe window the command goes to the dead socket: it never reached a
    // server, so the call is store_unavailable and nothing is counted (never twice).
    auto lost = store->count_failure(rule, t0);
    if (lost) {
      CHECK(lost->failures == 2);  // the CLI took longer than the window: probed and replaced
    } else {
      CHECK(lost.error() == Errc::store_unavailable);
      auto after = store->count_failure(rule, t0);
      REQUIRE(after.has_value());
      CHECK(after->failures == 2);
    }
  }

  SECTION("a send that fails on the previous holder's key leaves nothing written") {
    // A script's error does not undo its earlier writes, so open_code reads everything that can
    // fail before it writes. Here the slot's holder is not a record string (WRONGTYPE).
    auto store = connect(2000ms);
    const auto code = [](const char* id) {
      VerificationRecord r;
      r.id = id;
      r.user_id = "user-1";
      r.kind = RecordKind::email_verification_code;
      r.identifier = r.identifier_key = "someone@example.com";
      r.code_digest = Digest{};
      r.created_at = t0;
      r.expires_at = t0 + 10min;
      r.code_expires_at = t0 + 5min;
      return r;
    };
    const SendLimit limit{"send:email:someone@example.com", 1h, 2};
    const VerificationRecord a = code("holderaaaaaaaaaaaaaaa");
    REQUIRE(store->open_code(a, limit, true, t0).value().status == OpenStatus::opened);
    const std::string a_key = "'" + store->key_prefix() + "r:" + a.id + "'";
    REQUIRE(PrivateRedis::cli("DEL " + a_key) == 0);
    REQUIRE(PrivateRedis::cli("HSET " + a_key + " not a-record") == 0);

    const VerificationRecord b = code("refusedbbbbbbbbbbbbbb");
    auto refused = store->open_code(b, limit, true, t0);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error() == Errc::store_unavailable);
    auto b_found = store->find(b.id, t0);
    REQUIRE(b_found.has_value());
    CHECK_FALSE(b_found->has_value());  // no orphan record

    // With the bad key gone, the next send is the second one, not the third: b was not counted.
    REQUIRE(PrivateRedis::cli("DEL " + a_key) == 0);
    auto next = store->open_code(code("nextcccccccccccccccccc"), limit, true, t0);
    REQUIRE(next.has_value());
    CHECK(next->status == OpenStatus::opened);
    CHECK(next->sends == 2);
  }

  SECTION("a corrupt record is store_unavailable, not an answer") {
    auto store = connect(2000ms);
    VerificationRecord record;
    record.id = "corruptrecord00000000";
    record.user_id = "user-1";
    record.kind = RecordKind::email_verification_code;
    record.identifier = record.identifier_key = "someone@example.com";
    record.code_digest = Digest{};
    record.created_at = t0;
    record.expires_at = t0 + 10min;
    record.code_expires_at = t0 + 5min;
    REQUIRE(store->insert(record).value());
    // Attempts overwritten by text: the value no longer has the record layout.
    REQUIRE(PrivateRedis::cli("SETRANGE '" + store->key_prefix() + "r:" + record.id + "' 0 not-a-record") == 0);

    CodeCheck check;
    check.record_id = record.id;
    check.user_id = record.user_id;
    check.kind = record.kind;
    check.identifier_key = record.identifier_key;
    check.offered = {OfferedDigest{0, Digest{}}};
    check.max_attempts = 5;
    check.lockout = rule;
    check.now = t0;
    auto checked = store->check_code(check);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error() == Errc::store_unavailable);
    CHECK_THAT(checked.error().message(), Catch::StartsWith("redis check_code"));
    auto found = store->find(record.id, t0);
    REQUIRE_FALSE(found.has_value());
    CHECK(found.error() == Errc::store_unavailable);
  }
}

TEST_CASE("redis: a password holding '/', '%', ':' and '@' authenticates when written percent-encoded",
          "[backends][redis]") {
  PrivateRedis server;
  REQUIRE(server.start() == 0);
  // An ACL user whose password holds every character the URL grammar gives a meaning to.
  REQUIRE(PrivateRedis::cli("ACL SETUSER reverify-url on '>Pw/1%2F:x@y' '~*' '+@all'") == 0);
  const std::string where = std::string("@127.0.0.1:") + port + "/0";

  const redis::RedisOptions options = one_connection();
  auto store = redis::RedisStore::connect("redis://reverify-url:Pw%2F1%252F:x@y" + where, options);
  REQUIRE(store);
  auto counted = (*store)->count_failure(rule, t0);
  REQUIRE(counted.has_value());
  CHECK(counted->failures == 1);

  // The same password unescaped is another one to the server (or no URL at all): refused, and
  // the refusal does not repeat it.
  for (const std::string& url :
       {"redis://reverify-url:Pw%2F1%2F:x@y" + where, "redis://reverify-url:Pw/1%2F:x@y" + where}) {
    CAPTURE(url);
    const auto refused = redis::RedisStore::connect(url, options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("Pw") == std::string::npos);
  }
}
