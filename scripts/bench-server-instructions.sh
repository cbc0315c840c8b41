#!/usr/bin/env bash
# Instructions per request of the whole server process — HTTP, middleware, authentication,
# every blocking-pool hop, the queries and the JSON — for okta-compat's list of one user's
# grants (limit 20, SSWS) and for the storage ceiling (the page query alone, its rows as JSON)
# over the same store, counted by callgrind. Each server runs twice under callgrind, serving N
# and then 2N keep-alive requests; the difference over N is one request, start-up and
# shutdown cancelled out. A count, not a time: two builds compare exactly on a busy machine.
#   scripts/bench-server-instructions.sh [GRANTS] [USERS] [N]
# With AB_BIN="/path/to/another/okta-compat …" (earlier builds, say), those are counted too.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
need valgrind python3 curl
GRANTS="${1:-100000}"; USERS="${2:-100}"; N="${3:-300}"
REL="${CARGO_TARGET_DIR:-$ROOT/target}/release"
cargo build --release --quiet -p okta-compat -p grantctl
cargo build --release --quiet -p grant-http --example storage_ceiling
WORK="$(mktemp -d)"; PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/b.db"
bench_store "$REL/grantctl" "$DB" "$GRANTS" "$USERS"
PORT="$(free_port)"
cat >"$WORK/okta.toml" <<TOML
[server]
bind = "127.0.0.1:$PORT"
workers = 1
[database]
url = "$DB"
pool_size = 4
[vendor.rate_limit]
users = 1000000000
other = 1000000000
TOML

# requests URL COUNT [HEADER]: COUNT GETs on one keep-alive connection, each checked for 200.
requests() {
  python3 - "$@" <<'PY'
import http.client, sys, urllib.parse
url, count = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2])
headers = dict([sys.argv[3].split(": ", 1)]) if len(sys.argv) > 3 else {}
c = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
path = url.path + ("?" + url.query if url.query else "")
for _ in range(count):
    c.request("GET", path, headers=headers)
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}

# count COUNT URL HEADER -- SERVER ARGS...: instructions of the server serving COUNT requests.
count() {
  local n="$1" url="$2" header="$3" out="$WORK/cg.$RANDOM"; shift 4
  RUST_LOG=error valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$WORK/server.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  # Waits for the port to accept (no request: each would be counted).
  for _ in $(seq 600); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" 2>/dev/null && break
    sleep 0.1
  done
  requests "$url" "$n" ${header:+"$header"}
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$out"
}

# per LABEL URL HEADER -- SERVER ARGS...: instructions per request.
per() {
  local label="$1"; shift
  local a b; a=$(count "$N" "$@"); b=$(count $((2 * N)) "$@")
  printf '%-44s %12d instructions/request\n' "$label" $(( (b - a) / N ))
}

URL="http://127.0.0.1:$PORT/api/v1/users/00uA1iceBench0000001/grants?limit=20"
echo "$GRANTS grants, alice holds $((GRANTS / USERS)); $N and $((2 * N)) requests per count"
per "storage ceiling (page query, rows as JSON)" "http://127.0.0.1:$PORT/" "" -- \
  "$REL/examples/storage_ceiling" "127.0.0.1:$PORT" "$DB" default alice 20 consents
per "okta-compat list (this build)" "$URL" "Authorization: SSWS $TOKEN" -- \
  "$REL/okta-compat" --config "$WORK/okta.toml"
for other in ${AB_BIN:-}; do
  per "okta-compat list ($other)" "$URL" "Authorization: SSWS $TOKEN" -- \
    "$other" --config "$WORK/okta.toml"
done
