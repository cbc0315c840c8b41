#!/usr/bin/env bash
# Instructions per okta list request's database work (token lookup with its user, user by
# Okta id, a page of 20 consents with their clients' names), counted by callgrind on one connection
# over GRANTS grants: a count, not a time, so two builds compare exactly on a busy machine.
#   scripts/bench-list-queries.sh [GRANTS] [USERS]
# A/B of an SQLite compile option: run once, change LIBSQLITE3_FLAGS (.cargo/config.toml),
# run again; the wall time printed beside the count is only indicative.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
need valgrind python3
GRANTS="${1:-100000}"; USERS="${2:-100}"
cargo build --release --quiet -p grant-core --example bench_list
cargo build --quiet -p grantctl
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
bench_store "$BIN/grantctl" "sqlite://$WORK/b.db" "$GRANTS" "$USERS"
EX="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_list"
count() { BENCH_PART="$1" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$EX" "$WORK/b.db" "$TOKEN" 00uA1iceBench0000001 "$2" 2>&1 | awk '/Collected/ {print $4}'; }
per() { local a b; a=$(count "$1" 300); b=$(count "$1" 600); echo $(( (b - a) / 300 )); }
echo "LIBSQLITE3_FLAGS=${LIBSQLITE3_FLAGS:-(from .cargo/config.toml)}; $GRANTS grants, alice holds $((GRANTS / USERS))"
echo "instructions per request: $(per all)"
for part in auth user page; do
  printf '  %-8s %s\n' "$part" "$(per "$part")"
done
"$EX" "$WORK/b.db" "$TOKEN" 00uA1iceBench0000001 2000
