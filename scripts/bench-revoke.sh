#!/usr/bin/env bash
# Benchmark: revoke all grants of one user holding 10,000 of 1,000,000 grants (SQLite), the
# former query shape against grant-core's, in one run (crates/grant-core/examples/bench_revoke.rs),
# then the same through okta-compat's DELETE /api/v1/users/{id}/grants end to end.
#   scripts/bench-revoke.sh [GRANTS] [USERS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
GRANTS="${1:-1000000}"; USERS="${2:-100}"
BIN="$ROOT/target/release"
cargo build --release --quiet -p okta-compat -p grantctl
cargo build --release --quiet -p grant-core --example bench_revoke

WORK="$(mktemp -d)"; PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 scripts/bench_data.py "$WORK/data.json" --grants "$GRANTS" --users "$USERS"
"$BIN/grantctl" --database-url "sqlite://$WORK/bench.db" import "$WORK/data.json" >/dev/null
echo "$GRANTS grants over $USERS users; alice holds $((GRANTS / USERS))"
"$BIN/examples/bench_revoke" "$WORK/bench.db" alice

TOKEN="00$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
BENCH_TOKEN="$TOKEN" "$BIN/grantctl" --database-url "sqlite://$WORK/bench.db" credential add --kind api_token \
  --name bench --user alice --role SUPER_ADMIN --secret-env BENCH_TOKEN >/dev/null
cat >"$WORK/okta.toml" <<TOML
[server]
bind = "127.0.0.1:18091"
workers = 1
[database]
url = "sqlite://$WORK/bench.db"
[vendor.rate_limit]
enabled = false
TOML
RUST_LOG=error "$BIN/okta-compat" --config "$WORK/okta.toml" >"$WORK/okta.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null -w "okta-compat DELETE /api/v1/users/{id}/grants: HTTP %{http_code} in %{time_total} s\n" \
  -X DELETE -H "Authorization: SSWS $TOKEN" "http://127.0.0.1:18091/api/v1/users/00uA1iceBench0000001/grants"
