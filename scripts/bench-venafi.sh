#!/usr/bin/env bash
# Benchmark of venafi-compat (release build, HTTPS, SQLite):
#   1. POST /vedsdk/OAuth/GetGrants for one grantee (10 grants) with BENCH_GRANTS (default
#      1,000,000) grants stored;
#   2. POST /vedauth/Authorize/OAuth issuing tokens — once with the verified-password cache
#      (argon2 runs once per password and minute), once with it off (every request runs
#      argon2id 19 MiB/2 passes, at most [hashing] max_hash_threads at a time, off the async
#      workers; 8 connections, the verifier's queue bound).
# Server pinned to CPU 0, the load generator (wrk) to CPU 1. Prints requests/s and p99, and
# GetGrants' ratio to the storage ceiling (one query of the grantee's grants as JSON,
# grant-http/examples/storage_ceiling.rs, over plain HTTP) measured in the same run.
# Environment: BENCH_GRANTS, BENCH_DURATION (10s), BENCH_CONNECTIONS (32).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BIN="$ROOT/target/release"

N="${BENCH_GRANTS:-1000000}"
DUR="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNECTIONS:-32}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p venafi-compat -p grantctl
cargo build --release --quiet -p grant-http --example storage_ceiling

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

DB="sqlite://$WORK/bench.db"
ctl=("$BIN/grantctl" --database-url "$DB")
GRANTEE='local:{6e4a1000-0000-4000-8000-00000000beef}'
export BENCH_PASSWORD="bench-$(random_secret)"
"${ctl[@]}" tenant add --id default --name bench >/dev/null
"${ctl[@]}" user add --login benchadmin --universal 'local:{ad000000-0000-4000-8000-0000000be0c1}' --role Admin >/dev/null
"${ctl[@]}" user add --login grantee --universal "$GRANTEE" >/dev/null
"${ctl[@]}" credential add --kind password --name benchadmin --user benchadmin --secret-env BENCH_PASSWORD >/dev/null
"${ctl[@]}" client add --id bench-app --kind api_integration --access-token-lifetime 7776000 --refresh-token-lifetime 31536000 >/dev/null
echo "loading $N grants…"
started=$(date +%s)
per=$(( N / 10 ))
for i in $(seq 1 10); do
  "${ctl[@]}" user add --login "bulk-$i" >/dev/null
  "${ctl[@]}" grant add --user "bulk-$i" --client bench-app --scope certificate:manage,revoke \
    --count "$per" --id-format guid --grant-type password >/dev/null
done
"${ctl[@]}" grant add --user grantee --client bench-app --scope certificate:manage --scope admin \
  --count 10 --id-format guid --grant-type password >/dev/null
echo "loaded $((per * 10 + 10)) grants in $(( $(date +%s) - started ))s"

"$BIN/grantctl" tls-cert --out-dir "$WORK/tls" >/dev/null
SCHEME=https
start() {  # start CONFIG_EXTRA -> PORT (over $SCHEME: https, or http without TLS)
  local port cfg="$WORK/venafi-$RANDOM.toml" tls=""
  port="$(free_port)"
  [ "$SCHEME" = https ] && tls="tls_cert = \"$WORK/tls/cert.pem\""$'\n'"tls_key = \"$WORK/tls/key.pem\""
  cat >"$cfg" <<TOML
[server]
bind = "127.0.0.1:$port"
workers = 1
$tls
[database]
url = "$DB"
$1
TOML
  RUST_LOG=warn taskset -c 0 "$BIN/venafi-compat" --config "$cfg" >"$WORK/server-$port.log" 2>&1 &
  PIDS+=("$!"); SERVER_PID=$!
  wait_ready "$SCHEME://127.0.0.1:$port" || { cat "$WORK/server-$port.log" >&2; exit 1; }
  PORT=$port
}

login_body="{\"username\":\"benchadmin\",\"password\":\"$BENCH_PASSWORD\",\"client_id\":\"bench-app\",\"scope\":\"admin\"}"
lua_post() {  # lua_post FILE BODY [TOKEN]
  { echo 'wrk.method = "POST"'
    echo "wrk.body = '$2'"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    if [ -n "${3:-}" ]; then echo "wrk.headers[\"Authorization\"] = \"Bearer $3\""; fi
  } >"$1"
}

# run LABEL PATH LUA [CONNECTIONS] -> prints one result line
run() {
  local out
  out="$(taskset -c 1 wrk -t1 -c"${4:-$CONNS}" -d"$DUR" --latency -s "$3" "$SCHEME://127.0.0.1:$PORT$2")"
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "$1: non-2xx responses" >&2; exit 1; fi
  local rps p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  printf '%-58s %10s req/s   p99 %s\n' "$1" "$rps" "$p99"
  RPS="$rps"
}

echo
echo "venafi-compat benchmark: $N grants stored (SQLite), TLS, 1 worker on CPU 0, wrk -c$CONNS -d$DUR on CPU 1"
start ""
TOKEN="$(curl -sk -H 'Content-Type: application/json' -d "$login_body" "https://127.0.0.1:$PORT/vedauth/authorize/oauth" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
lua_post "$WORK/getgrants.lua" "{\"GranteePrefixedUniversal\":\"$GRANTEE\"}" "$TOKEN"
lua_post "$WORK/login.lua" "$login_body"
run "GetGrants, one grantee (10 grants) of $N" /vedsdk/oauth/getgrants "$WORK/getgrants.lua"
GATEWAY_RPS="$RPS"
# The storage ceiling speaks plain HTTP: the ratio includes what TLS costs the gateway.
start_storage_ceiling "$DB" default grantee 10 grants
out="$(taskset -c 1 wrk -t1 -c"$CONNS" -d"$DUR" --latency "$CEILING_URL")"
printf '%-58s %10s req/s   p99 %s\n' "one query, 10 grants as JSON (storage ceiling, HTTP)" \
  "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
CEILING_RPS="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
echo "venafi-compat (TLS) / storage ceiling (plain HTTP): $(ratio "$GATEWAY_RPS" "$CEILING_RPS")"
# The same GetGrants without TLS: the gateway's own ratio, and what TLS costs a request.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SCHEME=http start ""
SCHEME=http run "GetGrants, one grantee, plain HTTP" /vedsdk/oauth/getgrants "$WORK/getgrants.lua"
echo "venafi-compat (plain HTTP) / storage ceiling: $(ratio "$RPS" "$CEILING_RPS"); TLS share of a GetGrants request's cost: $(python3 -c "print(f'{1 - $GATEWAY_RPS / $RPS:.0%}')")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start ""
run "Authorize/OAuth (verified-password cache on)" /vedauth/authorize/oauth "$WORK/login.lua"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start $'[hashing]\nverified_cache_ttl_secs = 0'
# The verifier admits 2 argon2 runs and 8 waiting callers (4 x max_hash_threads); more
# concurrent logins are refused at once with 503, so this run uses 8 connections.
run "Authorize/OAuth (argon2id every request, 2 at a time, -c8)" /vedauth/authorize/oauth "$WORK/login.lua" 8
