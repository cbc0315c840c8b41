#!/usr/bin/env bash
# Benchmark: grantctl import and export of GRANTS grants (scripts/bench_data.py) on SQLite,
# release build: wall time and peak RSS (/usr/bin/time -v "Maximum resident set size") of
#   1. import of the generated document (format 1) into an empty database,
#   2. export of that database,
#   3. import of the export (format 4, with consent ids) into another empty database,
# and checks the second export is byte-identical to the first. CPU is user + system time:
# on a busy machine it says more than the wall time.
#   scripts/bench-import.sh [GRANTS]
# Needs GNU time at /usr/bin/time (Debian/Ubuntu: apt-get install time).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
GRANTS="${1:-1000000}"
[[ "$GRANTS" =~ ^[0-9]+$ ]] || usage "usage: scripts/bench-import.sh [GRANTS]"
need python3 cargo
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (apt-get install time)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
cargo build --release --quiet -p grantctl

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 scripts/bench_data.py "$WORK/data.json" --grants "$GRANTS"
log "$GRANTS grants: $(du -h "$WORK/data.json" | cut -f1) document"

# measure LABEL COMMAND...: runs it under GNU time, prints wall time and peak RSS.
measure() {
  local label="$1"; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" \
    || { cat "$WORK/out.txt" >&2; die "$label failed"; }
  local wall rss user sys
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
  user="$(sed -n 's/.*User time (seconds): //p' "$WORK/time.txt")"
  sys="$(sed -n 's/.*System time (seconds): //p' "$WORK/time.txt")"
  printf '%-28s wall %8s   CPU %7.1f s   peak RSS %7.1f MiB\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

measure "import ($GRANTS grants)" "$BIN/grantctl" --database-url "sqlite://$WORK/a.db" import "$WORK/data.json"
measure "export ($GRANTS grants)" "$BIN/grantctl" --database-url "sqlite://$WORK/a.db" export --out "$WORK/export.json"
log "export: $(du -h "$WORK/export.json" | cut -f1)"
measure "re-import of the export" "$BIN/grantctl" --database-url "sqlite://$WORK/b.db" import "$WORK/export.json"
"$BIN/grantctl" --database-url "sqlite://$WORK/b.db" export --out "$WORK/again.json"
cmp -s "$WORK/export.json" "$WORK/again.json" || die "the second export differs from the first"
log "export → import → export: byte-identical"
