#!/usr/bin/env bash
# Installs Debian's chromium package when /usr/bin/chromium is missing (idempotent). The
# authorization-server conformance run (scripts/sdk-okta-authz.sh) drives it headless through
# playwright-core, which never downloads browsers of its own.
# Needs root (or sudo) and Debian's mirrors.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo -n)
echo "installing chromium from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium fonts-liberation >/dev/null
[ -x "$CHROMIUM" ] || { echo "chromium installed but $CHROMIUM is missing" >&2; exit 1; }
"$CHROMIUM" --version
