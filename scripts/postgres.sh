# Start a throw-away PostgreSQL server on loopback for tests and benchmarks (sourced by scripts).
# Exports TEST_POSTGRES_URL. Uses Debian's binaries with a private data directory, so it
# neither needs nor touches the system cluster.

start_test_postgres() {
  local bindir port datadir
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  port="${TEST_POSTGRES_PORT:-55432}"
  datadir="${TEST_POSTGRES_DIR:-/tmp/ocsc-bot-pg}"
  if ! id postgres >/dev/null 2>&1; then
    echo "PostgreSQL is not installed (no postgres user)" >&2
    return 1
  fi
  if ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    rm -rf "$datadir"
    mkdir -p "$datadir"
    chown postgres "$datadir"
    su postgres -s /bin/sh -c "$bindir/initdb -D '$datadir' -A trust -U postgres -E UTF8 --no-locale" >/dev/null
    su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$datadir' -l '$datadir/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -c fsync=on -c max_connections=200 -k '$datadir'\" start" >/dev/null
  fi
  export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${port}/postgres"
  echo "PostgreSQL ready on 127.0.0.1:${port}"
}
