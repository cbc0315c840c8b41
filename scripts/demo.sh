#!/usr/bin/env bash
# Builds every gateway, seeds a fresh embedded SQLite database (demo-data/grants.db) with
# demo data, starts the gateways on it and prints each base URL, its credential and a curl
# line that works.
#   scripts/demo.sh            run in the foreground; Ctrl-C stops the gateways
#   scripts/demo.sh --detach   leave them running in the background and return
#   scripts/demo.sh stop       stop the gateways a detached (or other) demo started
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

WORK="$ROOT/demo-data"
PIDFILE="$WORK/pids"
running() { # the demo's gateway processes still alive
  [ -f "$PIDFILE" ] || return 0
  local pid; for pid in $(cat "$PIDFILE"); do kill -0 "$pid" 2>/dev/null && echo "$pid"; done; return 0
}
case "${1:-}" in
  stop)
    pids="$(running)"
    [ -n "$pids" ] || { echo "no demo is running"; rm -f "$PIDFILE"; exit 0; }
    kill $pids 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(running)" ] && break; sleep 0.1; done
    rm -f "$PIDFILE"
    echo "demo stopped (data kept in $WORK)"
    exit 0 ;;
  --detach) DETACH=1 ;;
  "") DETACH=0 ;;
  *) usage "usage: scripts/demo.sh [--detach | stop]" ;;
esac
if [ -n "$(running)" ]; then
  die "a demo is already running (pids $(running | tr '\n' ' ')); stop it first: ./scripts/demo.sh stop"
fi

echo "building gateways and grantctl (the first build takes a few minutes)…"
cargo build --bins

rm -rf "$WORK"
mkdir -p "$WORK"
DB="sqlite://$WORK/grants.db"
OKTA_PORT=8081
PINGFED_PORT=8082
OCS_PORT=8084
VENAFI_PORT=8083
"$BIN/grantctl" tls-cert --out-dir "$WORK/tls" >/dev/null   # throw-away self-signed pair for the TLS gateways

"$BIN/grantctl" --database-url "$DB" seed-demo --json --okta-issuer "http://127.0.0.1:$OKTA_PORT" >"$WORK/seed.json"
seed() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); 
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$WORK/seed.json" "$1"; }

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -f "$PIDFILE"' EXIT INT TERM
export RUST_LOG="${RUST_LOG:-info}"   # access lines go to each gateway's log file

start_gateway okta-compat "$OKTA_PORT" "$DB"; PIDS+=("$GATEWAY_PID")
OKTA_TOKEN="$(seed okta.api_token)"
OKTA_USER="$(seed okta.user_id)"
OKTA_LOGIN="$(seed okta.login)"
OKTA_PASSWORD="$(seed okta.password)"
OKTA_APP="$(seed okta.app_id)"
OKTA_APP_SECRET="$(seed okta.app_secret)"
OKTA_REDIRECT="$(seed okta.app_redirect_uri)"
cat >"$WORK/pingfed.toml" <<TOML
[vendor]
runtime_api_log = "$WORK/runtime-api.log"
TOML
start_gateway pingfed-compat "$PINGFED_PORT" "$DB" "$WORK/pingfed.toml"; PIDS+=("$GATEWAY_PID")
PF_USER="$(seed pingfed.username)"
PF_PASSWORD="$(seed pingfed.password)"
PF_USER_KEY="$(seed pingfed.user_key)"

start_gateway ocs-compat "$OCS_PORT" "$DB"; PIDS+=("$GATEWAY_PID")
OCS_TENANT="$(seed ocs.tenant)"
OCS_CLIENT="$(seed ocs.client_id)"
OCS_SECRET="$(seed ocs.client_secret)"
OCS_USER="$(seed ocs.user_id)"

GRANT_TLS_CERT="$WORK/tls/cert.pem" GRANT_TLS_KEY="$WORK/tls/key.pem" GATEWAY_SCHEME=https \
  start_gateway venafi-compat "$VENAFI_PORT" "$DB"; PIDS+=("$GATEWAY_PID")
VENAFI_USER="$(seed venafi.username)"
VENAFI_PASSWORD="$(seed venafi.password)"
VENAFI_APP="$(seed venafi.client_id)"
VENAFI_ALICE="$(seed venafi.alice_universal)"
VENAFI_URL="https://127.0.0.1:$VENAFI_PORT"
VENAFI_TOKEN="$(curl -s --cacert "$WORK/tls/cert.pem" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$VENAFI_USER\",\"password\":\"$VENAFI_PASSWORD\",\"client_id\":\"$VENAFI_APP\",\"scope\":\"admin:delete\"}" \
  "$VENAFI_URL/vedauth/authorize/oauth" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

cat <<TXT

Gateways are running on one SQLite database ($WORK/grants.db).
Logs (one access line per request): $WORK/*.log
List what it holds:  $BIN/grantctl --database-url $DB grant list

okta-compat    http://127.0.0.1:$OKTA_PORT    Okta User Grants API
  API token (SSWS):  $OKTA_TOKEN
  curl -s -H "Authorization: SSWS $OKTA_TOKEN" http://127.0.0.1:$OKTA_PORT/api/v1/users/$OKTA_USER/grants
  sign-in (authorization server "default"): $OKTA_LOGIN / $OKTA_PASSWORD; app $OKTA_APP / $OKTA_APP_SECRET, redirect URI $OKTA_REDIRECT
  curl -s -H 'Content-Type: application/json' -d '{"username":"$OKTA_LOGIN","password":"$OKTA_PASSWORD"}' http://127.0.0.1:$OKTA_PORT/api/v1/authn
  in a browser: http://127.0.0.1:$OKTA_PORT/oauth2/default/v1/authorize?client_id=$OKTA_APP&redirect_uri=$OKTA_REDIRECT&response_type=code&scope=openid%20profile%20offline_access&state=demo

pingfed-compat http://127.0.0.1:$PINGFED_PORT    PingFederate OAuth access grant management (/pf-ws/rest/oauth/…)
  PCV user (HTTP Basic):  $PF_USER / $PF_PASSWORD    audit log: $WORK/runtime-api.log
  curl -s -u '$PF_USER:$PF_PASSWORD' -H 'X-XSRF-HEADER: PingFederate' http://127.0.0.1:$PINGFED_PORT/pf-ws/rest/oauth/users/$PF_USER_KEY/grants

ocs-compat     http://127.0.0.1:$OCS_PORT    OCS / AVEVA Data Hub Identity (tenant $OCS_TENANT)
  client credentials:  $OCS_CLIENT / $OCS_SECRET
  TOKEN=\$(curl -s -d client_id=$OCS_CLIENT -d client_secret=$OCS_SECRET -d grant_type=client_credentials http://127.0.0.1:$OCS_PORT/identity/connect/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$OCS_PORT/api/v1/Tenants/$OCS_TENANT/Users/$OCS_USER/PersistedGrants
  curl -s -H "Authorization: Bearer \$TOKEN" "http://127.0.0.1:$OCS_PORT/api/v1/Tenants/$OCS_TENANT/AuthorizationCodeClients?count=10" -D -

venafi-compat  $VENAFI_URL   Venafi TPP WebSDK grants + VEDauth (HTTPS, self-signed: $WORK/tls/cert.pem)
  login: $VENAFI_USER / $VENAFI_PASSWORD, client_id $VENAFI_APP
  token:  curl -s --cacert $WORK/tls/cert.pem -H 'Content-Type: application/json' -d '{"username":"$VENAFI_USER","password":"$VENAFI_PASSWORD","client_id":"$VENAFI_APP","scope":"admin:delete"}' $VENAFI_URL/vedauth/authorize/oauth
  grants: curl -s --cacert $WORK/tls/cert.pem -H "Authorization: Bearer $VENAFI_TOKEN" -H 'Content-Type: application/json' -d '{"GranteePrefixedUniversal":"$VENAFI_ALICE"}' $VENAFI_URL/vedsdk/oauth/getgrants
  verify: curl -s --cacert $WORK/tls/cert.pem -H "Authorization: Bearer $VENAFI_TOKEN" $VENAFI_URL/vedauth/authorize/verify
TXT

echo
printf '%s\n' "${PIDS[@]}" >"$PIDFILE"
if [ "$DETACH" = 1 ]; then
  trap - EXIT INT TERM
  echo "Running in the background. Stop with: ./scripts/demo.sh stop"
  exit 0
fi
echo "Press Ctrl-C to stop (or run ./scripts/demo.sh stop from another terminal)."
wait
