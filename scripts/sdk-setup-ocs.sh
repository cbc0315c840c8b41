#!/usr/bin/env bash
# Installs the AVEVA Data Hub Python sample library used by the ocs-compat conformance run
# (idempotent): adh-sample-library-preview==0.10.19rc0 from PyPI into .venv-sdk/ocs.
# Needs python3 (>= 3.8) and PyPI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ADH_VERSION=0.10.19rc0
VENV=.venv-sdk/ocs

py_ok() {
  "$VENV/bin/python" - "$ADH_VERSION" 2>/dev/null <<'PY'
import sys, importlib.metadata as md
assert md.version("adh-sample-library-preview") == sys.argv[1]
from adh_sample_library_preview import ADHClient  # noqa: F401  (must import)
PY
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  echo "sdk-setup-ocs: python venv $VENV exists"
else
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  echo "sdk-setup-ocs: created python venv $VENV ($("$VENV/bin/python" --version))"
fi

if py_ok; then
  echo "sdk-setup-ocs: adh-sample-library-preview==$ADH_VERSION already installed"
else
  "$VENV/bin/pip" install --disable-pip-version-check -q "adh-sample-library-preview==$ADH_VERSION"
  py_ok || { echo "sdk-setup-ocs: adh-sample-library-preview==$ADH_VERSION installed but does not import" >&2; exit 1; }
  echo "sdk-setup-ocs: installed adh-sample-library-preview==$ADH_VERSION"
fi
