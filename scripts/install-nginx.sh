#!/usr/bin/env bash
# Installs nginx from Debian's packages when it is missing (nginx-light, else nginx), without
# letting the package start the system service: the proxy test runs its own nginx on loopback.
# Needs root (or sudo) and Debian's mirrors.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo -n)
echo "installing nginx from Debian's packages"
# policy-rc.d 101: package scripts may not start services (no nginx on port 80 as a side effect).
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
  added_policy=1
fi
trap 'if [ "$added_policy" = 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi' EXIT
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
  || "${SUDO[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Some images start it anyway (no policy-rc.d support): stop the packaged service if it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  "${SUDO[@]}" systemctl stop nginx || true
  "${SUDO[@]}" systemctl disable nginx >/dev/null 2>&1 || true
fi
/usr/sbin/nginx -v
