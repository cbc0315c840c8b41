"""The grant loop with Okta's Python SDK (okta 3.4.6): a user signs in through
/api/v1/authn, consents on okta-compat's consent page (custom server `default`), the web
app redeems the code (PKCE, client_secret_basic) -> the consent grants appear through the
SDK's list_user_grants -> revoked with revoke_user_grant -> the app's refresh token is
refused (invalid_grant) and introspection answers {"active": false}.

Env: OKTA_ORG_URL, OKTA_API_TOKEN, USER_LOGIN, USER_PASSWORD, USER_OKTA_ID,
WEB_CLIENT_ID, WEB_CLIENT_SECRET, WEB_REDIRECT_URI. Prints one `ok - …` line per check.
"""
import asyncio
import base64
import hashlib
import html
import http.cookiejar
import json
import os
import re
import secrets
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

ENV = {k: os.environ.get(k, "") for k in (
    "OKTA_ORG_URL", "OKTA_API_TOKEN", "USER_LOGIN", "USER_PASSWORD", "USER_OKTA_ID",
    "WEB_CLIENT_ID", "WEB_CLIENT_SECRET", "WEB_REDIRECT_URI")}
if not all(ENV.values()):
    sys.exit(f"FAIL - setup: missing env vars {[k for k, v in ENV.items() if not v]}")
ORG = ENV["OKTA_ORG_URL"].rstrip("/")
ISSUER = f"{ORG}/oauth2/default"
CLIENT, SECRET, REDIRECT = ENV["WEB_CLIENT_ID"], ENV["WEB_CLIENT_SECRET"], ENV["WEB_REDIRECT_URI"]

# Isolate the SDK from any okta.yaml / OKTA_CLIENT_* and allow http:// (see conformance.py).
_sandbox = tempfile.mkdtemp(prefix="okta-sdk-py-authz-")
os.chdir(_sandbox)
os.environ["HOME"] = _sandbox
for _k in [k for k in os.environ if k.startswith("OKTA_CLIENT_")]:
    del os.environ[_k]
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "1"

from okta.client import Client  # noqa: E402


def check(name, cond, detail=""):
    if not cond:
        print(f"FAIL - {name}: {detail or 'assertion failed'}", flush=True)
        sys.exit(1)
    print(f"ok - {name}", flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


JAR = http.cookiejar.CookieJar()
BROWSER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(JAR), NoRedirect)


def send(url, data=None, headers=None):
    """(status, headers, body) without following redirects; errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with BROWSER.open(req) as res:
            return res.status, res.headers, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def token_call(path, form):
    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    return send(f"{ISSUER}/v1/{path}", urllib.parse.urlencode(form).encode(), {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    })


def sign_in_and_consent():
    status, _, body = send(f"{ORG}/api/v1/authn", json.dumps(
        {"username": ENV["USER_LOGIN"], "password": ENV["USER_PASSWORD"]}).encode(),
        {"Content-Type": "application/json", "Accept": "application/json"})
    authn = json.loads(body)
    check("authn: SUCCESS with a sessionToken", status == 200 and authn.get("status") == "SUCCESS", body)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_hex(16), secrets.token_hex(16)
    query = urllib.parse.urlencode({
        "client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "openid profile offline_access", "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
        "sessionToken": authn["sessionToken"], "prompt": "consent"})
    status, _, page = send(f"{ISSUER}/v1/authorize?{query}")
    check("authorize: the consent page", status == 200 and 'id="consent-form"' in page, f"{status} {page[:200]}")
    scopes = re.findall(r'class="scope-item" data-scope="([^"]+)"', page)
    check("consent page lists profile and offline_access", sorted(scopes) == ["offline_access", "profile"], scopes)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    action = re.search(r'<form id="consent-form" method="post" action="([^"]+)"', page).group(1)
    form = {k: html.unescape(v) for k, v in fields.items()}
    form["decision"] = "allow"
    status, headers, _ = send(f"{ORG}{action}", urllib.parse.urlencode(form).encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    location = headers.get("Location", "")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    check("consent allowed: code and state at the redirect URI",
          status == 302 and location.startswith(REDIRECT) and params.get("state") == state and "code" in params,
          f"{status} {location}")
    status, _, body = token_call("token", {
        "grant_type": "authorization_code", "code": params["code"],
        "redirect_uri": REDIRECT, "code_verifier": verifier})
    tokens = json.loads(body)
    check("token: access, ID and refresh tokens", status == 200 and {"access_token", "id_token", "refresh_token"} <= tokens.keys(), body)
    return tokens


async def main():
    tokens = sign_in_and_consent()
    api = Client({"orgUrl": ORG, "token": ENV["OKTA_API_TOKEN"]})
    grants, _, err = await api.list_user_grants(ENV["USER_OKTA_ID"])
    check("SDK list_user_grants", err is None, repr(err))
    mine = [g for g in grants if g.client_id == CLIENT and g.issuer == ISSUER]
    check("one END_USER grant per consented scope",
          sorted(g.scope_id for g in mine) == ["offline_access", "profile"]
          and all(getattr(g.source, "value", g.source) == "END_USER" for g in mine),
          [(g.scope_id, g.source) for g in mine])
    status, _, body = token_call("introspect", {"token": tokens["access_token"]})
    check("introspect: active before the revocation", status == 200 and json.loads(body).get("active") is True, body)
    for g in mine:
        # (resp, err), or (data, resp, err) depending on the SDK build: the error is last.
        res = await api.revoke_user_grant(ENV["USER_OKTA_ID"], g.id)
        err, resp = res[-1], res[-2]
        check(f"SDK revoke_user_grant {g.scope_id}", err is None and resp.status_code == 204, repr(res))
    left, _, err = await api.list_user_grants(ENV["USER_OKTA_ID"])
    check("no grant of the app left", err is None and not [g for g in left if g.client_id == CLIENT], repr(left))
    status, _, body = token_call("token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    check("refresh refused after the revocation",
          (status, json.loads(body)) == (400, {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}),
          f"{status} {body}")
    status, _, body = token_call("introspect", {"token": tokens["access_token"]})
    check("introspect: exactly {\"active\":false}", status == 200 and json.loads(body) == {"active": False}, body)


if __name__ == "__main__":
    asyncio.run(main())
    print("okta Python SDK grant loop: passed")
