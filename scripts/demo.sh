#!/usr/bin/env bash
# Builds every gateway, seeds a fresh embedded SQLite database (demo-data/grants.db) with
# demo data, starts the gateways on it and prints each base URL, its credential and a curl
# line that works. Ctrl-C stops them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/scripts/lib.sh"

echo "building gateways (first build takes a few minutes)…"
cargo build --bins --quiet

WORK="$ROOT/demo-data"
rm -rf "$WORK"
mkdir -p "$WORK"
DB="sqlite://$WORK/grants.db"
OKTA_PORT=8081
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

venafi-compat  $VENAFI_URL   Venafi TPP WebSDK grants + VEDauth (HTTPS, self-signed: $WORK/tls/cert.pem)
  login: $VENAFI_USER / $VENAFI_PASSWORD, client_id $VENAFI_APP
  token:  curl -s --cacert $WORK/tls/cert.pem -H 'Content-Type: application/json' -d '{"username":"$VENAFI_USER","password":"$VENAFI_PASSWORD","client_id":"$VENAFI_APP","scope":"admin:delete"}' $VENAFI_URL/vedauth/authorize/oauth
  grants: curl -s --cacert $WORK/tls/cert.pem -H "Authorization: Bearer $VENAFI_TOKEN" -H 'Content-Type: application/json' -d '{"GranteePrefixedUniversal":"$VENAFI_ALICE"}' $VENAFI_URL/vedsdk/oauth/getgrants
  verify: curl -s --cacert $WORK/tls/cert.pem -H "Authorization: Bearer $VENAFI_TOKEN" $VENAFI_URL/vedauth/authorize/verify
TXT

echo
echo "Press Ctrl-C to stop."
wait
