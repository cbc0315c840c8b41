"""The grant loop behind pingfed-compat's authorization server, with Python `requests` as
in-house PingFederate scripts use it: the persistent grant that a sign-in and approval in
the browser created (tests/sdk/pingfed-authz/conformance.mjs, which wrote the tokens) is
listed by the OAuth Access Grant Management Service (HTTP Basic + X-XSRF-HEADER), the
access token introspects active, the client's grants are revoked, then the refresh token
is refused with PingFederate's exact invalid_grant body and the access token introspects
{"active":false}.

Environment: PF_BASE_URL, PF_USER, PF_PASSWORD (grant service admin), CLIENT_ID,
CLIENT_SECRET, USER_KEY, TOKENS_IN (the JSON file conformance.mjs wrote).
Prints one `ok - …` line per check, `FAIL - …` per failed one, and exits 1 if any failed.
"""

import json
import os
import sys
from collections import OrderedDict
from urllib.parse import quote

import requests

ENV = {k: os.environ.get(k, "") for k in (
    "PF_BASE_URL", "PF_USER", "PF_PASSWORD", "CLIENT_ID", "CLIENT_SECRET", "USER_KEY", "TOKENS_IN")}
if not all(ENV.values()):
    sys.exit(f"FAIL - setup: missing env vars {[k for k, v in ENV.items() if not v]}")
BASE = ENV["PF_BASE_URL"].rstrip("/")
GRANTS = f"{BASE}/pf-ws/rest/oauth"
CLIENT, SECRET, USER_KEY = ENV["CLIENT_ID"], ENV["CLIENT_SECRET"], ENV["USER_KEY"]
INVALID_RT = '{"error_description":"unknown, invalid, or expired refresh token","error":"invalid_grant"}'

with open(ENV["TOKENS_IN"], encoding="utf-8") as f:
    TOKENS = json.load(f)
SCOPES = sorted(TOKENS["scopes"])
# The access tokens of both authorizations (the first one's as refreshed) and their refresh
# tokens (the same one when the grant's refresh token is reused).
ACCESS = [TOKENS["first"]["access_token"], TOKENS["second"]["access_token"]]
REFRESH = list(OrderedDict.fromkeys([TOKENS["first"]["refresh_token"], TOKENS["second"]["refresh_token"]]))

failures = []
checks = 0


def check(name, cond, detail=""):
    global checks
    checks += 1
    if cond:
        print(f"ok - {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL - {name}: {detail or 'assertion failed'}", flush=True)
    return cond


def short(resp):
    return f"HTTP {resp.status_code} {resp.text[:300]!r}"


def as_json(resp):
    try:
        return json.loads(resp.text, object_pairs_hook=OrderedDict)
    except ValueError:
        return None


# The grant service: a session as ws-admin with PingFederate's CSRF header.
ws = requests.Session()
ws.auth = (ENV["PF_USER"], ENV["PF_PASSWORD"])
ws.headers.update({"X-XSRF-HEADER": "PingFederate"})
ws.trust_env = False
# The client at the runtime endpoints (client_secret_basic).
rp = requests.Session()
rp.auth = (CLIENT, SECRET)
rp.headers.update({"Accept": "application/json"})
rp.trust_env = False


def introspect(token, hint):
    return rp.post(f"{BASE}/as/introspect.oauth2", data={"token": token, "token_type_hint": hint})


def refresh(token):
    return rp.post(f"{BASE}/as/token.oauth2", data={"grant_type": "refresh_token", "refresh_token": token})


def client_grants(items):
    return [g for g in items if g.get("clientId") == CLIENT]


def main():
    user_path = f"{GRANTS}/users/{quote(USER_KEY, safe='')}/grants"

    # 1. The grant the browser's approval created, as the grant service lists it.
    r = ws.get(user_path)
    body = as_json(r)
    if check(f"GET /pf-ws/rest/oauth/users/{USER_KEY}/grants: 200 {{items}}",
             r.status_code == 200 and isinstance(body, dict) and isinstance(body.get("items"), list), short(r)):
        mine = client_grants(body["items"])
        check(f"exactly one grant of {CLIENT} (the second authorization reused it)", len(mine) == 1,
              json.dumps(body["items"]))
        for g in mine:
            check("grant: clientId, grantType AUTHORIZATION_CODE, userKey, approved scopes",
                  (g.get("clientId"), g.get("grantType"), g.get("userKey"), sorted(g.get("scopes") or []))
                  == (CLIENT, "AUTHORIZATION_CODE", USER_KEY, SCOPES), json.dumps(g))
            gid = str(g.get("id", ""))
            check("grant id: 32 alphanumerics", len(gid) == 32 and gid.isalnum(), gid)
    r = ws.get(f"{GRANTS}/clients/{CLIENT}/grants")
    body = as_json(r)
    check(f"GET /pf-ws/rest/oauth/clients/{CLIENT}/grants lists the same grant",
          r.status_code == 200 and isinstance(body, dict)
          and [(g.get("userKey"), g.get("grantType")) for g in body.get("items", [])] == [(USER_KEY, "AUTHORIZATION_CODE")],
          short(r))

    # 2. Live tokens before the revocation.
    for i, at in enumerate(ACCESS, 1):
        r = introspect(at, "access_token")
        body = as_json(r)
        check(f"introspect access token {i}: active", r.status_code == 200 and isinstance(body, dict)
              and body.get("active") is True, short(r))
    for i, rt in enumerate(REFRESH, 1):
        r = introspect(rt, "refresh_token")
        check(f"introspect refresh token {i}: exactly {{\"active\":true}}",
              r.status_code == 200 and as_json(r) == {"active": True}, short(r))

    # 3. Revoke every grant of the client.
    r = ws.delete(f"{GRANTS}/clients/{CLIENT}/grants")
    check(f"DELETE /pf-ws/rest/oauth/clients/{CLIENT}/grants: 204, no body",
          r.status_code == 204 and r.content == b"", short(r))
    r = ws.get(user_path)
    body = as_json(r)
    check(f"{USER_KEY} has no grant of {CLIENT} left",
          r.status_code == 200 and isinstance(body, dict) and isinstance(body.get("items"), list)
          and client_grants(body["items"]) == [], short(r))

    # 4. Dead tokens: PingFederate's exact refresh error (key order on the raw text), inactive tokens.
    for i, rt in enumerate(REFRESH, 1):
        r = refresh(rt)
        check(f"refresh token {i} after the revocation: 400 {INVALID_RT}",
              r.status_code == 400 and r.text.rstrip("\r\n") == INVALID_RT, short(r))
    for i, at in enumerate(ACCESS, 1):
        r = introspect(at, "access_token")
        check(f"introspect access token {i} after the revocation: exactly {{\"active\":false}}",
              r.status_code == 200 and as_json(r) == {"active": False}, short(r))
    for i, rt in enumerate(REFRESH, 1):
        r = introspect(rt, "refresh_token")
        check(f"introspect refresh token {i} after the revocation: exactly {{\"active\":false}}",
              r.status_code == 200 and as_json(r) == {"active": False}, short(r))

    if failures:
        print(f"{len(failures)} of {checks} checks failed", file=sys.stderr)
        sys.exit(1)
    print(f"pingfed grant loop: {checks} checks passed")


if __name__ == "__main__":
    main()
