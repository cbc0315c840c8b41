#!/usr/bin/env bash
# Drives ocs-compat with AVEVA's Python sample library (adh-sample-library-preview
# 0.10.19rc0, installed by scripts/sdk-setup.sh ocs): a fresh gateway on a fresh SQLite
# database seeded through grantctl; the library gets its token by discovery + client
# credentials, then drives PersistedGrants, AuthorizationCodeClients,
# ClientCredentialClients/Secrets (through baseClient) and its Users/Roles wrappers.
# Expects target/debug/{ocs-compat,grantctl} (scripts/test-all.sh builds them).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/sdk-setup.sh" ocs

WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

TENANT=8f3c1b2a-0d4e-4f5a-9b6c-7d8e9f0a1b2c
OTHER_TENANT=8f3c1b2a-0d4e-4f5a-9b6c-7d8e9f0a1b2d
ADMIN_CLIENT=c1d2e3f4-0000-4000-8000-00000000ad01
MEMBER_CLIENT=c1d2e3f4-0000-4000-8000-00000000ae02
OTHER_CLIENT=c1d2e3f4-0000-4000-8000-00000000bb03
ALICE=a11ce000-5dc0-4000-8000-000000000001
BOB=b0b00000-5dc0-4000-8000-000000000002
SPA1=5ba00000-5dc0-4000-8000-000000000001
SPA2=5ba00000-5dc0-4000-8000-000000000002
SECRET="$(random_secret)"
DB="sqlite://$WORK/ocs.db"
ctl=("$BIN/grantctl" --database-url "$DB")

"${ctl[@]}" tenant add --id "$TENANT" --name "SDK tenant" >/dev/null
"${ctl[@]}" tenant add --id "$OTHER_TENANT" --name "Other tenant" >/dev/null
"${ctl[@]}" user add --tenant "$TENANT" --id "$ALICE" --login alice@example.test --display-name "Alice SDK" --role "Tenant Member" >/dev/null
"${ctl[@]}" user add --tenant "$TENANT" --id "$BOB" --login bob@example.test --display-name "Bob SDK" --role "Tenant Member" >/dev/null
"${ctl[@]}" client add --tenant "$TENANT" --id "$ADMIN_CLIENT" --name "SDK admin" --kind client_credentials --role "Tenant Administrator" --role "Tenant Member" >/dev/null
"${ctl[@]}" client add --tenant "$TENANT" --id "$MEMBER_CLIENT" --name "SDK member" --kind client_credentials --role "Tenant Member" --access-token-lifetime 3600 >/dev/null
"${ctl[@]}" client add --tenant "$OTHER_TENANT" --id "$OTHER_CLIENT" --name "Other admin" --kind client_credentials --role "Tenant Administrator" >/dev/null
for c in "$ADMIN_CLIENT" "$MEMBER_CLIENT"; do
  SDK_SECRET="$SECRET" "${ctl[@]}" credential add --tenant "$TENANT" --kind client_secret --name "$c/1/sdk" --client "$c" --secret-env SDK_SECRET >/dev/null
done
SDK_SECRET="$SECRET" "${ctl[@]}" credential add --tenant "$OTHER_TENANT" --kind client_secret --name "$OTHER_CLIENT/1/sdk" --client "$OTHER_CLIENT" --secret-env SDK_SECRET >/dev/null
"${ctl[@]}" client add --tenant "$TENANT" --id "$SPA1" --name "SPA one" --kind authorization_code --redirect-uri https://spa1.example.test/cb --tag sdk >/dev/null
"${ctl[@]}" client add --tenant "$TENANT" --id "$SPA2" --name "SPA two" --kind authorization_code --redirect-uri https://spa2.example.test/cb >/dev/null
"${ctl[@]}" grant add --tenant "$TENANT" --user "$ALICE" --client "$SPA1" --grant-type authorization_code --id-format guid --scope openid --scope ocsapi --count 3 >/dev/null
"${ctl[@]}" grant add --tenant "$TENANT" --user "$ALICE" --client "$SPA2" --grant-type authorization_code --id-format guid --scope openid --scope ocsapi >/dev/null
"${ctl[@]}" grant add --tenant "$TENANT" --user "$BOB" --client "$SPA2" --grant-type authorization_code --id-format guid --scope openid >/dev/null

PORT="$(free_port)"
start_gateway ocs-compat "$PORT" "$DB"; PID=$GATEWAY_PID
echo "== ocs SDK conformance: adh-sample-library-preview (python)"
OCS_URL="http://127.0.0.1:$PORT" OCS_TENANT="$TENANT" OCS_OTHER_TENANT="$OTHER_TENANT" \
  OCS_ADMIN_CLIENT="$ADMIN_CLIENT" OCS_MEMBER_CLIENT="$MEMBER_CLIENT" OCS_OTHER_CLIENT="$OTHER_CLIENT" \
  OCS_SECRET="$SECRET" OCS_ALICE="$ALICE" OCS_BOB="$BOB" OCS_SPA1="$SPA1" OCS_SPA2="$SPA2" \
  "$ROOT/.venv-sdk/ocs/bin/python" "$ROOT/tests/sdk/ocs/conformance.py"
echo "ocs SDK conformance: passed"
