#include "postgres_sql.hpp"

#include <algorithm>

namespace reverify::postgres::detail {
namespace {

// The multi-step operations are functions created with the schema (src/postgres/schema.sql):
// one statement each, and one transaction.
const std::array<StatementSource, statement_count> sources = {{
    {"reverify_insert",
     "INSERT INTO :\"schema\".records (id, user_id, kind, template_type, identifier, identifier_key, purpose, "
     "binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
     "verified, retired) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
     "ON CONFLICT (id) DO NOTHING RETURNING 1",
     17,
     {text_oid, text_oid, int2_oid, int2_oid, text_oid, text_oid, text_oid, bytea_oid, bytea_oid, int8_oid, int4_oid,
      int4_oid, int8_oid, int8_oid, int8_oid, bool_oid, bool_oid},
     false},
    {"reverify_open_code",
     "SELECT * FROM :\"schema\".open_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
     "$17, $18, $19, $20, $21, $22)",
     22,
     {text_oid, text_oid, int2_oid, int2_oid, text_oid, text_oid, text_oid, bytea_oid, bytea_oid, int8_oid, int4_oid,
      int4_oid, int8_oid, int8_oid, int8_oid, bool_oid, bool_oid, text_oid, text_oid,  int8_oid,  int8_oid, int8_oid},
     false},
    {"reverify_cancel_code", "SELECT :\"schema\".cancel_code($1, $2, $3)", 3, {text_oid, text_oid, int8_oid}, false},
    {"reverify_find",
     "SELECT r.user_id, r.kind, r.template_type, r.identifier, r.identifier_key, r.purpose, r.binding_digest, "
     "r.code_digest, r.pepper_id, r.attempts, r.use_count, r.created_at, r.expires_at, r.code_expires_at, "
     "r.verified, r.retired FROM :\"schema\".records r WHERE r.id = $1 AND r.expires_at > $2",
     2,
     {text_oid, int8_oid},
     true},
    {"reverify_check_code",
     "SELECT * FROM :\"schema\".check_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
     13,
     {text_oid, text_oid, int2_oid, text_oid, int8_array_oid, bytea_oid, bytea_oid, int8_oid, text_oid, int8_oid,
      int8_oid, int8_oid, int8_oid},
     false},
    {"reverify_use",
     "UPDATE :\"schema\".records r SET use_count = r.use_count + 1 "
     "WHERE r.id = $1 AND r.expires_at > $2 AND r.verified AND NOT r.retired "
     "AND ($3 = 0 OR r.use_count < $3) AND r.use_count < 2147483647 RETURNING 1",
     3,
     {text_oid, int8_oid, int8_oid},
     false},
    {"reverify_count_failure",
     "SELECT * FROM :\"schema\".count_failure($1, $2, $3, $4, $5)",
     5,
     {text_oid, int8_oid, int8_oid, int8_oid, int8_oid},
     false},
    {"reverify_blocked_until",
     "SELECT until FROM :\"schema\".blocks WHERE key = $1 AND until > $2",
     2,
     {text_oid, int8_oid},
     true},
    {"reverify_unblock", "SELECT :\"schema\".unblock($1)", 1, {text_oid}, true},
    // Bounded: records first (with the slot rows that name them), then window events (a window
    // row whose events exceed what is left of the budget loses only its oldest events), then
    // blocks; rows in use are skipped, never waited for. The rows to delete are picked in CTEs of
    // their own (rp, bp): inside the DELETE's IN, a nested-loop plan rescans the LIMIT subquery
    // once per row, skips the rows it has already deleted as locked by itself, and so deletes
    // past the budget (postgres_purge_test forces that plan). A locking CTE is never inlined.
    {"reverify_purge_expired",
     "WITH rp AS (SELECT id FROM :\"schema\".records WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED), "
     "r AS (DELETE FROM :\"schema\".records WHERE id IN (SELECT id FROM rp) RETURNING id, slot), "
     "rs AS (DELETE FROM :\"schema\".slots WHERE slot IN (SELECT s.slot FROM :\"schema\".slots s "
     "  JOIN r ON s.slot = r.slot AND s.holder = r.id FOR UPDATE OF s SKIP LOCKED)), "
     "rc AS (SELECT $2 - count(*) AS left_over FROM r), "
     "wl AS (SELECT key, cardinality(events)::bigint AS n FROM :\"schema\".windows WHERE expires_at <= $1 "
     "  ORDER BY key LIMIT (SELECT left_over FROM rc) FOR UPDATE SKIP LOCKED), "
     "ws AS (SELECT key, n, sum(n) OVER (ORDER BY key) AS cum FROM wl), "
     "wd AS (DELETE FROM :\"schema\".windows w USING ws WHERE w.key = ws.key "
     "  AND ws.cum <= (SELECT left_over FROM rc) RETURNING ws.n), "
     "wt AS (UPDATE :\"schema\".windows w "
     "  SET events = w.events[((SELECT left_over FROM rc) - (ws.cum - ws.n) + 1)::integer:] FROM ws "
     "  WHERE w.key = ws.key AND ws.cum > (SELECT left_over FROM rc) AND ws.cum - ws.n < (SELECT left_over FROM rc) "
     "  RETURNING (SELECT left_over FROM rc) - (ws.cum - ws.n) AS n), "
     "wc AS (SELECT coalesce((SELECT sum(n) FROM wd), 0) + coalesce((SELECT sum(n) FROM wt), 0) AS n), "
     "bp AS (SELECT key FROM :\"schema\".blocks WHERE until <= $1 "
     "  LIMIT GREATEST((SELECT left_over FROM rc) - (SELECT n FROM wc), 0) FOR UPDATE SKIP LOCKED), "
     "b AS (DELETE FROM :\"schema\".blocks WHERE key IN (SELECT key FROM bp) RETURNING 1) "
     "SELECT $2 - (SELECT left_over FROM rc) + (SELECT n FROM wc) + (SELECT count(*) FROM b)",
     2,
     {int8_oid, int8_oid},
     true},
}};

}  // namespace

const StatementSource& statement_source(StatementId id) noexcept { return sources[static_cast<std::size_t>(id)]; }

std::string with_schema(std::string_view sql, std::string_view schema) {
  constexpr std::string_view placeholder = ":\"schema\"";
  std::string out;
  out.reserve(sql.size() + 64);
  std::size_t from = 0;
  for (std::size_t at = sql.find(placeholder); at != std::string_view::npos; at = sql.find(placeholder, from)) {
    out.append(sql.substr(from, at - from));
    out += '"';
    out.append(schema);
    out += '"';
    from = at + placeholder.size();
  }
  out.append(sql.substr(from));
  return out;
}

bool valid_schema_name(std::string_view schema) noexcept {
  if (schema.empty() || schema.size() > 63 || (schema.front() >= '0' && schema.front() <= '9')) return false;
  return std::all_of(schema.begin(), schema.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace reverify::postgres::detail
