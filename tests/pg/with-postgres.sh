#!/usr/bin/env bash
# Run a command against a fresh, throw-away PostgreSQL server on loopback:
#   tests/pg/with-postgres.sh CMD [ARGS...]
# pg_virtualenv -t (Debian's postgresql-common) creates a cluster of the installed PostgreSQL
# in a temporary directory (so runs never collide, even as root), listening on localhost only,
# runs CMD with WX_TEST_STORE_URL pointing at it (and libpq's PG* variables set), then stops
# and deletes it. If the server cannot be started, this fails: a test never silently skips
# PostgreSQL. Tests run it with fsync=off (nothing here must survive a power cut);
# WX_PG_FSYNC=on keeps PostgreSQL's durable default, as `make bench` does.
set -euo pipefail
command -v pg_virtualenv >/dev/null ||
  { echo "with-postgres: pg_virtualenv is missing (make deps installs postgresql)" >&2; exit 1; }
# pg_virtualenv runs CMD from another directory: make a relative path absolute.
cmd=$1; shift
case $cmd in */*) cmd=$(realpath "$cmd") ;; esac
# A free port of our own: in -t mode pg_virtualenv takes 5432 unless told, which another server
# (the system's, a concurrent run) may hold.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
exec pg_virtualenv -t -c "-p $port" -o max_connections=200 -o fsync="${WX_PG_FSYNC:-off}" \
  sh -c 'export WX_TEST_STORE_URL="postgresql://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE"
exec "$@"' with-postgres "$cmd" "$@"
