#!/usr/bin/env bash
# Benchmark of pingfed-compat: GET /pf-ws/rest/oauth/users/{userKey}/grants with HTTP Basic
# auth (+ X-XSRF-HEADER), with 1,000,000 grants in the store. Release build; the server is
# pinned to core 0 (one HTTP worker), the load generator (wrk) to core 1, on loopback.
# Reports requests/s and p99, plus references measured in the same run: /healthz (no auth,
# no database: the HTTP ceiling), the storage ceiling (one query of the same user's 20
# grants as JSON: grant-http/examples/storage_ceiling.rs) with the gateway's ratio
# to it, and the same GET with the verified-password cache off (an argon2id hash per request:
# what Basic auth would cost without the cache).
#
# Environment: BENCH_GRANTS (1000000), BENCH_DURATION (20s), BENCH_CONNECTIONS (32),
# BENCH_DATABASE_URL (default: a SQLite file under target/bench-pingfed, reused between runs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BIN="$ROOT/target/release"

GRANTS="${BENCH_GRANTS:-1000000}"
DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
OUT="$ROOT/target/bench-pingfed"
mkdir -p "$OUT"
DB="${BENCH_DATABASE_URL:-sqlite://$OUT/grants-$GRANTS.db}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null; }
echo "building release binaries…"
cargo build --release --quiet -p pingfed-compat -p grantctl
cargo build --release --quiet -p grant-http --example storage_ceiling

PASSWORD=benchBenchBench0123456789
ctl=("$BIN/grantctl" --database-url "$DB")
if [ -f "$OUT/loaded-$GRANTS" ] && [ -z "${BENCH_DATABASE_URL:-}" ]; then
  echo "reusing $DB ($GRANTS grants)"
else
  case "$DB" in sqlite://*) rm -f "${DB#sqlite://}"*;; esac
  echo "loading $GRANTS grants into $DB …"
  start=$(date +%s)
  "${ctl[@]}" tenant add --id default --name bench >/dev/null
  "${ctl[@]}" user add --login asmith >/dev/null
  "${ctl[@]}" client add --id ac_client >/dev/null
  "${ctl[@]}" client add --id im_client >/dev/null
  # The measured user: 20 grants, as a real user might hold.
  "${ctl[@]}" grant add --id-format pingfed --user asmith --client ac_client --grant-type authorization_code \
    --scope openid --scope profile --attribute "pgeaAttrSingle=asmith@example.local" --count 15 >/dev/null
  "${ctl[@]}" grant add --id-format pingfed --user asmith --client im_client --grant-type implicit --count 5 >/dev/null
  # Everyone else: batches of 10,000 grants for filler users.
  left=$((GRANTS - 20)); i=0
  while [ "$left" -gt 0 ]; do
    n=$(( left < 10000 ? left : 10000 ))
    "${ctl[@]}" user add --login "user$i" >/dev/null
    "${ctl[@]}" grant add --id-format pingfed --user "user$i" --client ac_client --grant-type authorization_code \
      --scope openid --count "$n" >/dev/null
    left=$((left - n)); i=$((i + 1))
  done
  PF_PASSWORD="$PASSWORD" "${ctl[@]}" credential add --kind password --name bench --secret-env PF_PASSWORD >/dev/null
  [ -z "${BENCH_DATABASE_URL:-}" ] && touch "$OUT/loaded-$GRANTS"
  echo "loaded in $(( $(date +%s) - start ))s"
fi

write_config() { # FILE CACHE_TTL
  cat >"$1" <<TOML
[server]
workers = 1
[database]
pool_size = 4
[hashing]
verified_cache_ttl_secs = $2
[vendor]
runtime_api_log = "$WORK/runtime-api.log"
TOML
}
write_config "$WORK/pingfed.toml" 60
write_config "$WORK/pingfed-nocache.toml" 0

AUTH="Authorization: Basic $(printf 'bench:%s' "$PASSWORD" | base64 -w0)"
XSRF="X-XSRF-HEADER: bench"

start_pinned() { # PORT CONFIG
  GRANT_DATABASE_URL="$DB" GRANT_BIND="127.0.0.1:$1" RUST_LOG=warn \
    taskset -c 0 "$BIN/pingfed-compat" --config "$2" >"$WORK/server-$1.log" 2>&1 &
  GATEWAY_PID=$!; PIDS+=("$GATEWAY_PID")
  wait_ready "http://127.0.0.1:$1" || { cat "$WORK/server-$1.log" >&2; exit 1; }
}

run_wrk() { # LABEL DURATION URL [HEADERS…]
  local label="$1" dur="$2" url="$3"; shift 3
  local hdrs=()
  for h in "$@"; do hdrs+=(-H "$h"); done
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$dur" --latency "${hdrs[@]}" "$url" >"$WORK/wrk.out"
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
  printf '%-58s %12s req/s   p99 %8s%s\n' "$label" "$rps" "$p99" "${non2xx:+   (non-2xx: $non2xx)}"
  RPS="$rps"
}

port="$(free_port)"
start_pinned "$port" "$WORK/pingfed.toml"
server_pid=$GATEWAY_PID
URL="http://127.0.0.1:$port/pf-ws/rest/oauth/users/asmith/grants"
body=$(curl -fsS -H "$AUTH" -H "$XSRF" "$URL")
items=$(printf '%s' "$body" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
echo "GET $URL -> $items grants, $(printf '%s' "$body" | wc -c) bytes; store: $GRANTS grants; $CONNECTIONS connections, $DURATION"
echo
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d3s -H "$AUTH" -H "$XSRF" "$URL" >/dev/null   # warm-up
run_wrk "GET user grants, Basic auth (verified-password cache on)" "$DURATION" "$URL" "$AUTH" "$XSRF"
GATEWAY_RPS="$RPS"
run_wrk "GET /healthz (no auth, no database: HTTP ceiling)" "$DURATION" "http://127.0.0.1:$port/healthz"
start_storage_ceiling "$DB" default asmith 20 grants
run_wrk "one query, the user's 20 grants as JSON (storage ceiling)" "$DURATION" "$CEILING_URL"
echo "pingfed-compat / storage ceiling: $(ratio "$GATEWAY_RPS" "$RPS")"

if command -v perf >/dev/null && perf record -o "$WORK/perf.data" -F 499 -g -p "$server_pid" -- sleep 0.1 >/dev/null 2>&1; then
  perf record -o "$WORK/perf.data" -F 499 -g -p "$server_pid" -- sleep 8 >/dev/null 2>&1 &
  perf_pid=$!
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d8s -H "$AUTH" -H "$XSRF" "$URL" >/dev/null
  wait "$perf_pid" || true
  perf report -i "$WORK/perf.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' >"$WORK/perf.txt" || true
  share() { grep -iE "$1" "$WORK/perf.txt" | awk '{gsub("%","",$1); s+=$1} END {printf "%.1f%%", s}'; }
  echo
  echo "profile of the authenticated GET (self time): argon2/blake2 $(share 'argon2|blake2'), sqlite $(share 'sqlite'), base64 $(share 'base64'), sha2/hmac $(share 'sha256|sha2|hmac'), kernel (loopback TCP, scheduling) $(share '\[k\]')"
  echo "top symbols:"; head -8 "$WORK/perf.txt"
fi

kill "$server_pid" 2>/dev/null || true
port2="$(free_port)"
start_pinned "$port2" "$WORK/pingfed-nocache.toml"
CONNECTIONS=4 run_wrk "same GET, verified-password cache OFF (argon2id/request, 4 conns)" 10s \
  "http://127.0.0.1:$port2/pf-ws/rest/oauth/users/asmith/grants" "$AUTH" "$XSRF"
