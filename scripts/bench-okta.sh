#!/usr/bin/env bash
# Benchmark: GET one user's grants (limit 20, SSWS auth) from okta-compat on SQLite with
# 1,000,000 grants stored, against two ceilings measured in the same run: a minimal actix-web
# handler returning a body of the same size (HTTP ceiling), and one that runs only the page
# query over the same store and writes its 20 rows as JSON (storage ceiling,
# grant-http/examples/storage_ceiling.rs); the ratios to both are printed. Servers on core 0,
# load (wrk) on core 1.
# okta-compat runs twice, counting the org's rate-limit window in process
# ([vendor.rate_limit] store = "memory") and then in the database (store = "database", the
# budget replicas share; limits high enough never to refuse): the last line is their ratio.
# Last, the same data and request on PostgreSQL (BENCH_PG_URL, default the local server; a
# database made for the run and dropped after), with its ratio to the SQLite run.
#   scripts/bench-okta.sh [GRANTS] [DURATION_SECS]
# With AB_BIN=/path/to/another/okta-compat (an earlier build, say), that binary is measured
# too, alternately with this build (B, A, A, B), and the ratio of their best runs printed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
GRANTS="${1:-1000000}"; DURATION="${2:-15}"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
BIN="$ROOT/target/release"
cargo build --release --quiet -p okta-compat -p grantctl
cargo build --release --quiet -p grant-http --example fixed_body --example storage_ceiling

WORK="$(mktemp -d)"; PIDS=(); PG_BENCH_DB=""
PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"
  if [ -n "$PG_BENCH_DB" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
DB="sqlite://$WORK/bench.db"
python3 scripts/bench_data.py "$WORK/data.json" --grants "$GRANTS" --users 1000
start=$(date +%s.%N)
"$BIN/grantctl" --database-url "$DB" import "$WORK/data.json" >/dev/null
echo "imported $GRANTS grants in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
TOKEN="00$(python3 -c 'import secrets; print(secrets.token_urlsafe(30).replace("-","a").replace("_","b"))')"
BENCH_TOKEN="$TOKEN" "$BIN/grantctl" --database-url "$DB" credential add --kind api_token --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
# okta_config STORE: the gateway's configuration with the org's windows counted in STORE.
okta_config() {
  cat >"$WORK/okta-$1.toml" <<TOML
[server]
bind = "127.0.0.1:18081"
workers = 1
[database]
url = "$DB"
pool_size = 4
[vendor.rate_limit]
store = "$1"
users = 1000000000
other = 1000000000
TOML
}
# start_okta STORE: okta-compat on core 0 with that configuration; sets OKTA_PID.
start_okta() {
  okta_config "$1"
  RUST_LOG=error taskset -c 0 "${2:-$BIN/okta-compat}" --config "$WORK/okta-$1.toml" >"$WORK/okta-$1.log" 2>&1 & OKTA_PID=$!; PIDS+=($OKTA_PID)
  for _ in $(seq 100); do curl -fs http://127.0.0.1:18081/healthz >/dev/null && return 0; sleep 0.1; done
  cat "$WORK/okta-$1.log" >&2; exit 1
}
stop_okta() { kill "$OKTA_PID"; wait "$OKTA_PID" 2>/dev/null || true; }
start_okta memory
URL="http://127.0.0.1:18081/api/v1/users/00uA1iceBench0000001/grants?limit=20"
curl -fsS -H "Authorization: SSWS $TOKEN" "$URL" >"$WORK/body.json"
echo "response body: $(wc -c <"$WORK/body.json") bytes, $(python3 -c "import json; print(len(json.load(open('$WORK/body.json'))))") grants"
taskset -c 0 "$BIN/examples/fixed_body" 127.0.0.1:18099 "$WORK/body.json" & FIXED_PID=$!; PIDS+=($FIXED_PID)
start_storage_ceiling "$DB" default alice 20
for _ in $(seq 50); do curl -fs http://127.0.0.1:18099/ >/dev/null && break; sleep 0.1; done

RATE=""
run() { # label url [header] [server pid]: with the pid, its CPU per request and peak RSS too
  local out ticks=0 usage=""
  [ -n "${4:-}" ] && ticks="$(cpu_ticks "$4")"
  out=$(taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency ${3:+-H "$3"} "$2")
  RATE="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  if [ -n "${4:-}" ]; then
    local requests; requests="$(awk '/requests in/ {print $1}' <<<"$out")"
    usage="$(python3 -c "print(f'   server CPU {($(cpu_ticks "$4") - $ticks) / $(getconf CLK_TCK) / $requests * 1e6:.0f} µs/req')")   peak RSS $(peak_rss_mib "$4") MiB"
  fi
  printf '%-48s %10s req/s   p99 %s%s\n' "$1" "$RATE" "$(awk '$1=="99%" {print $2}' <<<"$out")" "$usage"
}
echo "wrk: 1 thread, 16 connections, ${DURATION}s each; server pinned to core 0, wrk to core 1"
run "actix fixed body (HTTP ceiling)" "http://127.0.0.1:18099/" "" "$FIXED_PID"
HTTP_CEILING="$RATE"
run "one page query, 20 rows as JSON (storage ceiling)" "$CEILING_URL" "" "$CEILING_PID"
STORAGE_CEILING="$RATE"
run "okta-compat list grants, rate limit in process" "$URL" "Authorization: SSWS $TOKEN" "$OKTA_PID"
MEMORY="$RATE"
echo "okta-compat / storage ceiling: $(python3 -c "print(f'{$MEMORY / $STORAGE_CEILING:.2f}')"); / HTTP ceiling: $(python3 -c "print(f'{$MEMORY / $HTTP_CEILING:.3f}')")"
if [ -n "${AB_BIN:-}" ]; then
  best_a="$RATE"; best_b=0
  # B, A, A, B: each binary runs early and late once, so a machine warming up (or cooling
  # down) during the run favours neither.
  for who in B A A B; do
    stop_okta
    if [ "$who" = B ]; then start_okta memory "$AB_BIN"; else start_okta memory; fi
    run "  $who: $([ "$who" = B ] && echo "$AB_BIN" || echo "this build")" "$URL" "Authorization: SSWS $TOKEN" "$OKTA_PID"
    if [ "$who" = B ]; then best_b="$(python3 -c "print(max($best_b, $RATE))")"; else best_a="$(python3 -c "print(max($best_a, $RATE))")"; fi
  done
  echo "A/B, best runs: this build / $AB_BIN = $(python3 -c "print(f'{$best_a / $best_b:.3f}')")"
fi
stop_okta
start_okta database
run "okta-compat list grants, rate limit in the db" "$URL" "Authorization: SSWS $TOKEN" "$OKTA_PID"
echo "shared (database) / in-process rate limit: $(python3 -c "print(f'{$RATE / $MEMORY:.2f}')")"

# The same data, request and token on PostgreSQL ($BENCH_PG_URL, a database made for the run
# and dropped after; skipped when no server answers): the gateway and the storage ceiling.
if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN" -qAtc 'select 1' >/dev/null 2>&1; then
  PG_BENCH_DB="bench_okta_$$"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_BENCH_DB" >/dev/null
  DB="${PG_ADMIN%/*}/$PG_BENCH_DB"
  start=$(date +%s.%N)
  "$BIN/grantctl" --database-url "$DB" import "$WORK/data.json" >/dev/null
  echo "PostgreSQL: imported $GRANTS grants in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
  BENCH_TOKEN="$TOKEN" "$BIN/grantctl" --database-url "$DB" credential add --kind api_token --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
  stop_okta
  start_okta memory
  start_storage_ceiling "$DB" default alice 20
  run "storage ceiling on PostgreSQL" "$CEILING_URL" "" "$CEILING_PID"
  PG_CEILING="$RATE"
  run "okta-compat list grants on PostgreSQL" "$URL" "Authorization: SSWS $TOKEN" "$OKTA_PID"
  echo "PostgreSQL: okta-compat / its storage ceiling: $(ratio "$RATE" "$PG_CEILING"); okta-compat on PostgreSQL / on SQLite (rate limit in process): $(ratio "$RATE" "$MEMORY")"
else
  echo "PostgreSQL run skipped: no server answers at $PG_ADMIN (set BENCH_PG_URL)"
fi
