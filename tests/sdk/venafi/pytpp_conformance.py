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


def revoke():
    api = state["api"]
    token = bearer_of(api._token)
    out = api.Revoke.Token.get()
    eq(out.api_response.status_code, 200)
    eq(raw("GET", "/vedauth/authorize/verify", token).status_code, 401)


print("== pytpp 2.0.3")
check("WebSDK login (Authorize/OAuth + SystemStatus/Version)", login)
check("Authorize.Verify.get", verify)
check("Revoke.Token.get then 401", revoke)
finish("pytpp")
