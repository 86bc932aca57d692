#include "postgres_sql.hpp"

namespace reverify::postgres::detail {
namespace {

// A record that lost its code slot to a newer code while unverified counts as retired. Computed
// when read, so a newer code inserted concurrently (its row invisible to an older snapshot)
// still retires this one.
#define REVERIFY_PG_DISPLACED(r)                                  \
  "(" r ".slot IS NOT NULL AND NOT " r                            \
  ".verified AND EXISTS (SELECT 1 FROM :\"schema\".code_slots s " \
  "WHERE s.slot = " r ".slot AND s.record_id <> " r ".id))"

const std::array<StatementSource, statement_count> sources = {{
    {"reverify_insert",
     "INSERT INTO :\"schema\".records (id, user_id, kind, template_type, identifier, identifier_key, purpose, "
     "binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
     "verified, retired) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
     "ON CONFLICT (id) DO NOTHING RETURNING 1",
     17,
     {text_oid, text_oid, int2_oid, int2_oid, text_oid, text_oid, text_oid, bytea_oid, bytea_oid, int8_oid, int4_oid,
      int4_oid, int8_oid, int8_oid, int8_oid, bool_oid, bool_oid}},
    // Insert, take the slot (remembering its previous holder), retire that holder if unverified.
    {"reverify_insert_slot",
     "WITH ins AS ("
     "  INSERT INTO :\"schema\".records (id, user_id, kind, template_type, identifier, identifier_key, purpose, "
     "  binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at, "
     "  verified, retired, slot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
     "  $17, $18) ON CONFLICT (id) DO NOTHING RETURNING id, expires_at), "
     "held AS ("
     "  INSERT INTO :\"schema\".code_slots AS cs (slot, record_id, previous_id, expires_at) "
     "  SELECT $18, id, NULL, expires_at FROM ins "
     "  ON CONFLICT (slot) DO UPDATE SET previous_id = cs.record_id, record_id = EXCLUDED.record_id, "
     "  expires_at = GREATEST(cs.expires_at, EXCLUDED.expires_at) RETURNING previous_id), "
     "retired AS ("
     "  UPDATE :\"schema\".records r SET retired = true FROM held "
     "  WHERE r.id = held.previous_id AND NOT r.verified RETURNING 1) "
     "SELECT count(*) FROM ins",
     18,
     {text_oid, text_oid, int2_oid, int2_oid, text_oid, text_oid, text_oid, bytea_oid, bytea_oid, int8_oid, int4_oid,
      int4_oid, int8_oid, int8_oid, int8_oid, bool_oid, bool_oid, text_oid}},
    {"reverify_find",
     "SELECT r.user_id, r.kind, r.template_type, r.identifier, r.identifier_key, r.purpose, r.binding_digest, "
     "r.code_digest, r.pepper_id, r.attempts, r.use_count, r.created_at, r.expires_at, r.code_expires_at, "
     "r.verified, (r.retired OR " REVERIFY_PG_DISPLACED(
         "r") ") "
              "FROM :\"schema\".records r WHERE r.id = $1 AND r.expires_at > $2",
     2,
     {text_oid, int8_oid}},
    // Lock the row (FOR UPDATE reads its latest version), then count one attempt if allowed;
    // the outer SELECT reports the state it was decided on.
    {"reverify_spend_attempt",
     "WITH cur AS ("
     "  SELECT r.id, r.attempts, r.verified, (r.retired OR " REVERIFY_PG_DISPLACED(
         "r") ") AS retired, "
              "  r.expires_at > $2 AS live, r.code_digest, r.pepper_id "
              "  FROM :\"schema\".records r WHERE r.id = $1 FOR UPDATE), "
              "upd AS ("
              "  UPDATE :\"schema\".records r SET attempts = r.attempts + 1 FROM cur "
              "  WHERE r.id = cur.id AND cur.live AND NOT cur.retired AND NOT cur.verified AND cur.attempts < $3 "
              "  RETURNING r.attempts) "
              "SELECT cur.live, cur.retired, cur.verified, cur.attempts, cur.code_digest, cur.pepper_id, "
              "(SELECT attempts FROM upd) FROM cur",
     3,
     {text_oid, int8_oid, int4_oid}},
    {"reverify_mark_verified",
     "UPDATE :\"schema\".records r SET verified = true "
     "WHERE r.id = $1 AND r.expires_at > $2 AND NOT r.verified AND NOT r.retired "
     "AND NOT " REVERIFY_PG_DISPLACED("r") " RETURNING 1",
     2,
     {text_oid, int8_oid}},
    // A verified record never counts as displaced, so the flag alone decides here.
    {"reverify_use",
     "UPDATE :\"schema\".records r SET use_count = r.use_count + 1 "
     "WHERE r.id = $1 AND r.expires_at > $2 AND r.verified AND NOT r.retired "
     "AND ($3 = 0 OR r.use_count < $3) AND r.use_count < 2147483647 RETURNING 1",
     3,
     {text_oid, int8_oid, int8_oid}},
    {"reverify_retire", "UPDATE :\"schema\".records SET retired = true WHERE id = $1", 1, {text_oid}},
    // The key's row is locked by ON CONFLICT DO UPDATE, which sees its latest version: forget old
    // events, add this one if fewer than the limit remain, keep the array sorted.
    {"reverify_window_add",
     "INSERT INTO :\"schema\".windows AS w (key, events, counted, expires_at) "
     "VALUES ($1, CASE WHEN $4 > 0 THEN ARRAY[$2] ELSE '{}'::bigint[] END, $4 > 0, $2 + $3) "
     "ON CONFLICT (key) DO UPDATE SET "
     "  events = ARRAY(SELECT e FROM unnest(w.events || CASE WHEN "
     "    (SELECT count(*) FROM unnest(w.events) x WHERE x > $2 - $3) < $4 THEN ARRAY[$2] ELSE '{}'::bigint[] END) e "
     "    WHERE e > $2 - $3 ORDER BY e), "
     "  counted = (SELECT count(*) FROM unnest(w.events) x WHERE x > $2 - $3) < $4, "
     "  expires_at = GREATEST(w.expires_at, $2 + $3) "
     "RETURNING counted, cardinality(events), events[1]",
     4,
     {text_oid, int8_oid, int8_oid, int8_oid}},
    {"reverify_window_remove",
     "UPDATE :\"schema\".windows SET events = events[:array_position(events, $2) - 1] || "
     "events[array_position(events, $2) + 1:] WHERE key = $1 AND $2 = ANY (events)",
     2,
     {text_oid, int8_oid}},
    {"reverify_block",
     "INSERT INTO :\"schema\".blocks AS b (key, until) VALUES ($1, $2) "
     "ON CONFLICT (key) DO UPDATE SET until = GREATEST(b.until, EXCLUDED.until)",
     2,
     {text_oid, int8_oid}},
    {"reverify_blocked_until",
     "SELECT until FROM :\"schema\".blocks WHERE key = $1 AND until > $2",
     2,
     {text_oid, int8_oid}},
    {"reverify_unblock",
     "WITH b AS (DELETE FROM :\"schema\".blocks WHERE key = $1) DELETE FROM :\"schema\".windows WHERE key = $1",
     1,
     {text_oid}},
    // Bounded: records first, then window events (a window row whose events exceed what is left
    // of the budget loses only its oldest events), then blocks; rows in use are skipped. Code
    // slots are bookkeeping, deleted alongside (at most `limit`) but not counted as items.
    {"reverify_purge_expired",
     "WITH r AS (DELETE FROM :\"schema\".records WHERE id IN (SELECT id FROM :\"schema\".records "
     "  WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1), "
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
     "b AS (DELETE FROM :\"schema\".blocks WHERE key IN (SELECT key FROM :\"schema\".blocks WHERE until <= $1 "
     "  LIMIT GREATEST((SELECT left_over FROM rc) - (SELECT n FROM wc), 0) FOR UPDATE SKIP LOCKED) RETURNING 1), "
     "s AS (DELETE FROM :\"schema\".code_slots WHERE slot IN (SELECT slot FROM :\"schema\".code_slots "
     "  WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)) "
     "SELECT $2 - (SELECT left_over FROM rc) + (SELECT n FROM wc) + (SELECT count(*) FROM b)",
     2,
     {int8_oid, int8_oid}},
}};

#undef REVERIFY_PG_DISPLACED

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
  for (char c : schema) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace reverify::postgres::detail
