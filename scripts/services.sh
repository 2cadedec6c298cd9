#!/usr/bin/env bash
# Starts the project-local PostgreSQL (with PostGIS) and Redis under .local/, unless
# DATABASE_URL / REDIS_URL point elsewhere. `services.sh stop [postgres|redis]` stops them.
# Safe to run again: a running service is left as it is.
set -euo pipefail
source "$(dirname "$0")/env.sh"

PGDATA="$LOCAL_DIR/pg/data"
PGRUN="$LOCAL_PG_SOCKET_DIR"
PGBIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -n 1)/bin"
REDIS_DIR="$LOCAL_DIR/redis"

# PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  mkdir -p "$LOCAL_DIR/pg"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$LOCAL_DIR/pg"
    chmod o+x "$LOCAL_DIR" "$PROJECT_ROOT"
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    as_pg_owner "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $LOCAL_PG_PORT
unix_socket_directories = '$PGRUN'
jit = off
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
  fi
  as_pg_owner mkdir -p "$PGRUN"
  if ! as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    # The port on the command line: it may have been chosen again since the cluster was made (env.sh).
    as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOCAL_DIR/pg/server.log" -o "-p $LOCAL_PG_PORT" -w start >/dev/null
  fi
  export PGOPTIONS="-c client_min_messages=warning"
  local psql=("$PGBIN/psql" -h 127.0.0.1 -p "$LOCAL_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname='unionportal'")" ]; then
    # CREATEDB: the test runner makes its own test database.
    "${psql[@]}" -c "create role unionportal login createdb"
  fi
  if [ -z "$("${psql[@]}" -c "select 1 from pg_database where datname='unionportal'")" ]; then
    "${psql[@]}" -c "create database unionportal owner unionportal"
  fi
  # The data is read from memory (or SSD): a random page costs the planner little more than a
  # sequential one. At PostgreSQL's default of 4 (a spinning disk's) the claims queue read a
  # year of claims in parallel instead of the waiting ones through their own index.
  if [ "$("${psql[@]}" -c "show random_page_cost")" != "1.1" ]; then
    "${psql[@]}" -c "alter system set random_page_cost = 1.1" -c "select pg_reload_conf()" >/dev/null
  fi
  # Extensions need a superuser; template1 too, so that test databases have them.
  for db in unionportal template1; do
    "${psql[@]}" -d "$db" -c "create extension if not exists postgis; create extension if not exists pg_trgm; create extension if not exists btree_gist"
  done
}

pg_stop() {
  [ -f "$PGDATA/PG_VERSION" ] && as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
}

redis_start() {
  mkdir -p "$REDIS_DIR"
  if ! redis-cli -p "$LOCAL_REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$LOCAL_REDIS_PORT" --daemonize yes \
      --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
      --save "" --appendonly no
    for _ in $(seq 50); do redis-cli -p "$LOCAL_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}

redis_stop() {
  redis-cli -p "$LOCAL_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start)
    [ "$USE_LOCAL_PG" = 1 ] && pg_start
    [ "$USE_LOCAL_REDIS" = 1 ] && redis_start
    ;;
  restart-postgres)
    # For the fault tests: the server goes away under running requests and comes back.
    [ "$USE_LOCAL_PG" = 1 ] && as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w restart -l "$LOCAL_DIR/pg/server.log" >/dev/null
    ;;
  stop)
    what="${2:-all}"
    [ "$USE_LOCAL_PG" = 1 ] && [ "$what" != redis ] && pg_stop
    [ "$USE_LOCAL_REDIS" = 1 ] && [ "$what" != postgres ] && redis_stop
    ;;
  *) echo "usage: $0 [start|stop [all|postgres|redis]|restart-postgres]" >&2; exit 2 ;;
esac
exit 0
