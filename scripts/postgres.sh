#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL server for tests and local runs.
#   scripts/postgres.sh start   -> installs PostgreSQL from Debian if missing, starts it on
#                                  127.0.0.1:$CONSEILS_PG_PORT (55432), creates one database per
#                                  service, prints the base URL on its last line.
#   scripts/postgres.sh stop
set -euo pipefail

PORT="${CONSEILS_PG_PORT:-55432}"
DATA="${CONSEILS_PG_DIR:-/tmp/conseils-postgres-$PORT}"
DATABASES="registry meetings notifications conseils_test"

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  echo "$dir"
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install_postgres() {
  if [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ]; then
    return
  fi
  echo "PostgreSQL absent : installation depuis les paquets Debian…" >&2
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
}

start() {
  install_postgres
  local bin; bin=$(pg_bindir)
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home /var/lib/postgresql postgres
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = "0" ] && chown postgres "$DATA"
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null
  fi
  for db in $DATABASES; do
    if ! "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
  done
  echo "postgresql+asyncpg://postgres@127.0.0.1:$PORT/postgres"
}

stop() {
  local bin; bin=$(pg_bindir)
  if [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

running() {
  local bin; bin=$(pg_bindir)
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  running) running ;;
  *) echo "usage: $0 start|stop|running" >&2; exit 2 ;;
esac
