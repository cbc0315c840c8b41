#!/usr/bin/env bash
# Builds every gateway, seeds a fresh embedded SQLite database (demo-data/grants.db) with
# demo data, starts the gateways on it and prints each base URL, its credential and a curl
# line that works. Ctrl-C stops them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

echo "building gateways (first build takes a few minutes)…"
cargo build --bins --quiet

WORK="$ROOT/demo-data"
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
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT INT TERM

start_gateway okta-compat "$OKTA_PORT" "$DB"; PIDS+=("$GATEWAY_PID")
OKTA_TOKEN="$(seed okta.api_token)"
OKTA_USER="$(seed okta.user_id)"
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

Gateways are running on one SQLite database ($WORK/grants.db). Logs: $WORK/*.log

okta-compat    http://127.0.0.1:$OKTA_PORT    Okta User Grants API
  API token (SSWS):  $OKTA_TOKEN
  curl -s -H "Authorization: SSWS $OKTA_TOKEN" http://127.0.0.1:$OKTA_PORT/api/v1/users/$OKTA_USER/grants

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
echo "Press Ctrl-C to stop."
wait
