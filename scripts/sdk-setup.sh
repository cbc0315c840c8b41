#!/usr/bin/env bash
# Installs the vendor SDKs the conformance scripts drive (idempotent, pinned):
#   scripts/sdk-setup.sh SDK...      SDK: okta pingfed ocs venafi, or all (default)
# Python packages go to one venv per client library under .venv-sdk/ (their dependencies
# conflict), Node packages to tests/sdk/<dir>/node_modules (npm ci, from the committed lock).
# Needs python3 (3.11), node 20 and npm; PyPI and the npm registry must be reachable.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# py_env NAME IMPORT_CHECK PIP_SPEC...: .venv-sdk/NAME holds exactly PIP_SPEC (a stamp records
# it) and IMPORT_CHECK runs; otherwise the venv is rebuilt. Every `pkg==version` spec is also
# checked against the installed version.
py_env() {
  local name="$1" check="$2"; shift 2
  local venv=".venv-sdk/$name" stamp=".venv-sdk/$name/.sdk-setup" want="$*"
  local pins="import importlib.metadata as md"
  local spec
  for spec in "$@"; do
    case "$spec" in
      *==*) pins="$pins; assert md.version('${spec%%==*}') == '${spec#*==}', '$spec'" ;;
    esac
  done
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
     && "$venv/bin/python" -c "$pins; $check" 2>/dev/null; then
    log "$name ($want) already installed"
    return 0
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q "$@"
  "$venv/bin/python" -c "$pins; $check" || die "$name ($want) installed but does not import"
  echo "$want" >"$stamp"
  log "installed $name ($want) into $venv"
}

# node_dir DIR PACKAGE VERSION: DIR/node_modules installed by npm ci from DIR's current
# package-lock.json (hash stamp), holding PACKAGE at VERSION.
node_dir() {
  local dir="$1" pkg="$2" version="$3"
  local stamp="$dir/node_modules/.sdk-setup-lock.sha256" lock_hash got
  lock_hash="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  installed() { node -p "require('./$dir/node_modules/$pkg/package.json').version" 2>/dev/null || true; }
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$lock_hash" ] && [ "$(installed)" = "$version" ]; then
    log "node $pkg@$version already installed"
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  got="$(installed)"
  [ "$got" = "$version" ] || die "expected $pkg $version in $dir, got '$got'"
  echo "$lock_hash" >"$stamp"
  log "installed node $pkg@$version into $dir/node_modules (npm ci)"
}

setup_sdk() {
  case "$1" in
    okta)
      py_env okta 'import okta.client' "okta==3.4.6"
      node_dir tests/sdk/okta-node @okta/okta-sdk-nodejs 8.1.0
      ;;
    pingfed)
      # PingFederate publishes no SDK for this service: in-house scripts use `requests`.
      py_env pingfed 'import requests' "requests==2.32.3"
      ;;
    ocs)
      py_env ocs 'from adh_sample_library_preview import ADHClient' \
        "adh-sample-library-preview==0.10.19rc0"
      ;;
    venafi)
      py_env vcert 'import vcert' "vcert==0.22.1"
      # pytpp imports pydantic-1-only names.
      py_env pytpp 'from pytpp.api.websdk.websdk import WebSDK' "pytpp==2.0.3" "pydantic<2"
      # pyvenafi needs Python >= 3.11 and pydantic 2.
      py_env pyvenafi 'from pyvenafi.tpp.api.websdk.websdk import WebSDK' "pyvenafi==1.1.0"
      ;;
    *) usage "unknown SDK '$1' (okta, pingfed, ocs, venafi, all)" ;;
  esac
}

[ $# -gt 0 ] || set -- all
for sdk in "$@"; do
  if [ "$sdk" = all ]; then
    for s in okta pingfed ocs venafi; do setup_sdk "$s"; done
  else
    setup_sdk "$sdk"
  fi
done
log "done"
