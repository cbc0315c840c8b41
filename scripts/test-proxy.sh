#!/usr/bin/env bash
# The four gateways behind a real nginx (Debian's package, installed by
# scripts/install-nginx.sh when missing), configured with deploy/nginx/grant-gateways.conf
# and deploy/gateway.env (only ports and file paths rewritten), over one PostgreSQL database
# created for this run and dropped after: two okta-compat replicas and one of each other
# gateway. Through nginx it checks links, revocations across replicas, a rolling restart of
# the replicas under load (no request lost), and runs the Okta Python SDK and PingFederate
# conformance runs. Also `systemd-analyze verify` of deploy/systemd/ when it exists.
# Needs PostgreSQL at $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres):
# without one it is skipped with a notice, a failure when CI=true.
# Expects target/debug binaries (scripts/test-all.sh builds them; BIN= to use others).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
PG_ADMIN_URL="${GRANT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
started_at=$SECONDS

# --- systemd units --------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  "$ROOT/scripts/check-systemd-units.sh"
else
  echo "systemd unit check SKIPPED: no systemd-analyze on this machine"
fi

if ! command -v psql >/dev/null 2>&1 || ! psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "the proxy test needs PostgreSQL in CI (CI=true) but none answers at $PG_ADMIN_URL" >&2
    exit 1
  fi
  echo "proxy test SKIPPED: no PostgreSQL server answers at $PG_ADMIN_URL (set GRANT_TEST_PG_URL)"
  exit 0
fi
"$ROOT/scripts/install-nginx.sh"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

WORK="$(mktemp -d)"
DB="grant_proxy_$(date +%s)_$$"
PIDS=()
NGINX_UP=0
cleanup() {
  [ "$NGINX_UP" = 1 ] && "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "proxy test FAILED: $*" >&2; for f in "$WORK"/*.log "$WORK"/nginx/logs/error.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
check() { if eval "$2"; then echo "  ok: $1"; else fail "$1"; fi; }

psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG_ADMIN_URL%/*}/$DB"
"$BIN/grantctl" --database-url "$DB_URL" migrate >/dev/null

# --- ports, certificates, configuration ---------------------------------------------------
HTTP_PORT="$(free_port)"; HTTPS_PORT="$(free_port)"
OKTA1="$(free_port)"; OKTA2="$(free_port)"; PINGFED="$(free_port)"; VENAFI="$(free_port)"; OCS="$(free_port)"
PUBLIC="http://127.0.0.1:$HTTP_PORT"
"$BIN/grantctl" tls-cert --out-dir "$WORK/tls" >/dev/null

mkdir -p "$WORK/config" "$WORK/nginx/logs"
cp "$ROOT"/config/*.toml "$WORK/config/"
# The replicas share one rate-limit budget in the database (as deploy/gateway.env sets it);
# test only: its limits out of the way of the load below, and the runtime-api.log in the
# work directory.
sed -i 's/^users = .*/users = 1000000/; s/^other = .*/other = 1000000/' "$WORK/config/okta.toml"
sed -i "s|^runtime_api_log = .*|runtime_api_log = \"$WORK/runtime-api.log\"|" "$WORK/config/pingfed.toml"

# The gateways' shared settings: deploy/gateway.env, with this run's database, config dir and
# host name (nginx's loopback address instead of grants.example.com).
set -a
# shellcheck disable=SC1091
. "$ROOT/deploy/gateway.env"
set +a
export GRANT_DATABASE_URL="$DB_URL" GRANT_CONFIG_DIR="$WORK/config" GRANT_ALLOWED_HOSTS=127.0.0.1 RUST_LOG=warn
# The okta replicas' shared rate-limit store, as their unit sets it.
store="$(sed -n 's/^Environment=OKTA_COMPAT_VENDOR__RATE_LIMIT__STORE=//p' "$ROOT/deploy/systemd/okta-compat@.service")"
[ "$store" = database ] || fail "deploy/systemd/okta-compat@.service: OKTA_COMPAT_VENDOR__RATE_LIMIT__STORE is '$store', not database"
export OKTA_COMPAT_VENDOR__RATE_LIMIT__STORE="$store"

# deploy/nginx/grant-gateways.conf with this run's ports and files.
sed -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$HTTPS_PORT ssl;|" \
    -e "s|127.0.0.1:8081|127.0.0.1:$OKTA1|; s|127.0.0.1:8085|127.0.0.1:$OKTA2|" \
    -e "s|127.0.0.1:8082|127.0.0.1:$PINGFED|; s|127.0.0.1:8083|127.0.0.1:$VENAFI|; s|127.0.0.1:8084|127.0.0.1:$OCS|" \
    -e "s|/etc/grant-gateways/tls/proxy-cert.pem|$WORK/tls/cert.pem|; s|/etc/grant-gateways/tls/proxy-key.pem|$WORK/tls/key.pem|" \
    -e "s|/etc/grant-gateways/tls/cert.pem|$WORK/tls/cert.pem|" \
    "$ROOT/deploy/nginx/grant-gateways.conf" >"$WORK/nginx/grant-gateways.conf"
if grep -v '^ *#' "$WORK/nginx/grant-gateways.conf" | grep -E -q ':808[1-5];|listen (80|443)|/etc/grant-gateways'; then
  fail "deploy/nginx/grant-gateways.conf changed: this script no longer rewrites every port and path"
fi
# The rest of nginx.conf: what Debian's /etc/nginx/nginx.conf provides, in the work directory.
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log $WORK/nginx/logs/access.log;
    log_format upstream '\$upstream_addr \$status';
    access_log $WORK/nginx/logs/upstream.log upstream;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    include $WORK/nginx/grant-gateways.conf;
}
CONF

# --- gateways and nginx ---------------------------------------------------------------------
# run NAME PORT [ENV…]: starts a gateway with the shared environment; sets GATEWAY_PID.
run() {
  local name="$1" port="$2"; shift 2
  env "$@" GRANT_BIND="127.0.0.1:$port" "$BIN/$name" >>"$WORK/$name-$port.log" 2>&1 &
  GATEWAY_PID=$!
}
ready() { wait_ready "$1" || fail "gateway at $1 did not start"; }

run okta-compat "$OKTA1"; OKTA1_PID=$GATEWAY_PID; PIDS+=("$OKTA1_PID")
run okta-compat "$OKTA2"; OKTA2_PID=$GATEWAY_PID; PIDS+=("$OKTA2_PID")
run pingfed-compat "$PINGFED" PINGFED_COMPAT_TENANT=pf; PIDS+=("$GATEWAY_PID")
run venafi-compat "$VENAFI" GRANT_TLS_CERT="$WORK/tls/cert.pem" GRANT_TLS_KEY="$WORK/tls/key.pem"; PIDS+=("$GATEWAY_PID")
run ocs-compat "$OCS"; PIDS+=("$GATEWAY_PID")
for u in "http://127.0.0.1:$OKTA1" "http://127.0.0.1:$OKTA2" "http://127.0.0.1:$PINGFED" \
         "https://127.0.0.1:$VENAFI" "http://127.0.0.1:$OCS"; do ready "$u"; done

"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx-t.log" || fail "nginx -t: $(cat "$WORK/nginx-t.log")"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
NGINX_UP=1
echo "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||') on $PUBLIC and https://127.0.0.1:$HTTPS_PORT; okta replicas :$OKTA1 :$OKTA2"

# --- vendor conformance runs through nginx --------------------------------------------------
SDK_OKTA_ORG_URL="$PUBLIC" SDK_OKTA_DB="$DB_URL" "$ROOT/scripts/sdk-okta.sh"
SDK_PINGFED_BASE_URL="$PUBLIC" SDK_PINGFED_DB="$DB_URL" SDK_PINGFED_TENANT=pf \
  SDK_PINGFED_RUNTIME_LOG="$WORK/runtime-api.log" "$ROOT/scripts/sdk-pingfed.sh"
# A caller at 127.0.0.2 (not a trusted proxy) forging a left-most hop: nginx appends
# 127.0.0.2, the gateway takes the right-most untrusted hop.
curl -sS -o /dev/null --interface 127.0.0.2 -u x:y -H 'X-XSRF-Header: x' -H 'X-Forwarded-For: 6.6.6.6' \
  "$PUBLIC/pf-ws/rest/oauth/users/bob/grants" || fail "pingfed through nginx from 127.0.0.2"
for _ in $(seq 1 30); do grep -q '| x| basic|' "$WORK/runtime-api.log" && break; sleep 0.1; done
check "runtime-api.log records the caller nginx saw (127.0.0.2), not the forged hop" \
  "tail -n 1 '$WORK/runtime-api.log' | grep -q '| x| basic| 127.0.0.2| GET|'"

# --- links, case-insensitive routes, TLS upstream -------------------------------------------
DAVE=00uDaveProxyUser0001
TOKEN="$(random_secret)"
ctl=("$BIN/grantctl" --database-url "$DB_URL")
"${ctl[@]}" user add --login dave --okta-id "$DAVE" >/dev/null
"${ctl[@]}" client add --id 0oaProxyClient000001 --name "Proxy App" >/dev/null
"${ctl[@]}" grant add --user dave --client 0oaProxyClient000001 --scope okta.users.read --count 30 \
  --issuer "$PUBLIC" --grant-type consent >/dev/null
PROXY_TOKEN="$TOKEN" "${ctl[@]}" credential add --kind api_token --name proxy --user dave --role SUPER_ADMIN \
  --secret-env PROXY_TOKEN >/dev/null
AUTH=(-H "Authorization: SSWS $TOKEN")

echo "== through nginx"
curl -fsS "${AUTH[@]}" -D "$WORK/h1" -o "$WORK/b1" "$PUBLIC/api/v1/users/$DAVE/grants?limit=2" || fail "okta list"
check "Okta Link headers point at nginx" "grep -qi '^link: <$PUBLIC/api/v1/users/$DAVE/grants?limit=2>; rel=\"self\"' '$WORK/h1' && grep -qi '^link: <$PUBLIC/api/v1/users/$DAVE/grants?.*after=.*rel=\"next\"' '$WORK/h1'"
check "Okta _links point at nginx" "python3 -c 'import json,sys; b=json.load(open(\"$WORK/b1\")); sys.exit(0 if len(b)==2 and all(g[\"_links\"][\"self\"][\"href\"].startswith(\"$PUBLIC/api/v1/users/\") for g in b) else 1)'"
curl -fsS "${AUTH[@]}" -H 'X-Forwarded-Host: evil.example' -D "$WORK/h2" -o /dev/null "$PUBLIC/api/v1/users/$DAVE/grants?limit=2" || fail "okta list"
check "a forged X-Forwarded-Host does not reach the links" "! grep -qi evil '$WORK/h2'"
curl -fsS -o "$WORK/disco" "$PUBLIC/IDENTITY/.well-known/openid-configuration" || fail "OCS discovery"
check "OCS discovery (case-insensitive path) points at nginx" "python3 -c 'import json,sys; d=json.load(open(\"$WORK/disco\")); sys.exit(0 if d[\"issuer\"]==\"$PUBLIC/identity\" and d[\"token_endpoint\"].startswith(\"$PUBLIC/identity/\") else 1)'"
code="$(curl -sS --cacert "$WORK/tls/cert.pem" -o "$WORK/ven" -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/VEDSDK/SystemStatus/Version")"
check "Venafi through HTTPS to its TLS upstream, case-insensitive (/VEDSDK/…: $code)" "[ '$code' = 401 ] && grep -q '\"error\"' '$WORK/ven'"
code="$(curl -sS -o /dev/null -w '%{http_code}' "$PUBLIC/api/v1/tenants/default/users/x/persistedgrants")"
check "OCS API through nginx (lower-case /api/v1/tenants: $code, the gateway's 401)" "[ '$code' = 401 ]"

# --- one rate-limit budget across the replicas ---------------------------------------------
: >"$WORK/nginx/logs/upstream.log"
remaining=()
for i in 1 2 3 4 5 6; do
  curl -fsS "${AUTH[@]}" -D "$WORK/rl" -o /dev/null "$PUBLIC/api/v1/users/$DAVE/grants?limit=1" || fail "okta list ($i)"
  remaining+=("$(tr -d '\r' <"$WORK/rl" | awk 'tolower($1)=="x-rate-limit-remaining:" {print $2}')")
done
for _ in $(seq 1 20); do [ "$(wc -l <"$WORK/nginx/logs/upstream.log")" -ge 6 ] && break; sleep 0.1; done
check "the six requests landed on both replicas ($(sort -u "$WORK/nginx/logs/upstream.log" | tr '\n' ' '))" \
  "grep -q ':$OKTA1 ' '$WORK/nginx/logs/upstream.log' && grep -q ':$OKTA2 ' '$WORK/nginx/logs/upstream.log'"
check "X-Rate-Limit-Remaining through nginx strictly decreasing, one budget (${remaining[*]})" \
  "python3 -c 'import sys; r=[int(x) for x in sys.argv[1:]]; sys.exit(0 if len(r)==6 and all(b==a-1 for a,b in zip(r,r[1:])) else 1)' ${remaining[*]}"

# --- a revocation through one replica is gone on the other ----------------------------------
ids=($(python3 -c 'import json; print(" ".join(g["id"] for g in json.load(open("'"$WORK/b1"'"))))'))
code="$(curl -sS "${AUTH[@]}" -X DELETE -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OKTA1/api/v1/users/$DAVE/grants/${ids[0]}")"
[ "$code" = 204 ] || fail "revoke on replica 1: $code"
code="$(curl -sS "${AUTH[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OKTA2/api/v1/users/$DAVE/grants/${ids[0]}")"
check "revoked on replica 1, at once 404 on replica 2" "[ '$code' = 404 ]"
code="$(curl -sS "${AUTH[@]}" -X DELETE -o /dev/null -w '%{http_code}' "$PUBLIC/api/v1/users/$DAVE/grants/${ids[1]}")"
[ "$code" = 204 ] || fail "revoke through nginx: $code"
codes="$(for i in 1 2 3 4; do curl -sS "${AUTH[@]}" -o /dev/null -w '%{http_code} ' "$PUBLIC/api/v1/users/$DAVE/grants/${ids[1]}"; done)"
check "revoked through nginx, 404 from both replicas ($codes)" "[ '$codes' = '404 404 404 404 ' ]"

# --- rolling restart of the okta replicas under load ----------------------------------------
cat >"$WORK/load.py" <<'PY'
import http.client, os, sys, threading, time
host, port, path, token, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
counts, lock = {}, threading.Lock()
def worker():
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while not os.path.exists(stop):
        try:
            conn.request("GET", path, headers={"Authorization": "SSWS " + token})
            r = conn.getresponse(); r.read(); status = r.status
        except Exception as e:
            status = type(e).__name__; conn.close(); conn = http.client.HTTPConnection(host, port, timeout=10)
        with lock: counts[status] = counts.get(status, 0) + 1
threads = [threading.Thread(target=worker) for _ in range(4)]
started = time.time()
for t in threads: t.start()
for t in threads: t.join()
total = sum(counts.values())
print(f"{total} requests in {time.time() - started:.1f} s: {counts}")
sys.exit(0 if set(counts) == {200} else 1)
PY
python3 "$WORK/load.py" 127.0.0.1 "$HTTP_PORT" "/api/v1/users/$DAVE/grants?limit=5" "$TOKEN" "$WORK/stop" >"$WORK/load.out" 2>&1 &
LOAD_PID=$!
sleep 1
# restart N PORT: SIGTERM (graceful: in-flight requests finish), wait for exit, start again.
restart() {
  local pid="$1" port="$2"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "replica :$port did not stop on SIGTERM"
  run okta-compat "$port"; PIDS+=("$GATEWAY_PID")
  ready "http://127.0.0.1:$port"
  sleep 2  # > fail_timeout (1 s): nginx sends to it again before the other one stops
}
restart "$OKTA1_PID" "$OKTA1"; OKTA1_PID=$GATEWAY_PID
restart "$OKTA2_PID" "$OKTA2"; OKTA2_PID=$GATEWAY_PID
touch "$WORK/stop"
if wait "$LOAD_PID"; then load_ok=1; else load_ok=0; fi
echo "  load during the rolling restart: $(cat "$WORK/load.out")"
check "rolling restart of both okta replicas under load: every request answered 200" "[ $load_ok = 1 ]"
grep -q " 200 " "$WORK/nginx/logs/access.log" || fail "nginx access log is empty"

# --- metrics: scraped on each gateway's own port, not exposed through nginx -----------------
curl -fsS "http://127.0.0.1:$OKTA2/metrics" -o "$WORK/metrics" || fail "scrape okta replica"
check "okta replica metrics count the list route by template" \
  "grep -q '^grant_http_requests_total{gateway=\"okta\",route=\"/api/v1/users/{userId}/grants\",method=\"GET\",status=\"200\"} [1-9]' '$WORK/metrics'"
code="$(curl -sS -o /dev/null -w '%{http_code}' "$PUBLIC/metrics")"
check "/metrics is not reachable through nginx ($code)" "[ '$code' = 404 ]"

echo "proxy test: passed in $((SECONDS - started_at)) s"
