#!/usr/bin/env bash
# Installs what the PingFederate conformance script needs (idempotent): Python `requests`
# (pinned) into .venv-sdk/pingfed. PingFederate publishes no SDK for this service; in-house
# scripts use plain HTTP clients, and `requests` is the common one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REQUESTS_VERSION=2.32.3
VENV=.venv-sdk/pingfed

py_ok() {
  "$VENV/bin/python" - "$REQUESTS_VERSION" 2>/dev/null <<'PY'
import sys, importlib.metadata as md
assert md.version("requests") == sys.argv[1]
import requests  # noqa: F401
PY
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  echo "sdk-setup-pingfed: python venv $VENV exists"
else
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  echo "sdk-setup-pingfed: created python venv $VENV ($("$VENV/bin/python" --version))"
fi

if py_ok; then
  echo "sdk-setup-pingfed: requests==$REQUESTS_VERSION already installed"
else
  "$VENV/bin/pip" install --disable-pip-version-check -q "requests==$REQUESTS_VERSION"
  py_ok || { echo "sdk-setup-pingfed: requests==$REQUESTS_VERSION installed but does not import" >&2; exit 1; }
  echo "sdk-setup-pingfed: installed requests==$REQUESTS_VERSION"
fi
