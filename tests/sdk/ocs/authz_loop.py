"""The grant loop of ocs-compat's authorization server, driven with AVEVA's Python sample
library (adh-sample-library-preview).

tests/sdk/ocs-authz/conformance.mjs signs alice in through a hybrid client and a SPA and
leaves their live tokens in TOKENS_IN. Here the library gets its client-credentials token
(discovery + client_credentials, in the ADHClient constructor) for the API client and calls
PersistedGrants through its baseClient (the library has no wrapper for it, as in
tests/sdk/ocs/conformance.py): the sign-ins are listed and counted, removed, and then the
refresh tokens are refused and the access token introspects inactive. The token endpoints
are called with `requests`, as the library does.

Environment: OCS_URL, OCS_TENANT, OCS_ALICE, OCS_API_CLIENT, OCS_API_SECRET,
OCS_HYBRID, OCS_HYBRID_SECRET, OCS_SPA, TOKENS_IN. Prints "ok - <check>" per passing check
and "not ok - <check>" per failing one; exits 1 when any failed.
"""
import json
import os
import sys

import requests
from adh_sample_library_preview import ADHClient

URL = os.environ["OCS_URL"].rstrip("/")
TENANT = os.environ["OCS_TENANT"]
ALICE = os.environ["OCS_ALICE"]
API_CLIENT = os.environ["OCS_API_CLIENT"]
API_SECRET = os.environ["OCS_API_SECRET"]
HYBRID = os.environ["OCS_HYBRID"]
HYBRID_SECRET = os.environ["OCS_HYBRID_SECRET"]
SPA = os.environ["OCS_SPA"]
with open(os.environ["TOKENS_IN"], encoding="utf-8") as f:
    TOKENS = json.load(f)

# The server is on loopback: no proxy.
for k in list(os.environ):
    if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        del os.environ[k]

failed = []


def check(cond, what, detail=""):
    if cond:
        print(f"ok - {what}")
    else:
        print(f"not ok - {what}" + (f" ({detail})" if detail else ""))
        failed.append(what)
    return cond


def body(r):
    return f"{r.status_code} {r.headers.get('Content-Type')} {r.text[:300]!r}"


# --- the library: client-credentials token of the API client -----------------------------
adh = ADHClient("v1", TENANT, URL, API_CLIENT, API_SECRET)
bc = adh.baseClient
grants = f"{bc.uri_API}/Tenants/{TENANT}/Users/{ALICE}/PersistedGrants"
print("ok - ADHClient: client-credentials token for the API client (discovery + /identity/connect/token)")

disco = requests.get(f"{URL}/identity/.well-known/openid-configuration", timeout=30).json()
TOKEN_URL = disco["token_endpoint"]
INTROSPECT_URL = disco.get("introspection_endpoint") or f"{URL}/identity/connect/introspect"
HYBRID_AUTH = (HYBRID, HYBRID_SECRET)


def refresh_hybrid(rt):
    return requests.post(TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": rt},
                         auth=HYBRID_AUTH, timeout=30)


def introspect(token):
    return requests.post(INTROSPECT_URL, data={"token": token}, auth=HYBRID_AUTH, timeout=30)


def js(r):
    """The response's JSON body, or None."""
    try:
        return r.json()
    except ValueError:
        return None


def is_invalid_grant(r):
    return r.status_code == 400 and js(r) == {"error": "invalid_grant"}


# The hybrid client's stored refresh token is live: one refresh gives the pair used below.
hybrid = TOKENS["hybrid"]
r = refresh_hybrid(hybrid["refresh_token"])
if check(r.status_code == 200 and "refresh_token" in (js(r) or {}) and "access_token" in (js(r) or {}),
         "the stored hybrid refresh token refreshes before the removal", body(r)):
    HYBRID_RT, HYBRID_AT = r.json()["refresh_token"], r.json()["access_token"]
else:  # go on with the stored pair
    HYBRID_RT, HYBRID_AT = hybrid["refresh_token"], hybrid["access_token"]
r = introspect(HYBRID_AT)
check(r.status_code == 200 and (js(r) or {}).get("active") is True, "introspection of the hybrid access token: active", body(r))


def refresh_spa(rt):
    return requests.post(TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": SPA},
                         timeout=30)


# The SPA's stored refresh token is live as well (a public client: client_id, no secret).
spa = TOKENS.get("spa")
SPA_RT = None
if spa:
    r = refresh_spa(spa["refresh_token"])
    ok_spa = check(r.status_code == 200 and "refresh_token" in (js(r) or {}),
                   "the stored SPA refresh token refreshes before the removal", body(r))
    SPA_RT = r.json()["refresh_token"] if ok_spa else spa["refresh_token"]

# --- PersistedGrants: list, count, remove --------------------------------------------------
r = bc.request("get", grants)
bc.checkResponse(r, "list persisted grants")
listed = r.json()
check(isinstance(listed, list) and HYBRID in listed, "GET PersistedGrants lists the hybrid client", json.dumps(listed))
check(SPA in listed, "GET PersistedGrants lists the SPA", json.dumps(listed))
check(sorted(listed) == sorted([HYBRID, SPA]), "GET PersistedGrants: exactly the two clients alice signed in to",
      json.dumps(listed))

r = bc.request("head", grants)
bc.checkResponse(r, "count persisted grants")
check(r.text == "" and r.headers.get("Total-Count") == str(len(listed)),
      f"HEAD PersistedGrants: Total-Count {len(listed)}, no body", f"{r.headers.get('Total-Count')!r} {r.text[:100]!r}")

r = bc.request("delete", grants)
bc.checkResponse(r, "remove persisted grants")
check(r.status_code == 204, "DELETE PersistedGrants → 204", body(r))

r = bc.request("get", grants)
bc.checkResponse(r, "list persisted grants after removal")
check(js(r) == [], "GET PersistedGrants after DELETE: []", r.text[:300])
r = bc.request("head", grants)
check(r.status_code == 200 and r.headers.get("Total-Count") == "0", "HEAD PersistedGrants after DELETE: Total-Count 0",
      f"{r.status_code} {r.headers.get('Total-Count')!r}")

# --- the removed grants no longer work -------------------------------------------------------
r = refresh_hybrid(HYBRID_RT)
check(is_invalid_grant(r), 'refresh of the hybrid refresh token after DELETE → 400 {"error":"invalid_grant"}', body(r))
if SPA_RT:
    r = refresh_spa(SPA_RT)
    check(is_invalid_grant(r), 'refresh of the SPA refresh token after DELETE → 400 {"error":"invalid_grant"}', body(r))
else:
    check(False, "refresh of the SPA refresh token after DELETE", "no SPA tokens: the browser flow did not finish")
r = introspect(HYBRID_AT)
check(r.status_code == 200 and js(r) == {"active": False},
      'introspection of the hybrid access token after DELETE → {"active":false}', body(r))

if failed:
    print(f"# {len(failed)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("# grant loop passed")
