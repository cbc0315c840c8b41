#!/usr/bin/env bash
# How okta-compat's list endpoint (GET one user's grants, limit 20, SSWS) scales with
# replicas over one PostgreSQL database: 1, 2 and 4 replicas, the org's rate limit shared in
# the database ([vendor.rate_limit] store = "database", limits high enough never to refuse).
# Before that, one replica with the rate limit counted in process and then in the database,
# and their ratio. Load comes from wrk, a separate process: 4 threads, 32 connections, its
# threads spread round-robin over the replicas' ports (no proxy in between). Nothing is
# pinned: the replicas (workers = one per core), PostgreSQL and wrk share the machine's cores.
#   scripts/bench-replicas.sh [GRANTS] [DURATION_SECS]
# Needs PostgreSQL at $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# a database is created for the run and dropped after.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
GRANTS="${1:-100000}"; DURATION="${2:-10}"
PG_ADMIN_URL="${GRANT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
need psql python3 curl
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
BIN="$ROOT/target/release"
cargo build --release --quiet -p okta-compat -p grantctl

WORK="$(mktemp -d)"; PIDS=()
DB="grant_bench_$(date +%s)_$$"
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG_ADMIN_URL%/*}/$DB"
python3 scripts/bench_data.py "$WORK/data.json" --grants "$GRANTS" --users 1000
"$BIN/grantctl" --database-url "$DB_URL" import "$WORK/data.json" >/dev/null
TOKEN="$(random_secret)"
BENCH_TOKEN="$TOKEN" "$BIN/grantctl" --database-url "$DB_URL" credential add --kind api_token --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
PATH_Q="/api/v1/users/00uA1iceBench0000001/grants?limit=20"

# wrk's threads, each on one replica in turn (REPLICA_PORTS="p1 p2 …").
cat >"$WORK/spread.lua" <<'LUA'
local ports, n = {}, 0
for p in string.gmatch(os.getenv("REPLICA_PORTS"), "%d+") do table.insert(ports, p) end
function setup(thread)
  n = n + 1
  thread.addr = wrk.lookup("127.0.0.1", ports[(n - 1) % #ports + 1])[1]
end
LUA

# replicas N STORE: starts N okta-compat processes with the rate limit in STORE; sets PORTS.
REPLICA_PIDS=(); PORTS=()
replicas() {
  local n="$1" store="$2" i port
  cat >"$WORK/okta-$store.toml" <<TOML
[vendor.rate_limit]
store = "$store"
users = 1000000000
other = 1000000000
TOML
  REPLICA_PIDS=(); PORTS=()
  for i in $(seq 1 "$n"); do
    port="$(free_port)"
    GRANT_CONFIG_DIR="$ROOT/config" GRANT_DATABASE_URL="$DB_URL" GRANT_BIND="127.0.0.1:$port" RUST_LOG=error \
      "$BIN/okta-compat" --config "$WORK/okta-$store.toml" >"$WORK/okta-$port.log" 2>&1 &
    REPLICA_PIDS+=($!); PIDS+=($!); PORTS+=("$port")
  done
  for port in "${PORTS[@]}"; do wait_ready "http://127.0.0.1:$port" || { cat "$WORK/okta-$port.log" >&2; exit 1; }; done
  curl -fsS -o /dev/null -H "Authorization: SSWS $TOKEN" "http://127.0.0.1:${PORTS[0]}$PATH_Q"
}
stop_replicas() { kill "${REPLICA_PIDS[@]}"; wait "${REPLICA_PIDS[@]}" 2>/dev/null || true; }

RATE=""
load() { # label
  local out
  out="$(REPLICA_PORTS="${PORTS[*]}" wrk -t4 -c32 -d"${DURATION}s" --latency -s "$WORK/spread.lua" \
    -H "Authorization: SSWS $TOKEN" "http://127.0.0.1:${PORTS[0]}$PATH_Q")"
  RATE="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  local errors; errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")"
  printf '%-40s %10s req/s   p99 %-9s %s\n' "$1" "$RATE" "$(awk '$1=="99%" {print $2}' <<<"$out")" "$errors"
}

echo "PostgreSQL $(psql "$PG_ADMIN_URL" -qAtc 'show server_version'), $GRANTS grants; machine: $(nproc) cores shared by the replicas, PostgreSQL and wrk"
echo "wrk: 4 threads, 32 connections, ${DURATION}s per row, threads spread over the replicas"
replicas 1 memory
load "1 replica, rate limit in process"
MEMORY="$RATE"; stop_replicas
replicas 1 database
load "1 replica, rate limit in the database"
SHARED="$RATE"; stop_replicas
echo "shared (database) / in-process rate limit: $(python3 -c "print(f'{$SHARED / $MEMORY:.2f}')")"
for n in 2 4; do
  replicas "$n" database
  load "$n replicas, rate limit in the database"
  printf '%-40s %10s\n' "  vs 1 replica" "$(python3 -c "print(f'{$RATE / $SHARED:.2f}x')")"
  stop_replicas
done
