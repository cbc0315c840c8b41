# The prelude every script sources (`. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`): strict
# mode, ROOT and BIN, messages and errors, free ports, starting a gateway and waiting for it.
# shellcheck shell=bash

set -euo pipefail

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug}"
# The script's name, for messages.
SCRIPT="$(basename "${0:-script}" .sh)"

# log MESSAGE: one line on stderr, prefixed with the script's name.
log() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
# die MESSAGE: log it and exit 1.
die() { log "$*"; exit 1; }
# usage MESSAGE: log it and exit 2.
usage() { log "$*"; exit 2; }
# need COMMAND...: fail early, naming the missing command.
need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "needs '$c' on PATH"; done; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_secret() {
  python3 -c 'import secrets, string; a=string.ascii_letters+string.digits; print("00"+"".join(secrets.choice(a) for _ in range(40)))'
}

# wait_ready URL: waits up to 30 s for URL/healthz (https: the certificate is not checked).
wait_ready() {
  local url="$1" i insecure=()
  case "$url" in https://*) insecure=(-k) ;; esac
  for i in $(seq 1 300); do
    if curl -fsS "${insecure[@]}" "$url/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "gateway at $url did not become ready" >&2
  return 1
}

# authz_sdk_prepare NAME: what the authorization-flow conformance runs (sdk-NAME-authz.sh)
# share. Debian's chromium (CHROMIUM, installed when missing); tests/sdk/NAME-authz/node_modules
# from its committed lock (npm ci, redone when the lock changes; DIR); PG_ADMIN_URL
# ($GRANT_TEST_PG_URL or the local server); a work directory (WORK) and the processes started
# (PIDS) removed on exit, with the PostgreSQL database the run made (PG_DB) dropped.
authz_sdk_prepare() {
  PG_ADMIN_URL="${GRANT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  DIR="$ROOT/tests/sdk/$1-authz"
  "$ROOT/scripts/install-chromium.sh"
  CHROMIUM=/usr/bin/chromium
  local stamp="$DIR/node_modules/.sdk-setup-lock.sha256" lock_hash
  lock_hash="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_hash" ]; then
    (cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$lock_hash" >"$stamp"
    log "installed tests/sdk/$1-authz/node_modules (npm ci)"
  fi
  WORK="$(mktemp -d)"
  PIDS=()
  PG_DB=""
  trap authz_sdk_cleanup EXIT
}

authz_sdk_cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}

# start_storage_ceiling DB_URL TENANT USER [ROWS] [consents|grants] -> sets CEILING_URL and CEILING_PID: the
# storage ceiling of the benchmarks (grant-http/examples/storage_ceiling.rs: one page query of
# USER's consents, as Okta lists them, or grants, as the other faces do; ROWS rows (20) as
# JSON, nothing else) on CPU 0, over the gateway's store. USER is a login or a user id.
# Build it first: cargo build --release -p grant-http --example storage_ceiling.
start_storage_ceiling() {
  local port; port="$(free_port)"
  taskset -c 0 "${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/storage_ceiling" \
    "127.0.0.1:$port" "$1" "$2" "$3" "${4:-20}" "${5:-consents}" >"$WORK/storage-ceiling.log" 2>&1 &
  CEILING_PID=$!
  PIDS+=("$CEILING_PID")
  CEILING_URL="http://127.0.0.1:$port/"
  local i
  for i in $(seq 1 100); do curl -fs "$CEILING_URL" >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$WORK/storage-ceiling.log" >&2; return 1
}

# ratio A B: A / B to two decimals (requests/s of a gateway over its ceiling's).
ratio() { python3 -c "print(f'{float(\"$1\") / float(\"$2\"):.2f}')"; }

# start_gateway NAME PORT DB_URL [CONFIG_FILE] -> sets GATEWAY_PID; logs to $WORK/NAME.log
# (GATEWAY_SCHEME=https when the gateway serves TLS, e.g. with GRANT_TLS_CERT/GRANT_TLS_KEY set)
start_gateway() {
  local name="$1" port="$2" db="$3" cfg="${4:-}"
  local args=()
  [ -n "$cfg" ] && args=(--config "$cfg")
  GRANT_CONFIG_DIR="$ROOT/config" GRANT_DATABASE_URL="$db" GRANT_BIND="127.0.0.1:$port" \
    RUST_LOG="${RUST_LOG:-warn}" "$BIN/$name" "${args[@]}" >"$WORK/$name-$port.log" 2>&1 &
  GATEWAY_PID=$!
  wait_ready "${GATEWAY_SCHEME:-http}://127.0.0.1:$port" || { cat "$WORK/$name-$port.log" >&2; return 1; }
}

# cpu_ticks PID: the user and system CPU time PID (all its threads) has used so far, in clock
# ticks (getconf CLK_TCK a second).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# peak_rss_mib PID: the largest resident set PID has had so far (VmHWM), in MiB.
peak_rss_mib() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# bench_store GRANTCTL DB_URL GRANTS USERS -> sets TOKEN: the benchmarks' store (bench_data.py:
# GRANTS grants over USERS users, the first one alice) loaded with GRANTCTL into DB_URL, and a
# SUPER_ADMIN Okta API token acting as alice. Writes $WORK/data.json.
bench_store() {
  python3 "$ROOT/scripts/bench_data.py" "$WORK/data.json" --grants "$3" --users "$4" >/dev/null
  "$1" --database-url "$2" import "$WORK/data.json" >/dev/null
  TOKEN="$(random_secret)"
  BENCH_TOKEN="$TOKEN" "$1" --database-url "$2" credential add \
    --kind api_token --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
}
