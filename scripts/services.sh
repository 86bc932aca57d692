#!/usr/bin/env bash
# Starts and stops the Redis and PostgreSQL servers the backend tests use: private instances on
# 127.0.0.1 at non-default ports, data in a temporary folder, so they never clash with Debian's
# own redis-server / postgresql services.
#
#   scripts/services.sh start [redis|postgres|all]   start (idempotent) and wait until they answer
#   scripts/services.sh stop  [redis|postgres|all]   stop (idempotent); data is kept
#   scripts/services.sh restart [redis|postgres|all]
#   scripts/services.sh status                       exit 0 when both answer
#   scripts/services.sh env                          print the exports the tests read
#   scripts/services.sh clean [redis|postgres|all]   stop and delete the data folder
#
# Settings (environment): REVERIFY_SERVICES_DIR (default /tmp/reverify-services),
# REVERIFY_REDIS_PORT (16379), REVERIFY_PG_PORT (15432), REVERIFY_PG_BIN (newest
# /usr/lib/postgresql/*/bin). PostgreSQL's initdb refuses root: as root, the cluster runs as the
# `postgres` user (created by Debian's postgresql package) through runuser.
set -euo pipefail

DIR="$(realpath -m "${REVERIFY_SERVICES_DIR:-/tmp/reverify-services}")"
# pg_ctl passes the socket folder inside one -o string, which PostgreSQL splits at white space.
[[ "$DIR" != *[[:space:]]* ]] || { echo "services.sh: REVERIFY_SERVICES_DIR must not contain white space: $DIR" >&2; exit 2; }
REDIS_PORT="${REVERIFY_REDIS_PORT:-16379}"
PG_PORT="${REVERIFY_PG_PORT:-15432}"
PG_DB="reverify_test"
PG_USER="postgres"

die() { echo "services.sh: $*" >&2; exit 1; }

pg_bin() {
  if [[ -n "${REVERIFY_PG_BIN:-}" ]]; then realpath -m "$REVERIFY_PG_BIN"; return; fi  # as_pg runs from /
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$found" ]] || die "PostgreSQL server binaries not found: install the Debian package postgresql"
  echo "$found"
}

# Runs a command as the cluster owner: `postgres` when we are root, else ourselves.
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    id "$PG_USER" >/dev/null 2>&1 || die "user $PG_USER missing: install the Debian package postgresql"
    # From /, which the cluster owner can enter: PostgreSQL's tools otherwise complain that they
    # cannot change to a working directory under /root.
    (cd / && runuser -u "$PG_USER" -- "$@")
  else
    "$@"
  fi
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
pg_up() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" >/dev/null 2>&1; }

start_redis() {
  command -v redis-server >/dev/null || die "redis-server not found: install the Debian package redis-server"
  if redis_up; then return 0; fi
  mkdir -p "$DIR/redis"
  # appendonly: data survives a stop/start (the restart tests rely on it).
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" --daemonize yes \
    --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log" \
    --save "" --appendonly yes --appendfsync everysec >/dev/null
  for _ in $(seq 1 100); do redis_up && return 0; sleep 0.1; done
  die "redis-server did not answer on 127.0.0.1:$REDIS_PORT (see $DIR/redis/redis.log)"
}

stop_redis() {
  if redis_up; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 100); do redis_up || return 0; sleep 0.1; done
  die "redis-server on port $REDIS_PORT did not stop"
}

start_postgres() {
  local bin; bin="$(pg_bin)"
  if pg_up; then return 0; fi
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  if [[ ! -f "$DIR/pg/PG_VERSION" ]]; then
    rm -rf "$DIR/pg"
    mkdir -p "$DIR/pg"
    if [[ "$(id -u)" -eq 0 ]]; then chown "$PG_USER:" "$DIR/pg"; fi
    chmod 700 "$DIR/pg"
    as_pg "$bin/initdb" -D "$DIR/pg" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || die "initdb failed (see $DIR/initdb.log)"
  fi
  mkdir -p "$DIR/pg-run"
  if [[ "$(id -u)" -eq 0 ]]; then chown "$PG_USER:" "$DIR/pg-run"; fi
  as_pg "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg-run/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg-run -c max_connections=200" start >/dev/null \
    || die "PostgreSQL did not start (see $DIR/pg-run/postgres.log)"
  for _ in $(seq 1 100); do pg_up && break; sleep 0.1; done
  pg_up || die "PostgreSQL did not answer on 127.0.0.1:$PG_PORT"
  if ! "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
  fi
}

stop_postgres() {
  local bin; bin="$(pg_bin)"
  if [[ -f "$DIR/pg/postmaster.pid" ]]; then
    as_pg "$bin/pg_ctl" -D "$DIR/pg" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 100); do pg_up || return 0; sleep 0.1; done
  die "PostgreSQL on port $PG_PORT did not stop"
}

print_env() {
  echo "export REVERIFY_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export REVERIFY_TEST_PG_URL=postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"
}

action="${1:-}"
what="${2:-all}"
case "$what" in redis|postgres|all) ;; *) die "unknown service '$what' (redis, postgres or all)";; esac
want() { [[ "$what" == all || "$what" == "$1" ]]; }

case "$action" in
  start)
    if want redis; then start_redis; fi
    if want postgres; then start_postgres; fi
    print_env >&2
    ;;
  stop)
    if want redis; then stop_redis; fi
    if want postgres; then stop_postgres; fi
    ;;
  restart)
    if want redis; then stop_redis; start_redis; fi
    if want postgres; then stop_postgres; start_postgres; fi
    ;;
  status)
    ok=0
    if want redis; then if redis_up; then echo "redis: up on 127.0.0.1:$REDIS_PORT"; else echo "redis: down"; ok=1; fi; fi
    if want postgres; then if pg_up; then echo "postgres: up on 127.0.0.1:$PG_PORT"; else echo "postgres: down"; ok=1; fi; fi
    exit "$ok"
    ;;
  env) print_env ;;
  clean)
    if want redis; then stop_redis; fi
    if want postgres; then stop_postgres; fi
    rm -rf "$DIR"
    ;;
  *) die "usage: $0 start|stop|restart|status|env|clean [redis|postgres|all]" ;;
esac
