#!/usr/bin/env bash
# Install the official vendor SDKs used by the SDK conformance tests (idempotent).
#   Python: okta==3.4.6 into .venv-sdk/okta
#   Node:   @okta/okta-sdk-nodejs 8.1.0 into tests/sdk/okta-node/node_modules (npm ci, from the committed lock)
# Needs python3 (3.11), node 20 and npm; PyPI and the npm registry must be reachable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OKTA_PY_VERSION=3.4.6
OKTA_NODE_VERSION=8.1.0
VENV=.venv-sdk/okta
NODE_DIR=tests/sdk/okta-node

# --- Python: okta ---------------------------------------------------------------------
py_ok() {
  "$VENV/bin/python" - "$OKTA_PY_VERSION" 2>/dev/null <<'EOF'
import sys, importlib.metadata as md
assert md.version("okta") == sys.argv[1]
import okta.client  # noqa: F401  (must import, not just be installed)
EOF
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  echo "sdk-setup: python venv $VENV exists"
else
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  echo "sdk-setup: created python venv $VENV ($("$VENV/bin/python" --version))"
fi

if py_ok; then
  echo "sdk-setup: python okta==$OKTA_PY_VERSION already installed"
else
  "$VENV/bin/pip" install --disable-pip-version-check -q "okta==$OKTA_PY_VERSION"
  py_ok || { echo "sdk-setup: okta==$OKTA_PY_VERSION installed but does not import" >&2; exit 1; }
  echo "sdk-setup: installed python okta==$OKTA_PY_VERSION"
fi

# --- Node: @okta/okta-sdk-nodejs --------------------------------------------------------
# node_modules counts as up to date when it was installed by this script from the
# current package-lock.json (hash stamp) and holds the pinned SDK version.
STAMP="$NODE_DIR/node_modules/.sdk-setup-lock.sha256"
lock_hash="$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)"
node_sdk_version() {
  node -p "require('./$NODE_DIR/node_modules/@okta/okta-sdk-nodejs/package.json').version" 2>/dev/null || true
}

if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$lock_hash" ] && [ "$(node_sdk_version)" = "$OKTA_NODE_VERSION" ]; then
  echo "sdk-setup: node @okta/okta-sdk-nodejs@$OKTA_NODE_VERSION already installed"
else
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  got="$(node_sdk_version)"
  [ "$got" = "$OKTA_NODE_VERSION" ] || { echo "sdk-setup: expected @okta/okta-sdk-nodejs $OKTA_NODE_VERSION, got '$got'" >&2; exit 1; }
  echo "$lock_hash" > "$STAMP"
  echo "sdk-setup: installed node @okta/okta-sdk-nodejs@$OKTA_NODE_VERSION (npm ci)"
fi

echo "sdk-setup: done"
