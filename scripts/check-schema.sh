#!/usr/bin/env bash
# crates/grant-core/src/store/schema.rs must describe what the migrations build, on both
# backends: the same tables, each with the same columns in the same order. Applies the
# migrations (grantctl migrate) to a fresh SQLite file and, when a server answers at
# $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), to a fresh
# PostgreSQL database dropped afterwards; then compares each with schema.rs.
#   scripts/check-schema.sh        (expects target/debug/grantctl: cargo build -p grantctl)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need sqlite3 python3

SCHEMA="$ROOT/crates/grant-core/src/store/schema.rs"
WORK="$(mktemp -d)"
PG_ADMIN_URL="${GRANT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB=""
cleanup() {
  rm -rf "$WORK"
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# schema.rs as "table column" lines, in declaration order.
python3 - "$SCHEMA" >"$WORK/expected" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for table, body in re.findall(r"diesel::table!\s*\{\s*(\w+)\s*\([^)]*\)\s*\{(.*?)\}\s*\}", text, re.S):
    for col in re.findall(r"^\s*(\w+)\s*->", body, re.M):
        print(table, col)
PY

# The migrations' own bookkeeping table is not in schema.rs.
tables_filter() { grep -v '^__diesel_schema_migrations ' | sort -s -k1,1; }

"$BIN/grantctl" --database-url "sqlite://$WORK/schema.db" migrate >/dev/null
sqlite3 "$WORK/schema.db" \
  "SELECT m.name || ' ' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
   WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid" \
  | tables_filter >"$WORK/sqlite"
sort -s -k1,1 "$WORK/expected" >"$WORK/expected.sorted"
status=0
if diff -u "$WORK/expected.sorted" "$WORK/sqlite" >"$WORK/sqlite.diff"; then
  log "SQLite: schema.rs matches the migrations ($(wc -l <"$WORK/sqlite") columns)"
else
  log "SQLite: schema.rs (-) differs from the migrated database (+):"; cat "$WORK/sqlite.diff" >&2; status=1
fi

if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  PG_DB="check_schema_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  url="${PG_ADMIN_URL%/*}/$PG_DB"
  "$BIN/grantctl" --database-url "$url" migrate >/dev/null
  psql "$url" -qAtF ' ' -c "SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position" \
    | tables_filter >"$WORK/pg"
  if diff -u "$WORK/expected.sorted" "$WORK/pg" >"$WORK/pg.diff"; then
    log "PostgreSQL: schema.rs matches the migrations ($(wc -l <"$WORK/pg") columns)"
  else
    log "PostgreSQL: schema.rs (-) differs from the migrated database (+):"; cat "$WORK/pg.diff" >&2; status=1
  fi
else
  log "PostgreSQL: SKIPPED (no server at $PG_ADMIN_URL)"
fi
exit "$status"
