#!/usr/bin/env bash
# Drives okta-compat with Okta's official SDKs (Python okta 3.4.6, Node
# @okta/okta-sdk-nodejs 8.1.0): each SDK run gets two fresh gateways on fresh SQLite
# databases — one normal, one with a tiny rate limit — seeded through grantctl.
# Expects target/debug/{okta-compat,grantctl} (scripts/test-all.sh builds them).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/sdk-setup.sh" okta

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

ALICE=00uA1iceSdkUser00001
BOB=00uB0bSdkUser0000002
CAROL=00uCar0lSdkUser00003
CLIENT=0oaSdkClient00000001
OTHER_CLIENT=0oaSdkClient00000002
TOKEN="$(random_secret)"

# seed DB_URL ISSUER: alice 25 + 20 grants, bob 3, one SUPER_ADMIN API token owned by alice.
seed() {
  local db="$1" issuer="$2"
  local ctl=("$BIN/grantctl" --database-url "$db")
  "${ctl[@]}" tenant add --id default --name "SDK org" >/dev/null
  "${ctl[@]}" user add --login alice --okta-id "$ALICE" --display-name "Alice SDK" >/dev/null
  "${ctl[@]}" user add --login bob --okta-id "$BOB" --display-name "Bob SDK" >/dev/null
  "${ctl[@]}" user add --login carol --okta-id "$CAROL" --display-name "Carol SDK" >/dev/null
  "${ctl[@]}" client add --id "$CLIENT" --name "SDK App" >/dev/null
  "${ctl[@]}" client add --id "$OTHER_CLIENT" --name "Other App" >/dev/null
  "${ctl[@]}" grant add --user alice --client "$CLIENT" --scope okta.users.read --count 25 --issuer "$issuer" --grant-type consent >/dev/null
  "${ctl[@]}" grant add --user alice --client "$OTHER_CLIENT" --scope okta.users.manage --count 20 --issuer "$issuer" --grant-type consent >/dev/null
  "${ctl[@]}" grant add --user bob --client "$CLIENT" --scope okta.users.read --count 3 --issuer "$issuer" --grant-type consent >/dev/null
  # carol: one stored grant with three opaque scopes (one Okta grant per scope).
  "${ctl[@]}" grant add --user carol --client "$CLIENT" --scope api:read --scope https://api.example.com/orders.read \
    --scope 'données:lire' --issuer "$issuer" --grant-type authorization_code >/dev/null
  SDK_TOKEN="$TOKEN" "${ctl[@]}" credential add --kind api_token --name sdk --user alice --role SUPER_ADMIN --secret-env SDK_TOKEN >/dev/null
}

cat >"$WORK/rate-limited.toml" <<TOML
[server]
tenant = "default"
[vendor.rate_limit]
enabled = true
window_secs = 2
users = 3
other = 100
TOML

run_sdk() {
  local label="$1"; shift
  local port rl_port
  port="$(free_port)"; rl_port="$(free_port)"
  seed "sqlite://$WORK/$label.db" "http://127.0.0.1:$port"
  seed "sqlite://$WORK/$label-rl.db" "http://127.0.0.1:$rl_port"
  start_gateway okta-compat "$port" "sqlite://$WORK/$label.db"; local p1=$GATEWAY_PID; PIDS+=("$p1")
  start_gateway okta-compat "$rl_port" "sqlite://$WORK/$label-rl.db" "$WORK/rate-limited.toml"; local p2=$GATEWAY_PID; PIDS+=("$p2")
  echo "== okta SDK conformance: $label"
  OKTA_ORG_URL="http://127.0.0.1:$port" OKTA_RATE_LIMITED_ORG_URL="http://127.0.0.1:$rl_port" \
    OKTA_API_TOKEN="$TOKEN" OKTA_USER_ID="$ALICE" OKTA_OTHER_USER_ID="$BOB" OKTA_MULTI_SCOPE_USER_ID="$CAROL" \
    OKTA_CLIENT_ID="$CLIENT" OKTA_OTHER_CLIENT_ID="$OTHER_CLIENT" "$@"
  kill "$p1" "$p2" 2>/dev/null || true
}

# Through a reverse proxy (scripts/test-proxy.sh): SDK_OKTA_ORG_URL is the proxy's address
# of an org served from SDK_OKTA_DB (empty, seeded here); only the Python SDK runs, its
# rate-limited org is a local gateway as above.
if [ -n "${SDK_OKTA_ORG_URL:-}" ]; then
  rl_port="$(free_port)"
  seed "$SDK_OKTA_DB" "$SDK_OKTA_ORG_URL"
  seed "sqlite://$WORK/proxy-rl.db" "http://127.0.0.1:$rl_port"
  start_gateway okta-compat "$rl_port" "sqlite://$WORK/proxy-rl.db" "$WORK/rate-limited.toml"; PIDS+=("$GATEWAY_PID")
  echo "== okta SDK conformance: python, through $SDK_OKTA_ORG_URL"
  OKTA_ORG_URL="$SDK_OKTA_ORG_URL" OKTA_RATE_LIMITED_ORG_URL="http://127.0.0.1:$rl_port" \
    OKTA_API_TOKEN="$TOKEN" OKTA_USER_ID="$ALICE" OKTA_OTHER_USER_ID="$BOB" OKTA_MULTI_SCOPE_USER_ID="$CAROL" \
    OKTA_CLIENT_ID="$CLIENT" OKTA_OTHER_CLIENT_ID="$OTHER_CLIENT" \
    "$ROOT/.venv-sdk/okta/bin/python" "$ROOT/tests/sdk/okta/conformance.py"
  echo "okta SDK conformance through the proxy: passed"
  exit 0
fi

run_sdk python "$ROOT/.venv-sdk/okta/bin/python" "$ROOT/tests/sdk/okta/conformance.py"
run_sdk node node "$ROOT/tests/sdk/okta-node/conformance.mjs"
echo "okta SDK conformance: passed"
