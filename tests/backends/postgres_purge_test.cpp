// PostgresStore::purge_expired never deletes more than its limit, whatever plan PostgreSQL picks.
// A DELETE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) run as a nested loop
// rescans the subquery once per row, skips the rows the DELETE has already taken (they are locked
// by itself) and reaches past n: the conformance suite's random sequence caught an 11 for a limit
// of 10 once, under TSan, when PostgreSQL happened to pick that plan. Here the session's planner
// is steered onto it for every call.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <string>

#include "backend_fixtures.hpp"
#include "reverify/postgres/postgres_store.hpp"

using namespace reverify;
using namespace std::chrono_literals;

namespace {

const Timestamp t0 = from_unix_ms(1'800'000'000'000);
constexpr int expired_records = 40;
constexpr int blocked_keys = 30;
// Each blocked key carries one window event and one block: an item each.
constexpr std::size_t due_items = expired_records + 2 * blocked_keys;

VerificationRecord expired_record(int n) {
  VerificationRecord record;
  record.id = "purgebound" + std::to_string(100000000000 + n);
  record.user_id = "user-" + std::to_string(n);
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = record.identifier_key = "user" + std::to_string(n) + "@example.com";
  record.code_digest = Digest{};
  record.created_at = t0;
  record.expires_at = t0 + 1s;
  record.code_expires_at = t0 + 1s;
  return record;
}

/// The test database's URL with planner settings that leave PostgreSQL only nested loops over
/// unmaterialised inner plans.
std::string nested_loop_url() {
  const std::string url = test::postgres_url();
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "options=-c%20enable_hashjoin%3Doff%20-c%20enable_mergejoin%3Doff%20-c%20enable_material%3Doff"
         "%20-c%20enable_hashagg%3Doff%20-c%20enable_sort%3Doff";
}

}  // namespace

TEST_CASE("PostgresStore::purge_expired deletes no more than its limit on a nested-loop plan", "[backends][postgres]") {
  postgres::PostgresOptions options;
  options.schema = "reverify_test_" + test::random_token();
  auto connected = postgres::PostgresStore::connect(nested_loop_url(), options);
  REQUIRE(connected);
  const auto store =
      test::with_cleanup(*connected, [](std::shared_ptr<postgres::PostgresStore>& s) { (void)s->drop_schema(); });

  for (int n = 0; n < expired_records; ++n) REQUIRE(store->insert(expired_record(n)).value());
  for (int n = 0; n < blocked_keys; ++n) {
    const std::string key = "lock:email:blocked" + std::to_string(n) + "@example.com";
    REQUIRE(store->count_failure(LockoutRule{key, 1s, 1, 1s}, t0).value().blocked_until);
  }

  const Timestamp later = t0 + 1h;
  constexpr std::size_t limit = 10;
  std::size_t purged = 0;
  for (std::size_t call = 0; call < due_items / limit; ++call) {
    INFO("call " << call);
    const auto result = store->purge_expired(later, limit);
    INFO((result ? std::string() : result.error().message()));
    const std::size_t now_purged = result.value();
    // On the old SQL the first call deleted all 40 records, then failed: "LIMIT must not be negative".
    CHECK(now_purged == limit);
    purged += now_purged;
  }
  CHECK(purged == due_items);
  CHECK(store->purge_expired(later, limit).value() == 0);
}
