#!/usr/bin/env bash
# Installs the Venafi client libraries used by scripts/sdk-venafi.sh (idempotent, pinned),
# each in its own venv because their dependencies conflict:
#   .venv-sdk/vcert     vcert==0.22.1
#   .venv-sdk/pytpp     pytpp==2.0.3 with pydantic<2 (pytpp imports pydantic-1-only names)
#   .venv-sdk/pyvenafi  pyvenafi==1.1.0 (needs Python >= 3.11 and pydantic 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# setup NAME IMPORT_CHECK PIP_SPEC...
setup() {
  local name="$1" check="$2"; shift 2
  local venv=".venv-sdk/$name" stamp=".venv-sdk/$name/.sdk-setup-venafi"
  local want="$*"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
     && "$venv/bin/python" -c "$check" 2>/dev/null; then
    echo "sdk-setup-venafi: $name ($want) already installed"
    return 0
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q "$@"
  "$venv/bin/python" -c "$check" || { echo "sdk-setup-venafi: $name installed but does not import" >&2; exit 1; }
  echo "$want" > "$stamp"
  echo "sdk-setup-venafi: installed $name ($want)"
}

setup vcert 'import vcert, importlib.metadata as m; assert m.version("vcert") == "0.22.1"' "vcert==0.22.1"
setup pytpp 'from pytpp.api.websdk.websdk import WebSDK; import importlib.metadata as m; assert m.version("pytpp") == "2.0.3"' "pytpp==2.0.3" "pydantic<2"
setup pyvenafi 'from pyvenafi.tpp.api.websdk.websdk import WebSDK; import importlib.metadata as m; assert m.version("pyvenafi") == "1.1.0"' "pyvenafi==1.1.0"
echo "sdk-setup-venafi: done"
