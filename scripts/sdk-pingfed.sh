#!/usr/bin/env bash
# Drives pingfed-compat the way in-house PingFederate scripts do (Python `requests`, HTTP
# Basic + X-XSRF-HEADER): a fresh gateway on a fresh SQLite database seeded through
# grantctl. Expects target/debug/{pingfed-compat,grantctl} (scripts/test-all.sh builds them).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/sdk-setup.sh" pingfed

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Through a reverse proxy (scripts/test-proxy.sh): SDK_PINGFED_BASE_URL is the proxy's
# address of a gateway serving tenant SDK_PINGFED_TENANT of SDK_PINGFED_DB (seeded here),
# writing SDK_PINGFED_RUNTIME_LOG, with SDK_PINGFED_PASSWORD for ws-admin.
PASSWORD="${SDK_PINGFED_PASSWORD:-$(random_secret)}"
DB="${SDK_PINGFED_DB:-sqlite://$WORK/pingfed.db}"
TENANT="${SDK_PINGFED_TENANT:-default}"
ctl=("$BIN/grantctl" --database-url "$DB")
"${ctl[@]}" tenant add --id "$TENANT" --name "PingFederate conformance" >/dev/null
for login in asmith bob "j.doe@example.com"; do "${ctl[@]}" user add --tenant "$TENANT" --login "$login" >/dev/null; done
"${ctl[@]}" client add --tenant "$TENANT" --id ac_client --name "AC Client" >/dev/null
"${ctl[@]}" client add --tenant "$TENANT" --id im_client --name "Implicit Client" >/dev/null
add() { "${ctl[@]}" grant add --tenant "$TENANT" --id-format pingfed "$@" >/dev/null; }
add --user asmith --client ac_client --grant-type authorization_code --count 3 \
  --attribute "pgeaAttrMulti=CN=group1,CN=group2" --attribute "pgeaAttrSingle=asmith@example.local"
add --user asmith --client im_client --grant-type implicit --count 2
add --user bob --client ac_client --grant-type authorization_code --scope openid --scope profile --expires-in 86400 --count 2
add --user "j.doe@example.com" --client ac_client --grant-type password --scope email
PF_PASSWORD="$PASSWORD" "${ctl[@]}" credential add --tenant "$TENANT" --kind password --name ws-admin --secret-env PF_PASSWORD >/dev/null

cat >"$WORK/pingfed.toml" <<TOML
[vendor]
runtime_api_log = "$WORK/runtime-api.log"
TOML

if [ -n "${SDK_PINGFED_BASE_URL:-}" ]; then
  echo "== pingfed conformance: python requests, through $SDK_PINGFED_BASE_URL"
  PF_BASE_URL="$SDK_PINGFED_BASE_URL" PF_USER=ws-admin PF_PASSWORD="$PASSWORD" \
    PF_RUNTIME_LOG="$SDK_PINGFED_RUNTIME_LOG" \
    "$ROOT/.venv-sdk/pingfed/bin/python" "$ROOT/tests/sdk/pingfed/conformance.py"
  echo "pingfed conformance through the proxy: passed"
  exit 0
fi

port="$(free_port)"
start_gateway pingfed-compat "$port" "$DB" "$WORK/pingfed.toml"; PIDS+=("$GATEWAY_PID")
echo "== pingfed conformance: python requests"
PF_BASE_URL="http://127.0.0.1:$port" PF_USER=ws-admin PF_PASSWORD="$PASSWORD" \
  PF_RUNTIME_LOG="$WORK/runtime-api.log" \
  "$ROOT/.venv-sdk/pingfed/bin/python" "$ROOT/tests/sdk/pingfed/conformance.py"
echo "pingfed conformance: passed"
