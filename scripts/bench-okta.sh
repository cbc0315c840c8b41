#!/usr/bin/env bash
# Benchmark: GET one user's grants (limit 20, SSWS auth) from okta-compat on SQLite with
# 1,000,000 grants stored, against a minimal actix-web handler returning a body of the same
# size (the ceiling), both measured in the same run. Server on core 0, load (wrk) on core 1.
#   scripts/bench-okta.sh [GRANTS] [DURATION_SECS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
GRANTS="${1:-1000000}"; DURATION="${2:-15}"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
BIN="$ROOT/target/release"
cargo build --release --quiet -p okta-compat -p grantctl
cargo build --release --quiet -p grant-http --example fixed_body

WORK="$(mktemp -d)"; PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/bench.db"
python3 scripts/bench_data.py "$WORK/data.json" --grants "$GRANTS" --users 1000
start=$(date +%s.%N)
"$BIN/grantctl" --database-url "$DB" import "$WORK/data.json" >/dev/null
echo "imported $GRANTS grants in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
TOKEN="00$(python3 -c 'import secrets; print(secrets.token_urlsafe(30).replace("-","a").replace("_","b"))')"
BENCH_TOKEN="$TOKEN" "$BIN/grantctl" --database-url "$DB" credential add --kind api_token --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
cat >"$WORK/okta.toml" <<TOML
[server]
bind = "127.0.0.1:18081"
workers = 1
[database]
url = "$DB"
pool_size = 4
[vendor.rate_limit]
enabled = false
TOML
RUST_LOG=error taskset -c 0 "$BIN/okta-compat" --config "$WORK/okta.toml" >"$WORK/okta.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:18081/healthz >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:18081/api/v1/users/00uA1iceBench0000001/grants?limit=20"
curl -fsS -H "Authorization: SSWS $TOKEN" "$URL" >"$WORK/body.json"
echo "response body: $(wc -c <"$WORK/body.json") bytes, $(python3 -c "import json; print(len(json.load(open('$WORK/body.json'))))") grants"
taskset -c 0 "$BIN/examples/fixed_body" 127.0.0.1:18099 "$WORK/body.json" & PIDS+=($!)
sleep 0.5

run() { # label url [header]
  local out
  out=$(taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency ${3:+-H "$3"} "$2")
  printf '%-28s %10s req/s   p99 %s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
}
echo "wrk: 1 thread, 16 connections, ${DURATION}s each; server pinned to core 0, wrk to core 1"
run "actix fixed body (ceiling)" "http://127.0.0.1:18099/" 
run "okta-compat list grants" "$URL" "Authorization: SSWS $TOKEN"
