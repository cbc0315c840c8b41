"""Shared helpers for the Venafi client-library conformance scripts (stdlib + requests)."""
import os
import sys
import traceback

URL = os.environ["VENAFI_URL"]            # https://127.0.0.1:PORT
HOST = URL.split("://", 1)[1]             # 127.0.0.1:PORT (pytpp / pyvenafi take a host)
CA = os.environ["VENAFI_CA"]              # PEM of the gateway's self-signed certificate
ADMIN_USER = os.environ["VENAFI_ADMIN_USER"]
ADMIN_PASSWORD = os.environ["VENAFI_ADMIN_PASSWORD"]
ADMIN_UNIVERSAL = os.environ["VENAFI_ADMIN_UNIVERSAL"]
USER = os.environ["VENAFI_USER"]
USER_PASSWORD = os.environ["VENAFI_USER_PASSWORD"]
USER_UNIVERSAL = os.environ["VENAFI_USER_UNIVERSAL"]
CLIENT_ID = os.environ["VENAFI_CLIENT_ID"]
OTHER_CLIENT_ID = os.environ["VENAFI_OTHER_CLIENT_ID"]

_results = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        fn()
        _results["passed"] += 1
        print(f"  ok   {name}")
    except Exception:  # noqa: BLE001 - report every failure and go on
        _results["failed"] += 1
        print(f"  FAIL {name}")
        traceback.print_exc()


def eq(got, want, what=""):
    assert got == want, f"{what}: got {got!r}, want {want!r}"


def is_tpp_token(tok):
    assert isinstance(tok, str) and len(tok) == 24 and tok.endswith("=="), tok


def bearer_of(header_value):
    """pytpp/pyvenafi keep the whole header value; a TPP token (ends in ==) must have made
    them choose `Authorization: Bearer` rather than the legacy X-Venafi-API-Key."""
    assert header_value.startswith("Bearer "), header_value
    tok = header_value[len("Bearer "):]
    is_tpp_token(tok)
    return tok


def raw(method, path, token=None, json=None):
    """A direct call over TLS, trusting only the gateway's certificate."""
    import requests
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, URL + path, headers=headers, json=json, verify=CA, timeout=30)


def finish(label):
    print(f"{label}: {_results['passed']} passed, {_results['failed']} failed")
    sys.exit(1 if _results["failed"] else 0)
