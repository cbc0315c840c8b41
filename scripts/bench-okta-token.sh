#!/usr/bin/env bash
# Benchmark: okta-compat's token endpoint (authorization-code exchange with PKCE, refresh with
# rotation) and introspection, on SQLite, against a same-run baseline: a minimal actix-web
# handler returning a body of a token response's size. One worker on core 0, load (wrk, 16
# connections) on core 1. Codes and refresh tokens are minted beforehand through the engine
# (examples/bench_tokens.rs), each code used once; each refresh token is reused within the
# 30 s rotation leeway. Last, the cost of one RS256 signature on core 0, and its share of a
# refresh (one signature: `offline_access` only) and of a code exchange (two: access and ID
# token).
#   scripts/bench-okta-token.sh [DURATION_SECS]   (at most 25: a refresh token reused longer
#   than the 30 s leeway after its first rotation is a replay, and revokes its family)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
DURATION="${1:-10}"
[ "$DURATION" -le 25 ] || usage "DURATION_SECS must be at most 25"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
BIN="$ROOT/target/release"
cargo build --release --quiet -p okta-compat -p grantctl
cargo build --release --quiet -p okta-compat --example bench_tokens
cargo build --release --quiet -p grant-http --example fixed_body

WORK="$(mktemp -d)"; PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; [ -z "${KEEP_LOG:-}" ] || cp "$WORK/okta.log" "$KEEP_LOG"; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/bench.db"
CLIENT=0oaBenchApp000000001
SECRET="$(random_secret)"
REDIRECT=http://127.0.0.1:9/cb
ctl=("$BIN/grantctl" --database-url "$DB")
"${ctl[@]}" tenant add --id default --name bench >/dev/null
"${ctl[@]}" user add --login alice --okta-id 00uA1iceBench0000001 >/dev/null
"${ctl[@]}" client add --id "$CLIENT" --kind authorization_code --auth-method client_secret_basic --redirect-uri "$REDIRECT" >/dev/null
S="$SECRET" "${ctl[@]}" credential add --kind client_secret --name bench --client "$CLIENT" --face okta --secret-env S >/dev/null
CODES=$((DURATION * 3000)); REFRESH=200
"$BIN/examples/bench_tokens" mint "$DB" "$CLIENT" alice "$REDIRECT" "$CODES" "$WORK/codes" "$REFRESH" "$WORK/refresh"
echo "minted $CODES codes and $REFRESH refresh tokens"

cat >"$WORK/okta.toml" <<TOML
[server]
bind = "127.0.0.1:18081"
workers = 1
[database]
url = "$DB"
pool_size = 4
[vendor.rate_limit]
enabled = false
TOML
RUST_LOG=${RUST_LOG:-error} taskset -c 0 "$BIN/okta-compat" --config "$WORK/okta.toml" >"$WORK/okta.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:18081/healthz >/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:18081/oauth2/default/v1
BASIC="Authorization: Basic $(printf '%s:%s' "$CLIENT" "$SECRET" | base64 -w0)"
FORM="Content-Type: application/x-www-form-urlencoded"

# One refresh by hand: the client secret's verification is cached from here on, and the
# response gives the baseline's body size and an access token to introspect.
RT0="$(head -n1 "$WORK/refresh")"
curl -fsS -H "$BASIC" -H "$FORM" -d "grant_type=refresh_token&refresh_token=$RT0" "$BASE/token" >"$WORK/body.json" \
  || { cat "$WORK/okta.log" >&2; exit 1; }
AT="$(python3 -c "import json; print(json.load(open('$WORK/body.json'))['access_token'])")"
sed -i 1d "$WORK/refresh"   # its rotation started now: the run below must not replay it
curl -fsS -H "$BASIC" -H "$FORM" -d "grant_type=authorization_code&code=$(head -n1 "$WORK/codes")&redirect_uri=$REDIRECT&code_verifier=bench-verifier-0123456789-0123456789-0123456789" "$BASE/token" >"$WORK/code.json"
sed -i 1d "$WORK/codes"
echo "token response: $(wc -c <"$WORK/code.json") bytes (code exchange, access + ID + refresh token)"
taskset -c 0 "$BIN/examples/fixed_body" 127.0.0.1:18099 "$WORK/code.json" & PIDS+=($!)
sleep 0.5

# A wrk script posting FORM_PREFIX + the next line of LINES (wrapping around).
lua() {
  cat >"$WORK/$1.lua" <<LUA
local lines = {}
for l in io.lines("$2") do lines[#lines + 1] = l end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "${BASIC#Authorization: }"
request = function()
  i = i + 1
  return wrk.format(nil, "$3", nil, "$4" .. lines[(i - 1) % #lines + 1] .. "${5:-}")
end
LUA
}
lua code "$WORK/codes" /oauth2/default/v1/token "grant_type=authorization_code&redirect_uri=$REDIRECT&code_verifier=bench-verifier-0123456789-0123456789-0123456789&code="
lua refresh "$WORK/refresh" /oauth2/default/v1/token "grant_type=refresh_token&refresh_token="
echo "token=$AT" >"$WORK/at"
lua introspect "$WORK/at" /oauth2/default/v1/introspect ""

RATE=""; P99=""
run() { # label url [wrk args…]
  local label="$1" url="$2" out; shift 2
  out=$(taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency "$@" "$url")
  RATE="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  P99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  local bad; bad="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  printf '%-44s %10s req/s   p99 %8s%s\n' "$label" "$RATE" "$P99" "${bad:+   non-2xx: $bad}"
}
run "baseline: actix fixed body (same size)" http://127.0.0.1:18099/
BASELINE="$RATE"
run "code exchange (PKCE, 2 signatures)" "$BASE/token" -s "$WORK/code.lua"
CODE_RATE="$RATE"
run "refresh with rotation (1 signature)" "$BASE/token" -s "$WORK/refresh.lua"
REFRESH_RATE="$RATE"
run "introspect an access token" "$BASE/introspect" -s "$WORK/introspect.lua"
INTROSPECT_RATE="$RATE"
kill "${PIDS[@]}" 2>/dev/null || true; PIDS=()
read -r SIGN_US VERIFY_US <<<"$(taskset -c 0 "$BIN/examples/bench_tokens" sign 2000)"
python3 - "$BASELINE" "$CODE_RATE" "$REFRESH_RATE" "$INTROSPECT_RATE" "$SIGN_US" "$VERIFY_US" <<'PY'
import sys
base, code, refresh, intro, sign, verify = (float(x) for x in sys.argv[1:])
print(f"RS256 (ring, 2048-bit): signature {sign:.0f} µs, verification {verify:.0f} µs")
for label, rate, sigs in (("code exchange", code, 2), ("refresh", refresh, 1), ("introspect", intro, 0)):
    per = 1e6 / rate
    print(f"{label}: {rate / base:.3f}× the baseline; {per:.0f} µs of the core per request, "
          f"signing {sigs * sign:.0f} µs ({100 * sigs * sign / per:.0f} %)")
PY
