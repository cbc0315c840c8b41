"""pytpp 2.0.3 (pydantic<2) against venafi-compat over TLS: login (which also reads
SystemStatus/Version), Authorize/Verify, Revoke/Token."""
from common import *  # noqa: F403
from pytpp.api.websdk.websdk import WebSDK

state = {}


def login():
    api = WebSDK(host=HOST, username=USER, password=USER_PASSWORD,
                 application_id=CLIENT_ID, scope="certificate:manage;configuration")
    bearer_of(api._token)
    state["api"] = api


def verify():
    out = state["api"].Authorize.Verify.get()
    eq(out.api_response.status_code, 200)
    eq(out.api_response.reason, "Token is valid")
    eq(out.identity, USER_UNIVERSAL)
    eq(out.application, CLIENT_ID)
    eq(out.scope, "certificate:manage;configuration")
    eq(out.valid_for, 7776000)


def second_login_leaves_the_first_token_alone():
    second = WebSDK(host=HOST, username=USER, password=USER_PASSWORD,
                    application_id=CLIENT_ID, scope="certificate:revoke")
    eq(second.Authorize.Verify.get().scope, "certificate:revoke")
    eq(state["api"].Authorize.Verify.get().scope, "certificate:manage;configuration",
       "first token after a second login")


def short_integration():
    api = WebSDK(host=HOST, username=USER, password=USER_PASSWORD,
                 application_id=os.environ["VENAFI_SHORT_CLIENT_ID"], scope="certificate")
    out = api.Authorize.Verify.get()
    eq(out.valid_for, 5)


def disallowed_identity():
    try:
        WebSDK(host=HOST, username=ADMIN_USER, password=ADMIN_PASSWORD,
               application_id=os.environ["VENAFI_SHORT_CLIENT_ID"], scope="certificate")
    except Exception:  # noqa: BLE001 - pytpp raises its own error types
        pass
    else:
        raise AssertionError("a disallowed identity got a token")
    r = raw("POST", "/vedauth/authorize/oauth", json={
        "username": ADMIN_USER, "password": ADMIN_PASSWORD,
        "client_id": os.environ["VENAFI_SHORT_CLIENT_ID"], "scope": "certificate"})
    eq(r.status_code, 400)
    eq(r.json()["error"], "invalid_grant")


def revoke():
    api = state["api"]
    token = bearer_of(api._token)
    out = api.Revoke.Token.get()
    eq(out.api_response.status_code, 200)
    eq(raw("GET", "/vedauth/authorize/verify", token).status_code, 401)


print("== pytpp 2.0.3")
check("WebSDK login (Authorize/OAuth + SystemStatus/Version)", login)
check("Authorize.Verify.get", verify)
check("a second login does not change the first token's scope", second_login_leaves_the_first_token_alone)
check("a 5-second integration", short_integration)
check("an identity the integration does not allow gets no token", disallowed_identity)
check("Revoke.Token.get then 401", revoke)
finish("pytpp")
