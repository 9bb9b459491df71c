#!/usr/bin/env bash
# testing/test-postgres.sh start|stop: a throwaway PostgreSQL server on loopback
# (127.0.0.1:55432) for the tests of the pg state backend, from Debian's
# postgresql package (installed when missing and root). `start` prints the
# connection string the tests take from TEST_PG_CONN_STR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.build/postgres"
port="${TEST_PG_PORT:-55432}"
conn="postgres://cloudkoffer@127.0.0.1:$port/terraform?sslmode=disable"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$bin" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    echo "test-postgres: installing Debian's postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  else
    echo "test-postgres: PostgreSQL is not installed (Debian package postgresql)" >&2
    exit 1
  fi
fi

# initdb refuses to run as root: run the server as the postgres user then.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [[ ! -d "$dir/data" ]]; then
      mkdir -p "$dir"
      [[ "$(id -u)" -eq 0 ]] && chown postgres "$dir"
      as_owner "$bin/initdb" -D "$dir/data" -U cloudkoffer -A trust >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null
    fi
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U cloudkoffer -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'terraform'" | grep -q 1 ||
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U cloudkoffer terraform
    echo "$conn"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: testing/test-postgres.sh start|stop" >&2
    exit 2
    ;;
esac
