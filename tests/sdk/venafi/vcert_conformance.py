"""vcert 0.22.1 against venafi-compat over TLS: token, refresh, revoke, version, and
GetGrants through vcert's generic post (vcert has no grant-management wrappers)."""
from common import *  # noqa: F403
from vcert import Authentication, VenafiPlatform, venafi_connection

state = {}


def conn(**kw):
    return venafi_connection(url=URL, platform=VenafiPlatform.TPP,
                             http_request_kwargs={"verify": CA}, **kw)


def default_login():
    # vcert's defaults: client_id "vcert-sdk", scope "certificate:manage,revoke".
    c = conn(user=USER, password=USER_PASSWORD)
    info = c.get_access_token()
    is_tpp_token(info.access_token)
    is_tpp_token(info.refresh_token)
    r = raw("GET", "/vedauth/authorize/verify", info.access_token)
    eq(r.status_code, 200)
    eq(r.reason, "Token is valid")
    eq(r.json()["scope"], "certificate:manage,revoke")
    eq(r.json()["application"], "vcert-sdk")
    eq(r.json()["identity"], USER_UNIVERSAL)


def admin_login():
    c = conn(user=ADMIN_USER, password=ADMIN_PASSWORD)
    info = c.get_access_token(Authentication(user=ADMIN_USER, password=ADMIN_PASSWORD,
                                             client_id=CLIENT_ID, scope="admin:delete"))
    is_tpp_token(info.access_token)
    state["conn"], state["info"] = c, info


def version():
    eq(state["conn"].get_version(), "22.4.0.0")


def get_grants():
    status, data = state["conn"].post({"url": "vedsdk/oauth/getgrants",
                                       "data": {"GranteePrefixedUniversal": ADMIN_UNIVERSAL}})
    eq(int(status), 200)
    eq((data["Result"], data["Success"]), (0, True))
    apps = [g["Application"] for g in data["Grants"]]
    assert CLIENT_ID in apps, apps
    g = data["Grants"][apps.index(CLIENT_ID)]
    eq(list(g), sorted(g), "key order")
    eq(g["Scope"], {"ScopeList": [{"RestrictionList": ["delete"], "Scope": "admin"}]})
    assert g["AccessIssuedOn"].startswith("/Date(") and g["AccessIssuedOnISO8601"].endswith("Z")


def refresh():
    c, old = state["conn"], state["info"]
    new = c.refresh_access_token()
    is_tpp_token(new.access_token)
    assert new.access_token != old.access_token
    assert new.refresh_token != old.refresh_token
    eq(raw("GET", "/vedauth/authorize/verify", old.access_token).status_code, 401, "old token")
    eq(raw("GET", "/vedauth/authorize/verify", new.access_token).status_code, 200, "new token")
    state["info"] = new


def revoke():
    c, info = state["conn"], state["info"]
    status, _ = c.revoke_access_token()
    eq(int(status), 200)
    r = raw("GET", "/vedauth/authorize/verify", info.access_token)
    eq(r.status_code, 401)
    eq(r.json()["error"], "invalid_token")
    r = raw("POST", "/vedsdk/oauth/getgrants", info.access_token,
            {"GranteePrefixedUniversal": ADMIN_UNIVERSAL})
    eq(r.status_code, 401)


print("== vcert 0.22.1")
check("default login (vcert-sdk, certificate:manage,revoke)", default_login)
check("admin login with Authentication(client_id, scope)", admin_login)
check("get_version", version)
check("GetGrants through conn.post", get_grants)
check("refresh_access_token", refresh)
check("revoke_access_token then 401", revoke)
finish("vcert")
