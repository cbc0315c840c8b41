#!/usr/bin/env bash
# Runs every test of the workspace:
#   1. the Rust suites (grant-core, grant-http, every gateway's wire tests) on SQLite;
#   2. the same suites on PostgreSQL, in a database created for this run and dropped after
#      (server: $GRANT_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres);
#      skipped with a notice when no server answers — a failure when CI=true;
#   3. grantctl and migration checks, and the vendor SDK conformance runs (scripts/sdk-*.sh);
#   4. the gateways behind a real nginx over PostgreSQL (scripts/test-proxy.sh; installs
#      Debian's nginx when missing; skipped with a notice without PostgreSQL unless CI=true).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PG_ADMIN_URL="${GRANT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
step() { printf '\n=== %s\n' "$*"; }
# insta snapshots (tests/*/snapshots): a missing or changed snapshot fails the run, here as
# in CI; nothing is written or accepted. To update them on purpose, see README "Snapshots".
export INSTA_UPDATE=no
unset INSTA_FORCE_PASS

step "build"
cargo build --workspace --bins --tests --quiet

step "Rust suites on SQLite"
cargo test --workspace --quiet

step "Rust suites on PostgreSQL"
if command -v psql >/dev/null 2>&1 && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  db="grant_test_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  GRANT_TEST_DATABASE_URL="${PG_ADMIN_URL%/*}/$db" cargo test --workspace --quiet
  PG_RAN=1
else
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is required in CI (CI=true) but no server answers at $PG_ADMIN_URL" >&2
    exit 1
  fi
  echo "PostgreSQL suite SKIPPED: no PostgreSQL server answers at $PG_ADMIN_URL (set GRANT_TEST_PG_URL)"
  PG_RAN=0
fi

step "migrations and schema checks"
"$ROOT/scripts/check-migrations.sh"
"$ROOT/scripts/check-schema.sh"

step "vendor SDK conformance"
for script in "$ROOT"/scripts/sdk-*.sh; do
  case "$script" in */sdk-setup.sh) continue ;; esac
  "$script"
done

step "a newcomer's demo run"
"$ROOT/scripts/test-newcomer.sh"

step "behind nginx (deploy/nginx, deploy/systemd)"
proxy_out="$("$ROOT/scripts/test-proxy.sh" 2>&1 | tee /dev/stderr | tail -n 1)"

step "summary"
echo "SQLite suite: passed"
if [ "$PG_RAN" = 1 ]; then echo "PostgreSQL suite: passed"; else echo "PostgreSQL suite: SKIPPED (no server)"; fi
echo "SDK conformance: passed"
echo "Newcomer demo run: passed"
echo "Proxy test: $proxy_out"
