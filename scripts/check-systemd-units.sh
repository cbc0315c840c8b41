#!/usr/bin/env bash
# `systemd-analyze verify` of every unit in deploy/systemd/ (ExecStart pointed at the built
# binaries in $BIN, the okta template as instance @8081). Any message — an unknown or
# misspelt key, a bad value, a missing binary — is a failure: verify itself only warns.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/target/debug}"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd unit check SKIPPED: no systemd-analyze on this machine"
  exit 0
fi
# A unit serving TLS reloads its certificate on `systemctl reload` (the gateways reread the
# files on SIGHUP).
for f in "$ROOT"/deploy/systemd/*.service; do
  if grep -q '^Environment=.*GRANT_TLS_CERT=' "$f" && ! grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$f"; then
    echo "$f serves TLS but has no 'ExecReload=/bin/kill -HUP \$MAINPID'" >&2
    exit 1
  fi
done
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
units=()
for f in "$ROOT"/deploy/systemd/*.service; do
  name="$(basename "$f")"
  [ "$name" = "okta-compat@.service" ] && name="okta-compat@8081.service"
  sed "s|^ExecStart=/usr/local/bin/|ExecStart=$BIN/|" "$f" >"$T/$name"
  units+=("$T/$name")
done
cp "$T/okta-compat@8081.service" "$T/okta-compat@.service"
out="$(cd "$T" && systemd-analyze verify --man=no "${units[@]}" 2>&1)" || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify deploy/systemd/: $out" >&2
  exit 1
fi
echo "systemd units verified: ${#units[@]} (systemd-analyze $(systemd-analyze --version | head -1 | awk '{print $2}'))"
