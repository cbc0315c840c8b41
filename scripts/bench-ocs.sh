#!/usr/bin/env bash
# Benchmark of ocs-compat with bearer tokens from its own token endpoint, over a store of
# 1,000,000 persisted grants (10,000 users × 100 authorization codes) and 50,000 clients
# (49,999 authorization-code clients + the client-credentials client that gets the token):
#   GET …/Users/{userId}/PersistedGrants          (100 distinct client ids)
#   GET …/AuthorizationCodeClients?count=100       (first page + Total-Count over 49,999)
# Release build; the server is pinned to core 0 (one HTTP worker), wrk to core 1, loopback.
# /healthz (the HTTP ceiling) and the storage ceiling (one query of the distinct clients of the
# user's grants, as JSON: grant-http/examples/storage_ceiling.rs) are measured in the same run, with
# the PersistedGrants ratio to the latter. SQLite; the data are written by
# scripts/bench_data.py --ocs and loaded with grantctl import.
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
DBFILE="$OUT/grants-v2-$USERS-$PER_USER-$CLIENTS.db"
DB="sqlite://$DBFILE"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null; }
echo "building release binaries…"
cargo build --release --quiet -p ocs-compat -p grantctl
cargo build --release --quiet -p grant-http --example storage_ceiling

TENANT=be4c0000-0000-4000-8000-000000000001
ADMIN=be4c0000-0000-4000-8000-0000000000ad
SECRET=benchBenchBench0123456789abcdefABCDEF
if [ -f "$DBFILE.loaded" ]; then
  echo "reusing $DBFILE"
else
  rm -f "$DBFILE"*
  start=$(date +%s)
  ctl=("$BIN/grantctl" --database-url "$DB")
  echo "generating $USERS users, $((CLIENTS - 1)) authorization-code clients, $((USERS * PER_USER)) grants…"
  python3 scripts/bench_data.py "$WORK/data.json" --ocs --tenant "$TENANT" --users "$USERS" \
    --clients "$((CLIENTS - 1))" --grants "$((USERS * PER_USER))"
  "${ctl[@]}" import "$WORK/data.json" >/dev/null
  rm -f "$WORK/data.json"
  "${ctl[@]}" client add --tenant "$TENANT" --id "$ADMIN" --kind client_credentials \
    --role "Tenant Administrator" --role "Tenant Member" >/dev/null
  BENCH_SECRET="$SECRET" "${ctl[@]}" credential add --tenant "$TENANT" --kind client_secret \
    --client "$ADMIN" --name "$ADMIN/1/bench" --secret-env BENCH_SECRET >/dev/null
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
# User 4242 of scripts/bench_data.py (ids are UUID(int = n + 1)), or the middle one of fewer.
USER_ID=$(python3 -c "import uuid; print(uuid.UUID(int=min(4242, $USERS // 2) + 1))")
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
  RPS="$rps"
}

run_wrk "GET PersistedGrants ($((USERS * PER_USER)) grants, bearer token)" "$PG_URL" "$AUTH"
GATEWAY_RPS="$RPS"
start_storage_ceiling "$DB" "$TENANT" "$USER_ID" 100 client_ids
run_wrk "one query, the clients of the user's grants (storage ceiling)" "$CEILING_URL"
echo "PersistedGrants / storage ceiling: $(ratio "$GATEWAY_RPS" "$RPS")"
run_wrk "GET AuthorizationCodeClients?count=100 (50k clients, bearer)" "$ACC_URL" "$AUTH"
run_wrk "GET /healthz (no auth, no database: HTTP ceiling)" "$BASE/healthz"
