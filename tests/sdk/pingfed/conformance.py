"""Conformance of pingfed-compat with the way in-house PingFederate scripts use the OAuth
Access Grant Management Service: Python `requests`, HTTP Basic (a PCV user), the
X-XSRF-HEADER header, verify=False as scripts pass against PingFederate's TLS listener.

Environment: PF_BASE_URL, PF_USER, PF_PASSWORD, PF_RUNTIME_LOG (seeded by sdk-pingfed.sh).
"""

import json
import os
import re
import time
import sys
from collections import OrderedDict
from urllib.parse import quote

import requests
from requests.auth import HTTPBasicAuth

BASE = os.environ["PF_BASE_URL"].rstrip("/") + "/pf-ws/rest/oauth"
AUTH = (os.environ["PF_USER"], os.environ["PF_PASSWORD"])
XSRF = {"X-XSRF-HEADER": "PingFederate"}
LOG = os.environ["PF_RUNTIME_LOG"]
GRANT_FIELDS = ["id", "userKey", "grantType", "scopes", "clientId", "issued", "updated"]
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def ordered(resp):
    return json.loads(resp.text, object_pairs_hook=OrderedDict)


def check_grant(g, user_key=None, client_id=None):
    keys = list(g.keys())
    check(keys[:7] == GRANT_FIELDS, f"field order {keys}")
    extra = keys[7:]
    check(extra in ([], ["expires"], ["grantAttributes"], ["expires", "grantAttributes"]), f"optional fields {extra}")
    check(len(g["id"]) == 32 and g["id"].isalnum(), f"PingFederate grant id {g['id']}")
    check(isinstance(g["scopes"], list), "scopes is always a list")
    for k in ("issued", "updated") + (("expires",) if "expires" in g else ()):
        check(TIME.match(g[k]) is not None, f"{k} format {g[k]}")
    if "grantAttributes" in g:
        check(len(g["grantAttributes"]) > 0, "grantAttributes omitted when empty")
    if user_key is not None:
        check(g["userKey"] == user_key, f"userKey {g['userKey']} != {user_key}")
    if client_id is not None:
        check(g["clientId"] == client_id, f"clientId {g['clientId']} != {client_id}")


def main():
    s = requests.Session()
    s.auth = HTTPBasicAuth(*AUTH)
    s.headers.update(XSRF)
    s.verify = False

    # List a user's grants (with and without the trailing slash real clients send).
    r = s.get(f"{BASE}/users/asmith/grants")
    check(r.status_code == 200, f"list user grants: {r.status_code}")
    check(r.headers.get("Content-Type") == "application/json", "content type")
    body = ordered(r)
    check(list(body.keys()) == ["items"], "list envelope is {items}")
    items = body["items"]
    check(len(items) == 5, f"asmith has 5 grants, got {len(items)}")
    for g in items:
        check_grant(g, user_key="asmith")
    check([g["issued"] for g in items] == sorted(g["issued"] for g in items), "issued ascending")
    ac = [g for g in items if g["clientId"] == "ac_client"]
    check(len(ac) == 3 and all(g["grantType"] == "AUTHORIZATION_CODE" for g in ac), "AUTHORIZATION_CODE grants")
    check(ac[0].get("grantAttributes") == [
        {"name": "pgeaAttrMulti", "values": ["CN=group1", "CN=group2"]},
        {"name": "pgeaAttrSingle", "values": ["asmith@example.local"]},
    ], f"grantAttributes {ac[0].get('grantAttributes')}")
    im = [g for g in items if g["clientId"] == "im_client"]
    check(len(im) == 2 and all(g["grantType"] == "IMPLICIT" and "grantAttributes" not in g for g in im), "IMPLICIT grants")
    r2 = s.get(f"{BASE}/users/asmith/grants/")
    check(r2.status_code == 200 and r2.json() == r.json(), "trailing slash lists the same")

    # One grant: the bare object (the Ping PS helper checks containsKey("clientId")).
    gid = ac[0]["id"]
    r = s.get(f"{BASE}/users/asmith/grants/{gid}")
    check(r.status_code == 200, f"get one grant: {r.status_code}")
    one = ordered(r)
    check("clientId" in one and "items" not in one, "single GET is the bare grant")
    check(one == ac[0], "single GET equals the listed grant")
    r = s.get(f"{BASE}/clients/ac_client/grants/{gid}")
    check(r.status_code == 200 and r.json() == one, "same grant through the client path")

    # By client: every user's grants; expiry shown for bob's.
    r = s.get(f"{BASE}/clients/ac_client/grants")
    check(r.status_code == 200, "list client grants")
    citems = r.json()["items"]
    check(len(citems) == 6, f"ac_client has 6 grants, got {len(citems)}")
    for g in citems:
        check_grant(g, client_id="ac_client")
    bob = [g for g in citems if g["userKey"] == "bob"]
    check(len(bob) == 2 and all("expires" in g and g["scopes"] == ["openid", "profile"] for g in bob), "bob's expiring grants")
    jdoe = [g for g in citems if g["userKey"] == "j.doe@example.com"]
    check(len(jdoe) == 1 and jdoe[0]["grantType"] == "RESOURCE_OWNER_CREDENTIALS", "ROPC grant")

    # Path-escaped USER_KEY (clients use url.PathEscape / quote).
    r = s.get(f"{BASE}/users/{quote('j.doe@example.com', safe='')}/grants")
    check(r.status_code == 200 and [g["userKey"] for g in r.json()["items"]] == ["j.doe@example.com"], "escaped userKey")

    # Unknown client: 404. Unknown user: 200 {"items":[]}.
    r = s.get(f"{BASE}/clients/no_such_client/grants")
    check(r.status_code == 404, f"unknown client: {r.status_code}")
    r = s.get(f"{BASE}/users/nobody/grants")
    check(r.status_code == 200 and r.text == '{"items":[]}', f"unknown user: {r.status_code} {r.text}")

    # Authentication and CSRF failures.
    r = requests.get(f"{BASE}/users/asmith/grants", auth=AUTH, verify=False)
    check(r.status_code == 403, f"missing X-XSRF-HEADER: {r.status_code}")
    r = requests.get(f"{BASE}/users/asmith/grants", auth=(AUTH[0], "wrong"), headers=XSRF, verify=False)
    check(r.status_code == 401, f"wrong password: {r.status_code}")
    check(r.headers.get("WWW-Authenticate", "").startswith("Basic realm="), "Basic challenge")
    r = requests.get(f"{BASE}/users/asmith/grants", headers={**XSRF, "Authorization": "Bearer abc.def.ghi"}, verify=False)
    check(r.status_code == 401 and "HTTP Basic authentication is required" in r.text, f"Bearer refused: {r.status_code} {r.text}")
    r = requests.get(f"{BASE}/users/asmith/grants", headers={"x-xsrf-header": "pingfed"}, auth=AUTH, verify=False)
    check(r.status_code == 200, "lower-case header name")
    r = s.patch(f"{BASE}/users/asmith/grants/{gid}")
    check(r.status_code == 405 and r.headers.get("Allow") == "GET, DELETE", f"PATCH: {r.status_code}")

    # Revoke one: 204, no body; then 404 (the CDR Postman flow).
    r = s.delete(f"{BASE}/users/asmith/grants/{gid}")
    check(r.status_code == 204 and r.content == b"", f"revoke one: {r.status_code}")
    r = s.get(f"{BASE}/users/asmith/grants/{gid}")
    check(r.status_code == 404, f"GET after DELETE: {r.status_code}")
    r = s.delete(f"{BASE}/users/asmith/grants/{gid}")
    check(r.status_code == 404, f"DELETE twice: {r.status_code}")
    # Another user's grant under this user's path: 404, untouched.
    r = s.delete(f"{BASE}/users/asmith/grants/{bob[0]['id']}")
    check(r.status_code == 404, f"bob's grant under asmith: {r.status_code}")
    r = s.get(f"{BASE}/users/bob/grants/{bob[0]['id']}")
    check(r.status_code == 200, "bob's grant untouched")

    # Revoke all of a user's grants, then of a client's.
    r = s.delete(f"{BASE}/users/asmith/grants/")
    check(r.status_code == 204, f"revoke all (user): {r.status_code}")
    r = s.get(f"{BASE}/users/asmith/grants")
    check(r.json() == {"items": []}, "user list empty after revoke all")
    r = s.delete(f"{BASE}/clients/ac_client/grants")
    check(r.status_code == 204, f"revoke all (client): {r.status_code}")
    r = s.get(f"{BASE}/clients/ac_client/grants")
    check(r.status_code == 200 and r.json() == {"items": []}, "client list empty after revoke all")
    r = s.get(f"{BASE}/users/bob/grants")
    check(r.json() == {"items": []}, "bob's grants went with the client's")
    r = s.delete(f"{BASE}/users/nobody/grants")
    check(r.status_code == 204, "revoke all for a user with none: 204")

    # runtime-api.log: one line per request, failures included.
    # The gateway appends from a writer thread: wait until every request's line is there.
    for _ in range(60):
        with open(LOG, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        if len(lines) >= checks_requests[0]:
            break
        time.sleep(0.05)
    check(len(lines) == checks_requests[0], f"{len(lines)} log lines for {checks_requests[0]} requests")
    line = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\| [^|]*\| [^|]*\| [^|]*\| [A-Z]+\| https?://[^|]+\| \d{3} \n$")
    check(all(line.match(l) for l in lines), "every line in the log4j2 pattern")
    check(any(l.split("| ")[1:3] == [AUTH[0], "basic"] and l.endswith("| 204 \n") for l in lines), "a revocation logged")
    check(any(l.split("| ")[1] == AUTH[0] and l.endswith("| 401 \n") for l in lines), "a 401 logged with the user presented")

    if failures:
        print(f"{len(failures)} of {checks} checks failed", file=sys.stderr)
        sys.exit(1)
    print(f"pingfed conformance: {checks} checks passed")


# Count every HTTP request the script sends, to compare with the audit log.
checks_requests = [0]
_orig_send = requests.Session.send


def _counting_send(self, request, **kwargs):
    checks_requests[0] += 1
    return _orig_send(self, request, **kwargs)


requests.Session.send = _counting_send

if __name__ == "__main__":
    import urllib3

    urllib3.disable_warnings()
    main()
