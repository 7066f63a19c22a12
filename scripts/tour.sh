#!/usr/bin/env bash
# Runs the README's "A tour" section as a test: every ```sh block between the "## A tour" heading
# and the next "## " heading, in order, in one bash with `set -euo pipefail`, in a fresh temporary
# directory, with the `zhilu` of this checkout first on PATH. Fails if any command fails. No
# network, no PostgreSQL (the tour runs on the embedded default: SQLite + local disk).
#
#   scripts/tour.sh              # debug build (cheap after scripts/test.sh)
#   scripts/tour.sh --release    # release build
#   scripts/tour.sh --verbose    # stream the tour's commands and output (default: shown on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

profile=debug
verbose=0
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --verbose | -v) verbose=1 ;;
    *) echo "usage: scripts/tour.sh [--release] [--verbose]" >&2; exit 2 ;;
  esac
done

readme="$repo/README.md"
name="readme_tour"

# The tour: README lines outside its ```sh blocks become blank lines, so that a line number in the
# generated script is the line number in README.md.
extract() {
  awk '
    BEGIN { in_tour = 0; in_block = 0; blocks = 0 }
    {
      line = $0
      if (!in_block && line ~ /^## /) { in_tour = (line ~ /^## A tour[[:space:]]*$/) }
      if (in_tour && !in_block && line ~ /^```sh[[:space:]]*$/) { in_block = 1; blocks++; print ""; next }
      if (in_block && line ~ /^```[[:space:]]*$/) { in_block = 0; print ""; next }
      if (in_block) { print line } else { print "" }
    }
    END {
      if (in_block) { print "tour.sh: unterminated ```sh block in the tour" > "/dev/stderr"; exit 3 }
      if (blocks == 0) { print "tour.sh: no ```sh block under \"## A tour\"" > "/dev/stderr"; exit 3 }
    }
  ' "$readme"
}

tour_body=$(extract)
# Commands: non-blank, non-comment lines that do not continue the line before.
commands=$(awk '!/^[[:space:]]*(#.*)?$/ && !cont { n++ } { cont = /\\$/ } END { print n + 0 }' <<<"$tour_body")

echo "== tour: building zhilu ($profile) =="
if [ "$profile" = release ]; then
  cargo build -q --release -p zhilu-cli
else
  cargo build -q -p zhilu-cli
fi
target_dir=$(cargo metadata -q --format-version 1 --no-deps 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin_dir="${target_dir:-$repo/target}/$profile"
[ -x "$bin_dir/zhilu" ] || { echo "tour.sh: no $bin_dir/zhilu" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zhilu-tour.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/home" "$work/tmp" "$work/run"

{
  echo 'set -eEuo pipefail; PS4='"'"'+ README.md:${LINENO}: '"'"
  echo "trap 'rc=\$?; set +x; echo \"tour.sh: README.md line \$LINENO failed (exit \$rc): \$BASH_COMMAND\" >&2; exit \$rc' ERR; set -x"
  # Pad so that the tour's first line keeps its README line number.
  body_offset=2
  tail -n +$((body_offset + 1)) <<<"$tour_body"
} >"$work/tour.bash"

log="$work/tour.log"
: >"$log"
echo "== tour: ${commands} commands from README.md \"A tour\", in $work/run =="
start=$(date +%s)
set +e
(
  cd "$work/run"
  # A fresh machine: nothing configured, no database server, this checkout's zhilu first on PATH;
  # `mktemp -d` in the tour lands inside $work.
  env -u ZHILU_DATA_DIR -u ZHILU_DATABASE_URL -u ZHILU_DATABASE_URL_FILE -u ZHILU_TEST_POSTGRES_URL \
    -u ZHILU_NOW -u ZHILU_ACTOR \
    HOME="$work/home" TMPDIR="$work/tmp" PATH="$bin_dir:$PATH" \
    bash "$work/tour.bash"
) >"$log" 2>&1 &
pid=$!
if [ "$verbose" = 1 ]; then tail -n +1 -f --pid="$pid" "$log"; fi
wait "$pid"
rc=$?
set -e
secs=$(($(date +%s) - start))

if [ "$rc" -ne 0 ]; then
  [ "$verbose" = 1 ] || cat "$log"
  echo "test $name ... FAILED (${secs}s)"
  exit 1
fi
echo "test $name ... ok (${secs}s)"
