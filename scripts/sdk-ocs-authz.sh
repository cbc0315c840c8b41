#!/usr/bin/env bash
# Drives ocs-compat's IdentityServer4-style authorization server (/identity/connect/*) with the
# clients OCS / AVEVA Data Hub applications use (tests/sdk/ocs-authz/conformance.mjs):
# openid-client 5 for a confidential hybrid client (code + PKCE, client_secret_basic, refresh
# rotation) and oidc-client-ts 3 inside headless Chromium for a public SPA; then the grant
# loop with AVEVA's Python sample library (tests/sdk/ocs/authz_loop.py): PersistedGrants
# lists, counts and removes the sign-ins, after which their refresh tokens are refused.
# The gateway runs with `[vendor] persisted_grant_types = ["authorization_code", "refresh_token"]`.
# Runs once on a fresh SQLite database, then on a fresh PostgreSQL database at
# $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) created for this
# run and dropped after: without a server that part is skipped with a notice, a failure when
# CI=true. Installs Debian's chromium when missing (scripts/install-chromium.sh), the Node
# packages from the committed lock (npm ci) and the Python library (scripts/sdk-setup.sh ocs).
# Expects target/debug/{ocs-compat,grantctl} (scripts/test-all.sh builds them; BIN= to use others).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need node npm curl python3 sha256sum
"$ROOT/scripts/sdk-setup.sh" ocs
authz_sdk_prepare ocs

TENANT=0c5a0000-0a07-4000-8000-00000000a001
ALICE=a11ce000-0a07-4000-8000-000000000001
USER_LOGIN=alice@example.test
USER_PASSWORD='Sign-in-Pa55!'
SPA_CLIENT=5ba00000-0a07-4000-8000-000000000001
HYBRID_CLIENT=4b1d0000-0a07-4000-8000-000000000001
API_CLIENT=c1d2e3f4-0a07-4000-8000-00000000ad01
HYBRID_SECRET="$(random_secret)"
API_SECRET="$(random_secret)"

# PersistedGrants lists, counts and removes refresh tokens as well as authorization codes.
CONFIG="$WORK/ocs-authz.toml"
cat >"$CONFIG" <<'TOML'
[vendor]
persisted_grant_types = ["authorization_code", "refresh_token"]
TOML

# seed DB_URL APP_PORT: the tenant, alice with a password, the SPA (AllowOfflineAccess: refresh
# tokens with offline_access) and hybrid clients (consent required) redirecting to the harness
# app on APP_PORT, the hybrid client's secret, and an API client (client credentials, Tenant
# Administrator) for the PersistedGrants API.
seed() {
  local db="$1" app="$2"
  local ctl=("$BIN/grantctl" --database-url "$db")
  "${ctl[@]}" tenant add --id "$TENANT" --name "Authz tenant" >/dev/null
  "${ctl[@]}" user add --tenant "$TENANT" --id "$ALICE" --login "$USER_LOGIN" --display-name "Alice" \
    --role "Tenant Member" >/dev/null
  PW="$USER_PASSWORD" "${ctl[@]}" credential add --tenant "$TENANT" --kind password --name "$USER_LOGIN" \
    --user "$ALICE" --face ocs --secret-env PW >/dev/null
  "${ctl[@]}" client add --tenant "$TENANT" --id "$SPA_CLIENT" --name "SPA" --kind authorization_code \
    --auth-method none --redirect-uri "http://127.0.0.1:$app/callback.html" \
    --post-logout-redirect-uri "http://127.0.0.1:$app/index.html" --cors-origin "http://127.0.0.1:$app" \
    --consent required --allow-offline-access >/dev/null
  "${ctl[@]}" client add --tenant "$TENANT" --id "$HYBRID_CLIENT" --name "Hybrid" --kind hybrid \
    --auth-method client_secret_basic --redirect-uri "http://127.0.0.1:$app/signin-oidc" --consent required >/dev/null
  S="$HYBRID_SECRET" "${ctl[@]}" credential add --tenant "$TENANT" --kind client_secret \
    --name "$HYBRID_CLIENT/1/sdk" --client "$HYBRID_CLIENT" --face ocs --secret-env S >/dev/null
  "${ctl[@]}" client add --tenant "$TENANT" --id "$API_CLIENT" --name "SDK admin" --kind client_credentials \
    --role "Tenant Administrator" --role "Tenant Member" >/dev/null
  S="$API_SECRET" "${ctl[@]}" credential add --tenant "$TENANT" --kind client_secret \
    --name "$API_CLIENT/1/sdk" --client "$API_CLIENT" --secret-env S >/dev/null
}

# run LABEL DB_URL: seed DB_URL, start ocs-compat on it, run both harnesses against it.
run() {
  local label="$1" db="$2" port app pid tokens failed=()
  port="$(free_port)"; app="$(free_port)"
  tokens="$WORK/tokens-$label.json"
  seed "$db" "$app"
  start_gateway ocs-compat "$port" "$db" "$CONFIG"; pid=$GATEWAY_PID; PIDS+=("$pid")
  echo "== ocs authorization-server conformance: $label"
  if ! OCS_URL="http://127.0.0.1:$port" APP_PORT="$app" OCS_TENANT="$TENANT" OCS_ALICE="$ALICE" \
      USER_LOGIN="$USER_LOGIN" USER_PASSWORD="$USER_PASSWORD" SPA_CLIENT_ID="$SPA_CLIENT" \
      HYBRID_CLIENT_ID="$HYBRID_CLIENT" HYBRID_CLIENT_SECRET="$HYBRID_SECRET" TOKENS_OUT="$tokens" \
      CHROMIUM="$CHROMIUM" node "$DIR/conformance.mjs"; then
    failed+=("conformance.mjs")
  fi
  # The grant loop needs the live tokens the browser flows left; it runs whenever they exist.
  if [ -s "$tokens" ]; then
    echo "== ocs PersistedGrants grant loop (adh-sample-library-preview): $label"
    if ! OCS_URL="http://127.0.0.1:$port" OCS_TENANT="$TENANT" OCS_ALICE="$ALICE" \
        OCS_API_CLIENT="$API_CLIENT" OCS_API_SECRET="$API_SECRET" OCS_HYBRID="$HYBRID_CLIENT" \
        OCS_HYBRID_SECRET="$HYBRID_SECRET" OCS_SPA="$SPA_CLIENT" TOKENS_IN="$tokens" \
        "$ROOT/.venv-sdk/ocs/bin/python" "$ROOT/tests/sdk/ocs/authz_loop.py"; then
      failed+=("authz_loop.py")
    fi
  else
    failed+=("authz_loop.py (not run: no tokens from conformance.mjs)")
  fi
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "--- ocs-compat log (last 40 lines)" >&2
    tail -n 40 "$WORK/ocs-compat-$port.log" >&2
    die "ocs authorization-server conformance failed on $label: ${failed[*]}"
  fi
  kill "$pid" 2>/dev/null || true
}

run sqlite "sqlite://$WORK/authz.db"

if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  PG_DB="grant_ocs_authz_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  pg_url="${PG_ADMIN_URL%/*}/$PG_DB"
  "$BIN/grantctl" --database-url "$pg_url" migrate >/dev/null
  run postgres "$pg_url"
elif [ "${CI:-}" = "true" ]; then
  die "PostgreSQL is required in CI (CI=true) but no server answers at $PG_ADMIN_URL"
else
  echo "ocs authorization-server conformance on PostgreSQL SKIPPED: no server answers at $PG_ADMIN_URL (set GRANT_TEST_PG_URL)"
fi
echo "ocs authorization-server conformance: passed"
