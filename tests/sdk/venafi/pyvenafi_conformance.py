"""pyvenafi 1.1.0 against venafi-compat over TLS: GetGrants, EnumerateGrants, GrantCount
and RevokeGrants through pyvenafi's own Oauth wrappers."""
from common import *  # noqa: F403
from pyvenafi.tpp.api.websdk.websdk import WebSDK

state = {}


def setup():
    # The user holds grants for two applications (pyvenafi logins create them).
    for app in (CLIENT_ID, OTHER_CLIENT_ID):
        user_api = WebSDK(host=HOST, username=USER, password=USER_PASSWORD,
                          application_id=app, scope="certificate:manage")
        state.setdefault("user_tokens", []).append(bearer_of(user_api._token))
    state["api"] = WebSDK(host=HOST, username=ADMIN_USER, password=ADMIN_PASSWORD,
                          application_id=CLIENT_ID, scope="admin:delete")
    bearer_of(state["api"]._token)


def get_grants():
    out = state["api"].Oauth.GetGrants.post(grantee_prefixed_universal=USER_UNIVERSAL)
    eq((out.success, out.api_response.status_code), (True, 200))
    apps = sorted(g.application for g in out.grants)
    eq(apps, sorted([CLIENT_ID, OTHER_CLIENT_ID]))
    g = out.grants[0]
    eq(g.grantee_prefixed_universal, USER_UNIVERSAL)
    eq(g.valid_for, 7776000)
    assert g.expires_iso_8601.endswith("Z") and g.expires.startswith("/Date(")
    out = state["api"].Oauth.GetGrants.post(grantee_prefixed_universal=USER_UNIVERSAL,
                                             application_id=OTHER_CLIENT_ID)
    eq([g.application for g in out.grants], [OTHER_CLIENT_ID])


def enumerate_grants():
    out = state["api"].Oauth.EnumerateGrants.post(application_id=CLIENT_ID)
    eq(out.api_response.status_code, 200)
    who = {g.grantee_prefixed_universal for g in out.grants}
    eq(who, {USER_UNIVERSAL, ADMIN_UNIVERSAL})


def grant_count():
    out = state["api"].Oauth.GrantCount.post(application_id=CLIENT_ID)
    eq((out.count, out.success), (2, True))


def revoke_grants():
    out = state["api"].Oauth.RevokeGrants.post(application_id=OTHER_CLIENT_ID,
                                               grantee_prefixed_universal=USER_UNIVERSAL)
    eq((out.api_response.status_code, out.success), (200, True))
    eq(raw("GET", "/vedauth/authorize/verify", state["user_tokens"][1]).status_code, 401)
    eq(raw("GET", "/vedauth/authorize/verify", state["user_tokens"][0]).status_code, 200)
    out = state["api"].Oauth.GetGrants.post(grantee_prefixed_universal=USER_UNIVERSAL)
    eq([g.application for g in out.grants], [CLIENT_ID])
    out = state["api"].Oauth.RevokeGrants.post(grantee_prefixed_universal=USER_UNIVERSAL)
    eq(out.success, True)
    eq(raw("GET", "/vedauth/authorize/verify", state["user_tokens"][0]).status_code, 401)
    out = state["api"].Oauth.GetGrants.post(grantee_prefixed_universal=USER_UNIVERSAL)
    eq(out.grants, [])


print("== pyvenafi 1.1.0")
check("logins (Authorize/OAuth + SystemStatus/Version)", setup)
check("Oauth.GetGrants", get_grants)
check("Oauth.EnumerateGrants", enumerate_grants)
check("Oauth.GrantCount", grant_count)
check("Oauth.RevokeGrants by application and by grantee", revoke_grants)
finish("pyvenafi")
