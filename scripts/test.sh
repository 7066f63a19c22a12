#!/usr/bin/env bash
# The test command (README): the whole suite on the embedded default (SQLite + local disk), then the
# catalog-touching suites again against PostgreSQL when one is reachable (CI always provides one).
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-nextest runs tests of different binaries side by side (most wait on IO, a child process
# or a browser); plain `cargo test` runs one binary at a time. Same tests either way.
run_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --profile "${NEXTEST_PROFILE:-default}" --no-tests=warn \
      ${NEXTEST_FILTER:+-E "$NEXTEST_FILTER"} "$@"
  else
    cargo test --no-fail-fast "$@"
  fi
}
[ "${CI:-}" = "true" ] && export NEXTEST_PROFILE=ci

# The PostgreSQL server (if any) is read first and hidden from the SQLite pass: with
# ZHILU_TEST_POSTGRES_URL set, every catalog test would run on PostgreSQL, and the embedded default
# would go untested in CI (where .ci/run exports it).
pg_url="${ZHILU_TEST_POSTGRES_URL:-}"
if [ -z "$pg_url" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_url="postgres://postgres@127.0.0.1:5432/postgres"
fi
echo "== tests: SQLite =="
(unset ZHILU_TEST_POSTGRES_URL; run_tests --workspace --all-targets)

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
  # Only what the backend can change (with nextest). Not rerun: the help-text and layout checks, the
  # vault roots, the pages (browser journeys and server-rendered pages: views over the use cases
  # the API tests run on PostgreSQL),
  # the spreadsheet and JSON renderings of results, and the regulation scenarios but one: the
  # rules are the pure policy crate's, fed by the same store reads the conformance suite and the
  # app's tests check on both backends; luohe-xm stays as one whole agency's year on PostgreSQL.
  # With nextest the packages are chosen by the filter over the whole workspace's build: `-p`
  # would unify features differently and rebuild crates the SQLite pass just built (~40 s in CI).
  catalog_packages=(-p zhilu-store -p zhilu-app -p zhilu-cli -p zhilu-web)
  cargo nextest --version >/dev/null 2>&1 && catalog_packages=(--workspace)
  ZHILU_TEST_POSTGRES_URL="$pg_url" \
    NEXTEST_FILTER='(package(zhilu-store) | package(zhilu-app) | package(zhilu-cli) | package(zhilu-web))
      & not (binary(cli_zh) | binary(architecture) | binary(vault_conformance) | binary(browser)
      | binary(pages_more) | binary(sheet_cli) | binary(json_contract) | (binary(/^scenario_/) & not binary(scenario_luohe_xm)))' \
    run_tests "${catalog_packages[@]}" --all-targets
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI but none is reachable" >&2
  exit 1
else
  echo "== tests: PostgreSQL skipped (none reachable on 127.0.0.1:5432; set ZHILU_TEST_POSTGRES_URL) =="
fi
