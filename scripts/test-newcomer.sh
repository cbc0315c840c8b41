#!/usr/bin/env bash
# A newcomer's first run, scripted: the README's demo command (detached), then every curl
# line it prints must answer 2xx, a second demo must be refused while one runs, and
# `demo.sh stop` must stop every gateway. CI runs it on its fresh clone.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
need curl python3

for port in 8081 8082 8083 8084; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/" || curl -sk -o /dev/null "https://127.0.0.1:$port/"; then
    die "port $port is taken: the demo needs 8081-8084 free"
  fi
done
OUT="$(mktemp)"
trap './scripts/demo.sh stop >/dev/null 2>&1 || true; rm -f "$OUT"' EXIT
./scripts/demo.sh --detach >"$OUT" 2>&1 || { cat "$OUT" >&2; die "demo.sh failed"; }

checked=0
while IFS= read -r line; do
  # "  token:  curl …", "  curl …", "  TOKEN=$(curl …)": the command after any label.
  cmd="$(sed -E 's/^ *([a-z]+: +)?//' <<<"$line")"
  case "$cmd" in
    TOKEN=*) eval "$cmd"; [ -n "${TOKEN:-}" ] || die "no token from: $cmd"; continue ;;
    curl*) ;;
    *) continue ;;
  esac
  code="$(eval "$cmd -o /dev/null -w '%{http_code}\n'" | tail -1)"
  case "$code" in
    2??) checked=$((checked + 1)) ;;
    *) die "HTTP $code from: $cmd" ;;
  esac
done <"$OUT"
[ "$checked" -ge 6 ] || die "only $checked curl lines found in the demo's output"
log "$checked printed curl lines answered 2xx"

grep -q "grant list" "$OUT" || die "the demo does not say how to list its data"
grep -q "demo.sh stop" "$OUT" || die "the demo does not say how to stop it"
if ./scripts/demo.sh --detach >/dev/null 2>&1; then die "a second demo started over a running one"; fi
ls demo-data/*.log >/dev/null && grep -qE ' GET /api/v1/users/[^ ]+/grants 200 ' demo-data/okta-compat-*.log \
  || die "no access line in the okta-compat log"
./scripts/demo.sh stop
for port in 8081 8082 8084; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then die "a gateway still answers on $port"; fi
done
log "demo started, answered, refused a second copy and stopped"
