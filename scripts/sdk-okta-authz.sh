#!/usr/bin/env bash
# Drives okta-compat's OAuth 2.0 / OpenID Connect authorization server with the clients real
# applications use (tests/sdk/okta-authz/conformance.mjs): openid-client 5 for a confidential
# web app, @okta/jwt-verifier 4, @okta/okta-auth-js 8 inside headless Chromium for a public
# SPA, and @okta/okta-sdk-nodejs 8.1.0 for the User Grants API that consent fills; then the
# same grant loop with Okta's Python SDK (tests/sdk/okta/authz_loop.py, okta 3.4.6).
# Runs once on a fresh SQLite database, then on a fresh PostgreSQL database at
# $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) created for this
# run and dropped after: without a server that part is skipped with a notice, a failure when
# CI=true. Installs Debian's chromium when missing (scripts/install-chromium.sh) and the Node
# packages from the committed lock (npm ci). Expects target/debug/{okta-compat,grantctl}
# (scripts/test-all.sh builds them; BIN= to use others).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need node npm curl python3 sha256sum
"$ROOT/scripts/sdk-setup.sh" okta
authz_sdk_prepare okta

USER_LOGIN=alice@example.com
USER_OKTA_ID=00uAlice000000000001
USER_PASSWORD='Sign-in-Pa55!'
SPA_CLIENT_ID=0oaSpaApp00000000001
WEB_CLIENT_ID=0oaWebApp00000000001
WEB_CLIENT_SECRET="$(random_secret)"
API_TOKEN="$(random_secret)"

# seed DB_URL APP_PORT: one user with a password, the SPA and web clients (consent required)
# redirecting to the harness app on APP_PORT, the web client's secret, a SUPER_ADMIN API token.
seed() {
  local db="$1" app="$2"
  local ctl=("$BIN/grantctl" --database-url "$db")
  "${ctl[@]}" tenant add --id default --name "Authz org" >/dev/null
  "${ctl[@]}" user add --login "$USER_LOGIN" --okta-id "$USER_OKTA_ID" --display-name "Alice Example" >/dev/null
  PW="$USER_PASSWORD" "${ctl[@]}" credential add --kind password --face okta --name "$USER_LOGIN" \
    --user "$USER_LOGIN" --secret-env PW >/dev/null
  "${ctl[@]}" client add --id "$SPA_CLIENT_ID" --name "SPA" --kind authorization_code --auth-method none \
    --consent required --redirect-uri "http://127.0.0.1:$app/callback" --cors-origin "http://127.0.0.1:$app" \
    --post-logout-redirect-uri "http://127.0.0.1:$app/" >/dev/null
  "${ctl[@]}" client add --id "$WEB_CLIENT_ID" --name "Web" --kind authorization_code \
    --auth-method client_secret_basic --consent required --redirect-uri "http://127.0.0.1:$app/cb" >/dev/null
  WEB_SECRET="$WEB_CLIENT_SECRET" "${ctl[@]}" credential add --kind client_secret --name web \
    --client "$WEB_CLIENT_ID" --face okta --secret-env WEB_SECRET >/dev/null
  TOKEN="$API_TOKEN" "${ctl[@]}" credential add --kind api_token --name admin --user "$USER_LOGIN" \
    --role SUPER_ADMIN --secret-env TOKEN >/dev/null
}

# run LABEL DB_URL: seed DB_URL, start okta-compat on it, run the harness against it.
run() {
  local label="$1" db="$2" port app pid
  port="$(free_port)"; app="$(free_port)"
  seed "$db" "$app"
  start_gateway okta-compat "$port" "$db"; pid=$GATEWAY_PID; PIDS+=("$pid")
  echo "== okta authorization-server conformance: $label"
  if ! OKTA_ISSUER_ORG="http://127.0.0.1:$port" OKTA_ISSUER="http://127.0.0.1:$port/oauth2/default" \
      APP_PORT="$app" SPA_CLIENT_ID="$SPA_CLIENT_ID" WEB_CLIENT_ID="$WEB_CLIENT_ID" \
      WEB_CLIENT_SECRET="$WEB_CLIENT_SECRET" USER_LOGIN="$USER_LOGIN" USER_PASSWORD="$USER_PASSWORD" \
      USER_OKTA_ID="$USER_OKTA_ID" OKTA_ORG_URL="http://127.0.0.1:$port" OKTA_API_TOKEN="$API_TOKEN" \
      CHROMIUM="$CHROMIUM" node "$DIR/conformance.mjs"; then
    echo "--- okta-compat log (last 40 lines)" >&2
    tail -n 40 "$WORK/okta-compat-$port.log" >&2
    die "okta authorization-server conformance failed on $label"
  fi
  echo "== okta Python SDK grant loop: $label"
  if ! OKTA_ORG_URL="http://127.0.0.1:$port" OKTA_API_TOKEN="$API_TOKEN" USER_LOGIN="$USER_LOGIN" \
      USER_PASSWORD="$USER_PASSWORD" USER_OKTA_ID="$USER_OKTA_ID" WEB_CLIENT_ID="$WEB_CLIENT_ID" \
      WEB_CLIENT_SECRET="$WEB_CLIENT_SECRET" WEB_REDIRECT_URI="http://127.0.0.1:$app/cb" \
      "$ROOT/.venv-sdk/okta/bin/python" "$ROOT/tests/sdk/okta/authz_loop.py"; then
    tail -n 40 "$WORK/okta-compat-$port.log" >&2
    die "okta Python SDK grant loop failed on $label"
  fi
  kill "$pid" 2>/dev/null || true
}

run sqlite "sqlite://$WORK/authz.db"

if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  PG_DB="grant_authz_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  pg_url="${PG_ADMIN_URL%/*}/$PG_DB"
  "$BIN/grantctl" --database-url "$pg_url" migrate >/dev/null
  run postgres "$pg_url"
elif [ "${CI:-}" = "true" ]; then
  die "PostgreSQL is required in CI (CI=true) but no server answers at $PG_ADMIN_URL"
else
  echo "okta authorization-server conformance on PostgreSQL SKIPPED: no server answers at $PG_ADMIN_URL (set GRANT_TEST_PG_URL)"
fi
echo "okta authorization-server conformance: passed"
