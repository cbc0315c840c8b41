#!/usr/bin/env bash
# Drives pingfed-compat's OAuth 2.0 / OpenID Connect authorization server (PingFederate's
# /as/authorization.oauth2, /as/token.oauth2, …) as a web application and its users do:
# tests/sdk/pingfed-authz/conformance.mjs runs openid-client 5 (code + PKCE S256,
# client_secret_basic) with a person in headless Chromium (playwright-core) who signs in on
# the HTML Form adapter's login page and answers the approval page; then
# tests/sdk/pingfed/authz_loop.py (Python `requests`) finds the persistent grant in the
# OAuth Access Grant Management Service, revokes it and sees the tokens die. The revocation
# must be in runtime-api.log.
# Runs once on a fresh SQLite database, then on a fresh PostgreSQL database at
# $GRANT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) created for this
# run and dropped after: without a server that part is skipped with a notice, a failure when
# CI=true. Installs Debian's chromium when missing (scripts/install-chromium.sh) and the Node
# packages from the committed lock (npm ci). Expects target/debug/{pingfed-compat,grantctl}
# (scripts/test-all.sh builds them; BIN= to use others).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need node npm curl python3 sha256sum
"$ROOT/scripts/sdk-setup.sh" pingfed
authz_sdk_prepare pingfed

USER_LOGIN=asmith
USER_PASSWORD='Sign-in-Pa55!'
WS_USER=ws-admin
WS_PASSWORD="$(random_secret)"
CLIENT_ID=ac_client
CLIENT_SECRET="$(random_secret)"

cat >"$WORK/pingfed.toml" <<TOML
[vendor]
runtime_api_log = "$WORK/runtime-api.log"
TOML

# seed DB_URL APP_PORT: asmith with a password for the HTML Form adapter, the grant service
# admin ws-admin, and ac_client (consent required, authorization_code + refresh_token)
# redirecting to the harness app on APP_PORT, with its client secret.
seed() {
  local db="$1" app="$2"
  local ctl=("$BIN/grantctl" --database-url "$db")
  "${ctl[@]}" tenant add --id default --name "PF" >/dev/null
  "${ctl[@]}" user add --login "$USER_LOGIN" --display-name "Alice Smith" >/dev/null
  PW="$USER_PASSWORD" "${ctl[@]}" credential add --kind password --name "$USER_LOGIN" --user "$USER_LOGIN" \
    --face pingfed --secret-env PW >/dev/null
  WS="$WS_PASSWORD" "${ctl[@]}" credential add --kind password --name "$WS_USER" --secret-env WS >/dev/null
  "${ctl[@]}" client add --id "$CLIENT_ID" --name "AC Client" --kind authorization_code \
    --auth-method client_secret_basic --consent required --redirect-uri "http://127.0.0.1:$app/cb" \
    --grant-type authorization_code --grant-type refresh_token >/dev/null
  CS="$CLIENT_SECRET" "${ctl[@]}" credential add --kind client_secret --name "$CLIENT_ID" --client "$CLIENT_ID" \
    --face pingfed --secret-env CS >/dev/null
}

# run LABEL DB_URL: seed DB_URL, start pingfed-compat on it, run both harnesses against it.
run() {
  local label="$1" db="$2" port app pid i
  port="$(free_port)"; app="$(free_port)"
  seed "$db" "$app"
  start_gateway pingfed-compat "$port" "$db" "$WORK/pingfed.toml"; pid=$GATEWAY_PID; PIDS+=("$pid")
  local tokens="$WORK/tokens-$label.json"
  echo "== pingfed authorization-server conformance (openid-client, Chromium): $label"
  if ! PF_ISSUER="http://127.0.0.1:$port" APP_PORT="$app" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$CLIENT_SECRET" \
      USER_LOGIN="$USER_LOGIN" USER_PASSWORD="$USER_PASSWORD" TOKENS_OUT="$tokens" CHROMIUM="$CHROMIUM" \
      node "$DIR/conformance.mjs"; then
    echo "--- pingfed-compat log (last 40 lines)" >&2
    tail -n 40 "$WORK/pingfed-compat-$port.log" >&2
    die "pingfed authorization-server conformance failed on $label"
  fi
  echo "== pingfed grant loop (python requests): $label"
  if ! PF_BASE_URL="http://127.0.0.1:$port" PF_USER="$WS_USER" PF_PASSWORD="$WS_PASSWORD" \
      CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$CLIENT_SECRET" USER_KEY="$USER_LOGIN" TOKENS_IN="$tokens" \
      "$ROOT/.venv-sdk/pingfed/bin/python" "$ROOT/tests/sdk/pingfed/authz_loop.py"; then
    echo "--- pingfed-compat log (last 40 lines)" >&2
    tail -n 40 "$WORK/pingfed-compat-$port.log" >&2
    die "pingfed grant loop failed on $label"
  fi
  # runtime-api.log (appended by a writer thread): the revocation, as ws-admin over Basic.
  local want="| $WS_USER| basic| 127.0.0.1| DELETE| http://127.0.0.1:$port/pf-ws/rest/oauth/clients/$CLIENT_ID/grants| 204 "
  for i in $(seq 1 50); do
    grep -qF -- "$want" "$WORK/runtime-api.log" 2>/dev/null && break
    sleep 0.1
  done
  if ! grep -qF -- "$want" "$WORK/runtime-api.log" 2>/dev/null; then
    echo "--- runtime-api.log (last 20 lines)" >&2
    tail -n 20 "$WORK/runtime-api.log" >&2 || true
    die "runtime-api.log has no line ending in '$want' ($label)"
  fi
  echo "ok - runtime-api.log: $want"
  kill "$pid" 2>/dev/null || true
}

run sqlite "sqlite://$WORK/authz.db"

if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  PG_DB="grant_pf_authz_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  pg_url="${PG_ADMIN_URL%/*}/$PG_DB"
  "$BIN/grantctl" --database-url "$pg_url" migrate >/dev/null
  run postgres "$pg_url"
elif [ "${CI:-}" = "true" ]; then
  die "PostgreSQL is required in CI (CI=true) but no server answers at $PG_ADMIN_URL"
else
  echo "pingfed authorization-server conformance on PostgreSQL SKIPPED: no server answers at $PG_ADMIN_URL (set GRANT_TEST_PG_URL)"
fi
echo "pingfed authorization-server conformance: passed"
