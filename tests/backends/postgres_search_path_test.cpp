// The PostgreSQL store's SQL must not resolve a built-in function through the session's
// search_path into a schema other roles can write: a role allowed to create functions in
// `public` (the default before PostgreSQL 15) could otherwise plant an exact-type overload of
// a polymorphic or implicitly cast built-in (hashtextextended, cardinality, width_bucket,
// array_position …), and PostgreSQL would call it inside our atomic steps (CVE-2018-1058's
// pattern). Here such overloads are planted in `public`, each raising if called, and the whole
// conformance suite runs against the store.

#include <catch2/catch.hpp>

#include <string>

#include "backend_fixtures.hpp"
#include "postgres_sql_session.hpp"
#include "reverify/postgres/postgres_store.hpp"
#include "reverify/testing/store_conformance.hpp"

namespace {

constexpr const char* planted[] = {
    "public.hashtextextended(text, integer) RETURNS bigint", "public.cardinality(bigint[]) RETURNS integer",
    "public.width_bucket(bigint, bigint[]) RETURNS integer", "public.array_position(bigint[], bigint) RETURNS integer",
    "public.array_position(text[], text) RETURNS integer",
};

/// Plants the overloads for its lifetime.
class PlantedFunctions {
 public:
  explicit PlantedFunctions(reverify::test::Sql& sql) : sql_(sql) {
    for (const char* signature : planted) {
      sql_.exec(std::string("CREATE OR REPLACE FUNCTION ") + signature +
                " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted function called'; END $$");
    }
  }
  PlantedFunctions(const PlantedFunctions&) = delete;
  PlantedFunctions& operator=(const PlantedFunctions&) = delete;
  ~PlantedFunctions() {
    for (const char* signature : planted) {
      const std::string name(signature, std::string(signature).find(')') + 1);
      sql_.exec_quietly("DROP FUNCTION IF EXISTS " + name);
    }
  }

 private:
  reverify::test::Sql& sql_;
};

}  // namespace

TEST_CASE("functions planted in public do not reach the PostgreSQL store's SQL", "[backends][postgres]") {
  reverify::test::Sql sql("reverify_search_path_" + reverify::test::random_token());
  const PlantedFunctions planted_functions(sql);
  reverify::testing::StoreCapabilities capabilities;
  reverify::testing::store_conformance([] { return reverify::test::fresh_postgres_store(); }, capabilities);
}
