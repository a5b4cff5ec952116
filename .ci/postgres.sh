#!/usr/bin/env bash
# Install (if needed) and start a throw-away PostgreSQL on 127.0.0.1:${PGPORT:-54329} for the test suite.
# Prints the SQLAlchemy URL on its last line.
set -euo pipefail
PGPORT=${PGPORT:-54329}
PGDATA=${PGDATA:-/tmp/churnlens-pg}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
fi
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
if ! su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  rm -rf "$PGDATA" && mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA"
  su postgres -s /bin/sh -c "$BIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1' start" >/dev/null
fi
su postgres -s /bin/sh -c "$BIN/psql -h 127.0.0.1 -p $PGPORT -U postgres -tc \"SELECT 1 FROM pg_database WHERE datname='churnlens_test'\"" | grep -q 1 \
  || su postgres -s /bin/sh -c "$BIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres churnlens_test"
echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/churnlens_test"
