#!/usr/bin/env bash
# Drives venafi-compat over TLS with Venafi's Python client libraries, each in its own venv
# (scripts/sdk-setup.sh venafi): vcert 0.22.1, pytpp 2.0.3 (pydantic<2), pyvenafi 1.1.0.
# Each library gets a fresh gateway on a fresh SQLite database seeded with grantctl, and a
# throw-away self-signed certificate (grantctl tls-cert) that the clients trust.
# Expects target/debug/{venafi-compat,grantctl} (scripts/test-all.sh builds them).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/sdk-setup.sh" venafi

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN/grantctl" tls-cert --out-dir "$WORK/tls" >/dev/null
export VENAFI_CA="$WORK/tls/cert.pem"
export VENAFI_ADMIN_USER=sdkadmin VENAFI_USER=sdkuser
export VENAFI_ADMIN_UNIVERSAL='local:{ad5d0000-0000-4000-8000-000000000001}'
export VENAFI_USER_UNIVERSAL='local:{5d0e0000-0000-4000-8000-000000000002}'
export VENAFI_CLIENT_ID=sdk-app VENAFI_OTHER_CLIENT_ID=sdk-other-app VENAFI_SHORT_CLIENT_ID=sdk-short-app
export VENAFI_ADMIN_PASSWORD="$(random_secret)" VENAFI_USER_PASSWORD="$(random_secret)"

seed() {
  local ctl=("$BIN/grantctl" --database-url "$1")
  "${ctl[@]}" tenant add --id default --name "SDK TPP" >/dev/null
  "${ctl[@]}" user add --login "$VENAFI_ADMIN_USER" --universal "$VENAFI_ADMIN_UNIVERSAL" --role Admin >/dev/null
  "${ctl[@]}" user add --login "$VENAFI_USER" --universal "$VENAFI_USER_UNIVERSAL" >/dev/null
  for app in vcert-sdk "$VENAFI_CLIENT_ID" "$VENAFI_OTHER_CLIENT_ID"; do
    "${ctl[@]}" client add --id "$app" --name "$app" --kind api_integration \
      --access-token-lifetime 7776000 --refresh-token-lifetime 31536000 >/dev/null
  done
  "${ctl[@]}" client add --id "$VENAFI_SHORT_CLIENT_ID" --name "$VENAFI_SHORT_CLIENT_ID" --kind api_integration \
    --access-token-lifetime 5 --refresh-token-lifetime 60 --allowed-identity "$VENAFI_USER_UNIVERSAL" \
    --vendor "SDK Corp" --description "5-second tokens, one identity" >/dev/null
  "${ctl[@]}" credential add --kind password --name "$VENAFI_ADMIN_USER" --user "$VENAFI_ADMIN_USER" --secret-env VENAFI_ADMIN_PASSWORD >/dev/null
  "${ctl[@]}" credential add --kind password --name "$VENAFI_USER" --user "$VENAFI_USER" --secret-env VENAFI_USER_PASSWORD >/dev/null
}

run_client() {
  local label="$1" python="$2" script="$3" port db
  port="$(free_port)"; db="sqlite://$WORK/$label.db"
  seed "$db"
  GRANT_TLS_CERT="$WORK/tls/cert.pem" GRANT_TLS_KEY="$WORK/tls/key.pem" GATEWAY_SCHEME=https \
    start_gateway venafi-compat "$port" "$db"
  local pid=$GATEWAY_PID rc=0; PIDS+=("$pid")
  VENAFI_URL="https://127.0.0.1:$port" PYTHONPATH="$ROOT/tests/sdk/venafi" "$python" "$script" || rc=$?
  kill "$pid" 2>/dev/null || true
  return "$rc"
}

failed=0
run_client vcert "$ROOT/.venv-sdk/vcert/bin/python" "$ROOT/tests/sdk/venafi/vcert_conformance.py" || failed=1
run_client pytpp "$ROOT/.venv-sdk/pytpp/bin/python" "$ROOT/tests/sdk/venafi/pytpp_conformance.py" || failed=1
run_client pyvenafi "$ROOT/.venv-sdk/pyvenafi/bin/python" "$ROOT/tests/sdk/venafi/pyvenafi_conformance.py" || failed=1
if [ "$failed" -ne 0 ]; then echo "venafi client conformance: FAILED" >&2; exit 1; fi
echo "venafi client conformance: passed"
