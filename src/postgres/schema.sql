-- reverify PostgreSQL store, schema version 3 (PostgreSQL 11 or later).
--
-- PostgresStore creates this itself on first use (PostgresOptions::create_schema). Teams that
-- manage schemas themselves apply it once with psql and connect with create_schema = false:
--
--   psql "$DATABASE_URL" -v schema=reverify -f share/reverify/postgres-schema.sql
--
-- Applying it again is harmless; applied to a version 1 or 2 schema it migrates it to version 3.
-- Times are milliseconds since the Unix epoch (bigint), always supplied by the caller's Clock.
--
-- Locking (READ COMMITTED): every statement inside a function takes a fresh snapshot, so a
-- function that first locks what it decides on reads the latest committed state. Locks are always
-- taken in one order, so two calls never wait for each other in a cycle: a code slot (its
-- `slots` row), then record rows (FOR UPDATE / UPDATE / DELETE), then a window or block key
-- (advisory, or the row lock of INSERT … ON CONFLICT DO UPDATE on a `windows` row). Purge skips
-- locked rows instead of waiting.

CREATE SCHEMA IF NOT EXISTS :"schema";

CREATE TABLE IF NOT EXISTS :"schema".schema_version (
  version integer NOT NULL
);

-- One row per verification record. A code is stored only as its keyed digest.
CREATE TABLE IF NOT EXISTS :"schema".records (
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
  slot            text     -- code slot (user, kind, identifier, template) when opened with retire_previous
);
CREATE INDEX IF NOT EXISTS records_expires_at ON :"schema".records (expires_at);

-- One row per code slot: `holder` is the id of the record last opened in it with retire_previous
-- (every earlier one is retired or verified); a newer code retires it if it is still unverified.
-- `previous` is the holder the last send replaced (open_code reads it back from its upsert). A
-- row goes with its holder (cancel_code, purge); no index besides the key, so a send writes one
-- more row instead of one more index entry of every record.
CREATE TABLE IF NOT EXISTS :"schema".slots (
  slot     text PRIMARY KEY,
  holder   text NOT NULL,
  previous text
);

-- Rolling windows (sends and lockout failures): all events of one key in one sorted array.
CREATE TABLE IF NOT EXISTS :"schema".windows (
  key        text     PRIMARY KEY,
  events     bigint[] NOT NULL,
  counted    boolean  NOT NULL,  -- whether the last update added its event (open_code)
  expires_at bigint   NOT NULL   -- when every event has left every window seen
);
CREATE INDEX IF NOT EXISTS windows_expires_at ON :"schema".windows (expires_at);

CREATE TABLE IF NOT EXISTS :"schema".blocks (
  key   text   PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_until ON :"schema".blocks (until);

-- Functions. psql does not expand :"schema" inside a function body, and a `SET search_path` clause
-- costs every call a configuration save and restore, so the bodies are written with @schema@
-- (the quoted schema name) and @name@ (the name as a string literal) and created by
-- create_functions(), which substitutes them: each body names its tables outright.
--
-- Advisory locks: pg_advisory_xact_lock(hashtextextended('<schema>/key/' || key, 0)) serialises
-- the calls on one window/block key until the transaction ends. A window
-- update forgets the events that left the window, adds the new one and keeps the array sorted; it
-- is written out in each function because PL/pgSQL keeps its statements' plans. The array is sorted,
-- so width_bucket(t, events) (a binary search) is the number of events at or before t: the events
-- after `now - window` are a slice, and `now` goes in after the events at or before it. Plain
-- expressions, no subqueries: the statement's plan has no sort, aggregate or unnest nodes to set up
-- on every call.
CREATE OR REPLACE FUNCTION :"schema".create_functions() RETURNS void
LANGUAGE plpgsql SET search_path = :"schema", pg_temp AS $create$
DECLARE
  fn text;
BEGIN
  FOREACH fn IN ARRAY ARRAY[
-- count_failure: one failure of `f_key` at `f_now`; blocks the key until f_now + f_duration
-- (keeping a later end) when `f_failures` or more are in the window.
$fn$
CREATE OR REPLACE FUNCTION @schema@.count_failure(f_key text, f_window bigint, f_failures bigint,
    f_duration bigint, f_now bigint, OUT out_failures integer, OUT out_blocked_until bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(@name@ || '/key/' || f_key, 0));
  INSERT INTO @schema@.windows AS w (key, events, counted, expires_at)
    VALUES (f_key, ARRAY[f_now], true, f_now + f_window)
  ON CONFLICT (key) DO UPDATE SET
    events = w.events[width_bucket(f_now - f_window, w.events) + 1 : width_bucket(f_now, w.events)]
             || f_now || w.events[width_bucket(f_now, w.events) + 1 :],
    counted = true,
    expires_at = GREATEST(w.expires_at, f_now + f_window)
  RETURNING cardinality(w.events) INTO out_failures;
  IF out_failures >= f_failures THEN
    INSERT INTO @schema@.blocks AS b (key, until) VALUES (f_key, f_now + f_duration)
    ON CONFLICT (key) DO UPDATE SET until = GREATEST(b.until, EXCLUDED.until)
    RETURNING b.until INTO out_blocked_until;
  END IF;
END;
$$
$fn$,
-- open_code: out_status 0 opened, 1 rate_limited, 2 id_taken. `o_slot` is NULL when the record
-- does not retire the previous holder of its code slot. With a slot: one upsert makes the record
-- the slot's holder and returns the one it replaced, holding the slot row's lock (so the sends of
-- one slot take turns); the next statement, with a fresh snapshot, sees that holder even if it
-- was committed after the upsert began, and retires it if it is still unverified (the record lock
-- comes after the slot's and before the window row's, in the common order). Then one statement
-- inserts the record and, when it was inserted, counts the send (the window row's lock makes the
-- count exact). A refused send deletes the record it inserted, un-retires the holder and gives
-- the slot back to it, still under their locks: the transaction changes nothing.
$fn$
CREATE OR REPLACE FUNCTION @schema@.open_code(o_id text, o_user_id text, o_kind smallint,
    o_template_type smallint, o_identifier text, o_identifier_key text, o_purpose text, o_binding_digest bytea,
    o_code_digest bytea, o_pepper_id bigint, o_attempts integer, o_use_count integer, o_created_at bigint,
    o_expires_at bigint, o_code_expires_at bigint, o_verified boolean, o_retired boolean, o_slot text,
    o_key text, o_window bigint, o_limit bigint, o_now bigint,
    OUT out_status smallint, OUT out_sends integer, OUT out_oldest bigint)
LANGUAGE plpgsql AS $$
DECLARE
  added boolean;
  replaced text;
  retired_replaced boolean := false;
BEGIN
  out_status := 2;
  out_sends := 0;
  IF o_slot IS NOT NULL THEN
    INSERT INTO @schema@.slots AS s (slot, holder, previous) VALUES (o_slot, o_id, NULL)
    ON CONFLICT (slot) DO UPDATE SET previous = s.holder, holder = EXCLUDED.holder
    RETURNING s.previous INTO replaced;
    IF replaced IS NOT NULL THEN
      UPDATE @schema@.records r SET retired = true
        WHERE r.id = replaced AND r.slot = o_slot AND NOT r.verified AND NOT r.retired;
      retired_replaced := FOUND;
    END IF;
  END IF;
  WITH inserted AS (
    INSERT INTO @schema@.records (id, user_id, kind, template_type, identifier, identifier_key, purpose,
        binding_digest, code_digest, pepper_id, attempts, use_count, created_at, expires_at, code_expires_at,
        verified, retired, slot)
      VALUES (o_id, o_user_id, o_kind, o_template_type, o_identifier, o_identifier_key, o_purpose, o_binding_digest,
        o_code_digest, o_pepper_id, o_attempts, o_use_count, o_created_at, o_expires_at, o_code_expires_at,
        o_verified, o_retired, o_slot)
    ON CONFLICT (id) DO NOTHING
    RETURNING 1)
  INSERT INTO @schema@.windows AS w (key, events, counted, expires_at)
    SELECT o_key, CASE WHEN o_limit > 0 THEN ARRAY[o_now] ELSE '{}'::bigint[] END, o_limit > 0, o_now + o_window
      FROM inserted
  ON CONFLICT (key) DO UPDATE SET
    events = CASE WHEN cardinality(w.events) - width_bucket(o_now - o_window, w.events) < o_limit
               THEN w.events[width_bucket(o_now - o_window, w.events) + 1 : width_bucket(o_now, w.events)]
                    || o_now || w.events[width_bucket(o_now, w.events) + 1 :]
               ELSE w.events[width_bucket(o_now - o_window, w.events) + 1 :] END,
    counted = cardinality(w.events) - width_bucket(o_now - o_window, w.events) < o_limit,
    expires_at = GREATEST(w.expires_at, o_now + o_window)
  RETURNING w.counted, cardinality(w.events), w.events[1] INTO added, out_sends, out_oldest;
  IF FOUND AND added THEN
    out_status := 0;
    RETURN;
  END IF;
  IF FOUND THEN
    DELETE FROM @schema@.records r WHERE r.id = o_id;
    out_status := 1;
  ELSE
    out_sends := 0;  -- RETURNING … INTO set it to NULL
  END IF;
  IF o_slot IS NOT NULL THEN
    -- The replaced holder gets the slot back unless a purge took its record meanwhile.
    IF replaced IS NOT NULL THEN
      UPDATE @schema@.slots s SET holder = replaced, previous = NULL
        WHERE s.slot = o_slot AND EXISTS (SELECT 1 FROM @schema@.records r WHERE r.id = replaced);
    END IF;
    IF replaced IS NULL OR NOT FOUND THEN
      DELETE FROM @schema@.slots s WHERE s.slot = o_slot;
    END IF;
    IF retired_replaced THEN
      UPDATE @schema@.records r SET retired = false WHERE r.id = replaced;
    END IF;
  END IF;
END;
$$
$fn$,
-- cancel_code: deletes the record, its slot's row if it still names it (the slot row's lock
-- first, in the common order), and one event of `c_key` stamped `c_at`.
$fn$
CREATE OR REPLACE FUNCTION @schema@.cancel_code(c_id text, c_key text, c_at bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  c_slot text;
BEGIN
  SELECT r.slot INTO c_slot FROM @schema@.records r WHERE r.id = c_id;
  IF c_slot IS NOT NULL THEN
    DELETE FROM @schema@.slots s WHERE s.slot = c_slot AND s.holder = c_id;
  END IF;
  DELETE FROM @schema@.records r WHERE r.id = c_id;
  PERFORM pg_advisory_xact_lock(hashtextextended(@name@ || '/key/' || c_key, 0));
  UPDATE @schema@.windows w
    SET events = w.events[:array_position(w.events, c_at) - 1] || w.events[array_position(w.events, c_at) + 1:]
    WHERE w.key = c_key AND c_at = ANY (w.events);
END;
$$
$fn$,
-- check_code: out_status 0 not_found, 1 already_verified, 2 identifier_mismatch, 3 code_expired,
-- 4 blocked, 5 exhausted, 6 unknown_pepper, 7 mismatch, 8 verified. `k_digests` holds one
-- 32-byte digest per entry of `k_pepper_ids`, in the same order.
--
-- The common case is one UPDATE: a record that passes every refusal before the block check (the
-- UPDATE re-checks them on the latest version of the row, under its lock), of a key not blocked,
-- counts one attempt and is marked verified if the code matches. A blocked key never gets that
-- far: a code is not compared (nor a key lock taken only for a wrong one) while its target is
-- blocked, so guesses during a block neither spend attempts nor differ in time. The UPDATE's
-- own block test reads the snapshot taken before it waited for the row, so the block is read
-- again by a statement that starts after the record's lock, which sees every earlier check of
-- that record; a block found only then undoes the update, still under the lock. Any other
-- record is decided by the general path below, which locks it and reads it afresh.
--
-- bytea = stops at the first differing byte (memcmp). Comparing hashes keyed by a fresh random
-- nonce from the client makes that timing independent of the stored digest.
--
-- A verified outcome commits without waiting for its WAL flush when the session's
-- reverify.verified_commit is 'async' (the store sets it unless PostgresOptions::
-- flush_verified_marks): losing such a commit in a server crash leaves the record unverified,
-- which refuses. Every other outcome (a counted failure above all) waits for its flush.
$fn$
CREATE OR REPLACE FUNCTION @schema@.check_code(k_id text, k_user_id text, k_kind smallint,
    k_identifier_key text, k_pepper_ids bigint[], k_digests bytea, k_nonce bytea, k_max_attempts bigint,
    k_key text, k_window bigint, k_failures bigint, k_duration bigint, k_now bigint,
    OUT out_status smallint, OUT out_attempts integer, OUT out_failures integer, OUT out_blocked_until bigint)
LANGUAGE plpgsql AS $$
DECLARE
  r @schema@.records%ROWTYPE;
  offered integer;
  matched boolean;
BEGIN
  out_status := 0;
  out_attempts := 0;
  out_failures := 0;
  UPDATE @schema@.records x SET
      attempts = x.attempts + 1,
      verified = x.code_digest IS NOT NULL
        AND sha256(k_nonce || x.code_digest) = sha256(k_nonce || substring(k_digests
              FROM (array_position(k_pepper_ids, x.pepper_id) - 1) * 32 + 1 FOR 32))
    WHERE x.id = k_id AND x.expires_at > k_now AND NOT x.retired AND x.user_id = k_user_id AND x.kind = k_kind
      AND NOT x.verified AND x.identifier_key = k_identifier_key AND k_now <= x.code_expires_at
      AND x.attempts < k_max_attempts AND array_position(k_pepper_ids, x.pepper_id) IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM @schema@.blocks b WHERE b.key = k_key AND b.until > k_now)
    RETURNING x.attempts, x.verified INTO out_attempts, matched;
  IF FOUND THEN
    IF matched THEN
      -- Only reads the key, so it needs no key lock.
      SELECT b.until INTO out_blocked_until FROM @schema@.blocks b WHERE b.key = k_key AND b.until > k_now;
      IF NOT FOUND THEN
        out_status := 8;
        IF current_setting('reverify.verified_commit', true) = 'async' THEN
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        RETURN;
      END IF;
    ELSE
      -- A failure is counted: the block check and the count must see the same state of the key.
      PERFORM pg_advisory_xact_lock(hashtextextended(@name@ || '/key/' || k_key, 0));
      SELECT b.until INTO out_blocked_until FROM @schema@.blocks b WHERE b.key = k_key AND b.until > k_now;
      IF NOT FOUND THEN
        out_status := 7;
        SELECT f.out_failures, f.out_blocked_until INTO out_failures, out_blocked_until
          FROM @schema@.count_failure(k_key, k_window, k_failures, k_duration, k_now) f;
        RETURN;
      END IF;
    END IF;
    UPDATE @schema@.records x SET attempts = x.attempts - 1, verified = false WHERE x.id = k_id;
    out_attempts := out_attempts - 1;
    out_status := 4;
    RETURN;
  END IF;
  out_attempts := 0;  -- RETURNING … INTO set it to NULL
  SELECT * INTO r FROM @schema@.records x WHERE x.id = k_id FOR UPDATE;
  IF NOT FOUND OR r.expires_at <= k_now OR r.retired OR r.user_id <> k_user_id OR r.kind <> k_kind THEN
    RETURN;
  END IF;
  out_attempts := r.attempts;
  IF r.verified THEN
    out_status := 1;
    RETURN;
  END IF;
  IF r.identifier_key <> k_identifier_key THEN
    out_status := 2;
    RETURN;
  END IF;
  IF k_now > r.code_expires_at THEN
    out_status := 3;
    RETURN;
  END IF;
  -- Read after the record's lock: this statement's snapshot sees every earlier check of it.
  SELECT b.until INTO out_blocked_until FROM @schema@.blocks b WHERE b.key = k_key AND b.until > k_now;
  IF FOUND THEN
    out_status := 4;
    RETURN;
  END IF;
  offered := array_position(k_pepper_ids, r.pepper_id);
  IF r.attempts < k_max_attempts AND offered IS NULL THEN
    out_status := 6;
    RETURN;
  END IF;
  IF r.attempts < k_max_attempts AND r.code_digest IS NOT NULL
     AND sha256(k_nonce || r.code_digest) = sha256(k_nonce || substring(k_digests FROM (offered - 1) * 32 + 1 FOR 32))
  THEN
    out_attempts := r.attempts + 1;
    UPDATE @schema@.records x SET attempts = out_attempts, verified = true WHERE x.id = k_id;
    out_status := 8;
    IF current_setting('reverify.verified_commit', true) = 'async' THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(@name@ || '/key/' || k_key, 0));
  SELECT b.until INTO out_blocked_until FROM @schema@.blocks b WHERE b.key = k_key AND b.until > k_now;
  IF FOUND THEN
    out_status := 4;
    RETURN;
  END IF;
  IF r.attempts >= k_max_attempts THEN
    out_status := 5;
  ELSE
    out_attempts := r.attempts + 1;
    UPDATE @schema@.records x SET attempts = out_attempts WHERE x.id = k_id;
    out_status := 7;
  END IF;
  SELECT f.out_failures, f.out_blocked_until INTO out_failures, out_blocked_until
    FROM @schema@.count_failure(k_key, k_window, k_failures, k_duration, k_now) f;
END;
$$
$fn$,
-- unblock: removes the block and the events of the key.
$fn$
CREATE OR REPLACE FUNCTION @schema@.unblock(u_key text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(@name@ || '/key/' || u_key, 0));
  DELETE FROM @schema@.blocks b WHERE b.key = u_key;
  DELETE FROM @schema@.windows w WHERE w.key = u_key;
END;
$$
$fn$]
  LOOP
    EXECUTE replace(replace(fn, '@schema@', quote_ident(current_schema())), '@name@', quote_literal(current_schema()));
  END LOOP;
END;
$create$;
SELECT :"schema".create_functions();

-- Version 1 to 2: version 1 kept the slot holders in a table `code_slots`, and an unverified
-- record whose slot a newer code held counted as retired without the flag saying so.
-- Version 2 to 3: version 2 found a slot's holder (its unverified, unretired record; at most one)
-- through a partial index on records.slot; version 3 names it in the slot's `slots` row.
CREATE OR REPLACE FUNCTION :"schema".migrate() RETURNS void
LANGUAGE plpgsql SET search_path = :"schema", pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM schema_version WHERE version = 1) THEN
    UPDATE records r SET retired = true
      WHERE r.slot IS NOT NULL AND NOT r.verified AND NOT r.retired
        AND EXISTS (SELECT 1 FROM code_slots s WHERE s.slot = r.slot AND s.record_id <> r.id);
    DROP TABLE IF EXISTS code_slots;
    UPDATE schema_version SET version = 2;
  END IF;
  IF EXISTS (SELECT 1 FROM schema_version WHERE version = 2) THEN
    INSERT INTO slots (slot, holder)
      SELECT DISTINCT ON (r.slot) r.slot, r.id FROM records r
        WHERE r.slot IS NOT NULL AND NOT r.verified AND NOT r.retired
        ORDER BY r.slot, r.created_at DESC, r.id
    ON CONFLICT (slot) DO NOTHING;
    DROP INDEX IF EXISTS records_slot;
    UPDATE schema_version SET version = 3;
  END IF;
END;
$$;
SELECT :"schema".migrate();

INSERT INTO :"schema".schema_version (version)
  SELECT 3 WHERE NOT EXISTS (SELECT 1 FROM :"schema".schema_version);
