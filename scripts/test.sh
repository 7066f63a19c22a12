#!/usr/bin/env bash
# The test command (README): the whole suite on the embedded default (SQLite + local disk), then the
# catalog-touching suites again against PostgreSQL when one is reachable (CI always provides one).
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-nextest runs tests of different binaries side by side (most wait on IO, a child process
# or a browser); plain `cargo test` runs one binary at a time. Same tests either way.
run_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --profile "${NEXTEST_PROFILE:-default}" --no-tests=warn "$@"
  else
    cargo test --no-fail-fast "$@"
  fi
}
[ "${CI:-}" = "true" ] && export NEXTEST_PROFILE=ci

echo "== tests: SQLite =="
run_tests --workspace --all-targets

pg_url="${ZHILU_TEST_POSTGRES_URL:-}"
if [ -z "$pg_url" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_url="postgres://postgres@127.0.0.1:5432/postgres"
fi
# Each test makes its own database; drop them all before and after the run, also when it fails
# (a run that piled them up once filled the CI machine's disk).
drop_test_databases() {
  command -v psql >/dev/null 2>&1 || return 0
  psql "$pg_url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'zhilu\_t\_%'" 2>/dev/null |
    while read -r db; do psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
}
if [ -n "$pg_url" ]; then
  echo "== tests: PostgreSQL ($pg_url) =="
  drop_test_databases
  trap drop_test_databases EXIT
  ZHILU_TEST_POSTGRES_URL="$pg_url" run_tests -p zhilu-store -p zhilu-app -p zhilu-cli -p zhilu-web --all-targets
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI but none is reachable" >&2
  exit 1
else
  echo "== tests: PostgreSQL skipped (none reachable on 127.0.0.1:5432; set ZHILU_TEST_POSTGRES_URL) =="
fi
