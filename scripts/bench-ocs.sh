#!/usr/bin/env bash
# Benchmark of ocs-compat with bearer tokens from its own token endpoint, over a store of
# 1,000,000 persisted grants (10,000 users × 100 authorization codes) and 50,000 clients
# (49,999 authorization-code clients + the client-credentials client that gets the token):
#   GET …/Users/{userId}/PersistedGrants          (100 distinct client ids)
#   GET …/AuthorizationCodeClients?count=100       (first page + Total-Count over 49,999)
# Release build; the server is pinned to core 0 (one HTTP worker), wrk to core 1, loopback.
# /healthz is measured in the same run as the ceiling. SQLite by default; the data are
# generated with SQL (recursive CTEs) straight into a freshly migrated database.
#
# Environment: BENCH_DURATION (20s), BENCH_CONNECTIONS (32), BENCH_USERS (10000),
# BENCH_GRANTS_PER_USER (100), BENCH_CLIENTS (50000).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BIN="$ROOT/target/release"

DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
USERS="${BENCH_USERS:-10000}"
PER_USER="${BENCH_GRANTS_PER_USER:-100}"
CLIENTS="${BENCH_CLIENTS:-50000}"
OUT="$ROOT/target/bench-ocs"
mkdir -p "$OUT"
DBFILE="$OUT/grants-$USERS-$PER_USER-$CLIENTS.db"
DB="sqlite://$DBFILE"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null; }
echo "building release binaries…"
cargo build --release --quiet -p ocs-compat -p grantctl

TENANT=be4c0000-0000-4000-8000-000000000001
ADMIN=be4c0000-0000-4000-8000-0000000000ad
SECRET=benchBenchBench0123456789abcdefABCDEF
if [ -f "$DBFILE.loaded" ]; then
  echo "reusing $DBFILE"
else
  rm -f "$DBFILE"*
  start=$(date +%s)
  ctl=("$BIN/grantctl" --database-url "$DB")
  "${ctl[@]}" tenant add --id "$TENANT" --name bench >/dev/null
  "${ctl[@]}" client add --tenant "$TENANT" --id "$ADMIN" --kind client_credentials \
    --role "Tenant Administrator" --role "Tenant Member" >/dev/null
  BENCH_SECRET="$SECRET" "${ctl[@]}" credential add --tenant "$TENANT" --kind client_secret \
    --client "$ADMIN" --name "$ADMIN/1/bench" --secret-env BENCH_SECRET >/dev/null
  echo "generating $USERS users, $((CLIENTS - 1)) authorization-code clients, $((USERS * PER_USER)) grants…"
  python3 - "$DBFILE" "$TENANT" "$USERS" "$PER_USER" "$((CLIENTS - 1))" <<'PY'
import sqlite3, sys
db, tenant, users, per_user, clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = sqlite3.connect(db)
c.execute("PRAGMA foreign_keys=ON")
guid = lambda prefix, expr: f"printf('{prefix}-0000-4000-8000-%012x', {expr})"
with c:
    c.execute(f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i+1 < {clients})
      INSERT INTO clients SELECT '{tenant}', {guid('ac000000', 'i')}, 'authorization_code', 'spa ' || i, 1, 3600, 0,
        '["https://spa.example.test/cb"]', '[]', NULL, NULL, CASE WHEN i % 10 = 0 THEN '["tenth"]' ELSE '[]' END,
        '[]', 0, '[]', datetime('2026-01-01', '+' || i || ' seconds'), '2026-01-01 00:00:00', '[]' FROM n""")
    c.execute(f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i+1 < {users})
      INSERT INTO users SELECT {guid('05e20000', 'i')}, '{tenant}', printf('00ubench%012d', i), 'user' || i || '@bench.test',
        'local:user' || i, 'local:user' || i, 'User ' || i, 'Tenant Member', '2026-01-01 00:00:00' FROM n""")
    c.execute(f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i+1 < {users * per_user})
      INSERT INTO grants SELECT {guid('96a00000', 'i')}, '{tenant}', {guid('05e20000', f'i % {users}')},
        {guid('ac000000', f'(i * 7919) % {clients}')}, 'authorization_code', 'active', 'end_user', '', 'openid ocsapi', '',
        datetime('2026-01-01', '+' || (i / 100) || ' seconds'), '2026-01-01 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM n""")
    # Raw inserts bypass grant-core, which keeps client_counts: recount once.
    c.execute("DELETE FROM client_counts")
    c.execute("INSERT INTO client_counts SELECT tenant_id, kind, COUNT(*) FROM clients GROUP BY tenant_id, kind")
c.execute("ANALYZE")
c.close()
PY
  touch "$DBFILE.loaded"
  echo "loaded in $(( $(date +%s) - start ))s"
fi

cat >"$WORK/ocs.toml" <<TOML
[server]
workers = 1
[database]
pool_size = 4
TOML

port="$(free_port)"
GRANT_DATABASE_URL="$DB" GRANT_BIND="127.0.0.1:$port" RUST_LOG=warn \
  taskset -c 0 "$BIN/ocs-compat" --config "$WORK/ocs.toml" >"$WORK/server.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$port" || { cat "$WORK/server.log" >&2; exit 1; }
BASE="http://127.0.0.1:$port"
TOKEN=$(curl -fsS -d client_id=$ADMIN -d client_secret=$SECRET -d grant_type=client_credentials "$BASE/identity/connect/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
AUTH="Authorization: Bearer $TOKEN"
USER_ID=05e20000-0000-4000-8000-$(printf '%012x' 4242)
PG_URL="$BASE/api/v1/Tenants/$TENANT/Users/$USER_ID/PersistedGrants"
ACC_URL="$BASE/api/v1/Tenants/$TENANT/AuthorizationCodeClients?count=100"

n=$(curl -fsS -H "$AUTH" "$PG_URL" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
total=$(curl -fsS -D - -o /dev/null -H "$AUTH" "$ACC_URL" | awk 'tolower($1)=="total-count:" {print $2}' | tr -d '\r')
echo "PersistedGrants of one user: $n client ids; AuthorizationCodeClients Total-Count: $total; $CONNECTIONS connections, $DURATION"
echo

run_wrk() { # LABEL URL [HEADER]
  local label="$1" url="$2"; shift 2
  local hdrs=()
  for h in "$@"; do hdrs+=(-H "$h"); done
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d3s "${hdrs[@]}" "$url" >/dev/null   # warm-up
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${hdrs[@]}" "$url" >"$WORK/wrk.out"
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
  printf '%-62s %12s req/s   p99 %8s%s\n' "$label" "$rps" "$p99" "${non2xx:+   (non-2xx: $non2xx)}"
}

run_wrk "GET PersistedGrants (1M grants, bearer token)" "$PG_URL" "$AUTH"
run_wrk "GET AuthorizationCodeClients?count=100 (50k clients, bearer)" "$ACC_URL" "$AUTH"
run_wrk "GET /healthz (no auth, no database: ceiling)" "$BASE/healthz"
