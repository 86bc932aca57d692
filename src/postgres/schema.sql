-- reverify PostgreSQL store, schema version 1.
--
-- PostgresStore creates this itself on first use (PostgresOptions::create_schema). Teams that
-- manage schemas themselves apply it once with psql and connect with create_schema = false:
--
--   psql "$DATABASE_URL" -v schema=reverify -f share/reverify/postgres-schema.sql
--
-- Times are milliseconds since the Unix epoch (bigint), always supplied by the caller's Clock.

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
  slot            text     -- set when the record took its code slot (insert with retire_previous)
);
CREATE INDEX IF NOT EXISTS records_expires_at ON :"schema".records (expires_at);

-- The current holder of each code slot (user, kind, identifier, template): a newer code retires
-- the previous holder. A record that no longer holds its slot and is unverified counts as retired.
CREATE TABLE IF NOT EXISTS :"schema".code_slots (
  slot        text   PRIMARY KEY,
  record_id   text   NOT NULL,
  previous_id text,
  expires_at  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS code_slots_expires_at ON :"schema".code_slots (expires_at);

-- Rolling windows: all events of one key in one row, so INSERT … ON CONFLICT DO UPDATE locks
-- the key and counts exactly.
CREATE TABLE IF NOT EXISTS :"schema".windows (
  key        text     PRIMARY KEY,
  events     bigint[] NOT NULL,
  counted    boolean  NOT NULL,  -- whether the last window_add added its event
  expires_at bigint   NOT NULL   -- when every event has left every window seen
);
CREATE INDEX IF NOT EXISTS windows_expires_at ON :"schema".windows (expires_at);

CREATE TABLE IF NOT EXISTS :"schema".blocks (
  key   text   PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_until ON :"schema".blocks (until);

INSERT INTO :"schema".schema_version (version)
  SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM :"schema".schema_version);
