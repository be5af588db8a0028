#!/usr/bin/env bash
# Install (when missing) and start a throw-away PostgreSQL on 127.0.0.1:5432 for the test suite.
# Prints the DATABASE_URL to use. Safe to run twice.
set -euo pipefail
PGDATA=${PGDATA:-/tmp/hongxin-pgdata}
PGPORT=${PGPORT:-5432}

if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
  as_pg "$PGBIN/initdb -D $PGDATA -U postgres -A trust -E UTF8 --locale=C.UTF-8" >&2
fi
if ! as_pg "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  # Durability is not what these tests are about: fsync off keeps the suite fast.
  as_pg "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w start \
    -o '-c listen_addresses=127.0.0.1 -p $PGPORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -k /tmp'" >&2
fi
for db in hongxin_test hongxin_bench; do
  as_pg "$PGBIN/psql -h 127.0.0.1 -p $PGPORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
    || as_pg "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres $db" >&2
done
echo "postgresql://postgres@127.0.0.1:$PGPORT/hongxin_test"
