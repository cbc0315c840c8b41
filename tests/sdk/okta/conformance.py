#!/usr/bin/env python3
"""Drive Okta's official Python SDK (okta==3.4.6) against an okta-compat server.

Run with the venv from scripts/sdk-setup.sh:
    .venv-sdk/okta/bin/python tests/sdk/okta/conformance.py
Environment: OKTA_ORG_URL, OKTA_API_TOKEN, OKTA_USER_ID, OKTA_CLIENT_ID,
OKTA_OTHER_CLIENT_ID, OKTA_OTHER_USER_ID, OKTA_RATE_LIMITED_ORG_URL.
Prints one "ok - <check>" line per passing check; exits 1 on the first failure.
"""
import asyncio
import os
import shutil
import sys
import tempfile
import time
import traceback

ENV = {k: os.environ.get(k, "") for k in (
    "OKTA_ORG_URL", "OKTA_API_TOKEN", "OKTA_USER_ID", "OKTA_CLIENT_ID",
    "OKTA_OTHER_CLIENT_ID", "OKTA_OTHER_USER_ID", "OKTA_RATE_LIMITED_ORG_URL")}
if not all(ENV.values()):
    sys.exit(f"FAIL - setup: missing env vars {[k for k, v in ENV.items() if not v]}")
ORG, TOKEN = ENV["OKTA_ORG_URL"].rstrip("/"), ENV["OKTA_API_TOKEN"]
ALICE, BOB = ENV["OKTA_USER_ID"], ENV["OKTA_OTHER_USER_ID"]
CLIENT, OTHER = ENV["OKTA_CLIENT_ID"], ENV["OKTA_OTHER_CLIENT_ID"]
RL_ORG = ENV["OKTA_RATE_LIMITED_ORG_URL"].rstrip("/")
READ, MANAGE = "okta.users.read", "okta.users.manage"

# The SDK merges config from ./okta.yaml, ~/.okta/okta.yaml (paths fixed at import
# time) and OKTA_CLIENT_* env vars. Isolate from all of them, and allow http:// URLs
# (this flag can only be set via env var or yaml, not via the Client dict).
_sandbox = tempfile.mkdtemp(prefix="okta-sdk-py-")
os.chdir(_sandbox)
os.environ["HOME"] = _sandbox
for _k in [k for k in os.environ if k.startswith("OKTA_CLIENT_")]:
    del os.environ[_k]
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "1"

from okta.client import Client  # noqa: E402
from okta.errors.okta_api_error import OktaAPIError  # noqa: E402
from okta.pagination import paginate_pages  # noqa: E402
from okta.request_executor import RequestExecutor  # noqa: E402

step = "setup"


def fail(name, detail):
    print(f"FAIL - {name}: {detail}", flush=True)
    sys.exit(1)


def check(name, cond, detail=""):
    if not cond:
        fail(name, detail or "assertion failed")
    print(f"ok - {name}", flush=True)


def client(url=ORG, token=TOKEN):
    return Client({"orgUrl": url, "token": token})


async def call(coro):
    """Await an SDK call; success is (data, resp, None), errors are (None, resp, err)
    or, for the revoke methods, a 2-tuple (resp, err) -- so look at the last item."""
    res = await coro
    if res[-1] is not None:
        fail(step, f"unexpected SDK error: {res[-1]!r}")
    return res[0], res[1]


async def expect_error(coro, status, code):
    res = await coro
    err = res[-1]
    check(f"{step}: SDK returns OktaAPIError", isinstance(err, OktaAPIError), f"got {res!r}")
    check(f"{step}: status {status} / {code}", (err.status, err.error_code) == (status, code),
          f"got {err.status} {err.error_code} {err.error_summary!r}")


async def paged(method, **kwargs):
    """List with the SDK's own paginator (follows the Link rel=next cursor).
    paginate_pages silently stops on errors, so record them and fail loudly."""
    errors = []

    async def tracked(**kw):
        res = await method(**kw)
        if res[-1] is not None:
            errors.append(res[-1])
        return res

    items, pages = [], 0
    async for data, page_no, _more in paginate_pages(tracked, **kwargs):
        items += data
        pages = page_no
    if errors:
        fail(step, f"SDK error while paginating: {errors[0]!r}")
    return items, pages


def val(enum_or_str):
    return getattr(enum_or_str, "value", enum_or_str)


async def main():
    global step
    api = client()

    step = "a. list user grants (limit=10, auto-pagination)"
    grants, pages = await paged(api.list_user_grants, user_id=ALICE, limit=10)
    ids = {g.id for g in grants}
    check(f"{step}: 45 grants", len(grants) == 45, f"got {len(grants)}")
    check(f"{step}: 45 distinct ids", len(ids) == 45, f"got {len(ids)}")
    check(f"{step}: >= 5 pages", pages >= 5, f"got {pages}")
    for g in grants:
        want_scope = {CLIENT: READ, OTHER: MANAGE}.get(g.client_id)
        self_href = g.links.var_self.href if g.links and g.links.var_self else None
        problems = [p for p, bad in [
            ("id not oag…", not (g.id or "").startswith("oag")),
            ("status", val(g.status) != "ACTIVE"),
            ("userId", g.user_id != ALICE),
            ("issuer", g.issuer != ORG),
            ("clientId/scopeId", want_scope is None or g.scope_id != want_scope),
            ("source", val(g.source) != "END_USER"),
            ("_links.self.href", self_href != f"{ORG}/api/v1/users/{ALICE}/grants/{g.id}"),
        ] if bad]
        if problems:
            fail(step, f"grant {g.id}: bad {problems}: {g.to_dict()}")
    check(f"{step}: every grant has oag id, ACTIVE, userId, issuer, scopeId, source, absolute self link", True)
    by_client = [g.client_id for g in grants]
    check(f"{step}: 25 + 20 grants per client",
          (by_client.count(CLIENT), by_client.count(OTHER)) == (25, 20),
          f"got {by_client.count(CLIENT)} + {by_client.count(OTHER)}")

    step = "b. list with expand=scope, scopeId filter"
    read, pages = await paged(api.list_user_grants, user_id=ALICE, scope_id=READ, expand="scope", limit=10)
    check(f"{step}: 25 grants", len(read) == 25, f"got {len(read)} in {pages} pages")
    bad = [g.id for g in read if g.scope_id != READ or not g.embedded or not g.embedded.scope
           or g.embedded.scope.id != READ]
    check(f"{step}: each has scopeId and _embedded.scope.id {READ}", not bad, f"bad: {bad[:3]}")

    step = "c. list grants for user and client (limit=7)"
    mine, pages = await paged(api.list_grants_for_user_and_client, user_id=ALICE, client_id=CLIENT, limit=7)
    check(f"{step}: 25 grants", len(mine) == 25, f"got {len(mine)}")
    check(f"{step}: 25 distinct ids, all for the client",
          len({g.id for g in mine}) == 25 and all(g.client_id == CLIENT for g in mine))
    check(f"{step}: >= 3 pages", pages >= 3, f"got {pages}")

    step = "d. get user grant"
    target = mine[0]
    g, _ = await call(api.get_user_grant(ALICE, target.id))
    check(f"{step}: same id/clientId/scopeId",
          (g.id, g.client_id, g.scope_id) == (target.id, CLIENT, READ), f"got {g.to_dict()}")
    g, _ = await call(api.get_user_grant(ALICE, target.id, expand="scope"))
    check(f"{step}: expand=scope embeds scope",
          g.embedded is not None and g.embedded.scope is not None and g.embedded.scope.id == READ,
          f"got {g.to_dict()}")

    step = "e. get user grant via 'me'"
    g, _ = await call(api.get_user_grant("me", target.id))
    check(f"{step}: same grant as via user id",
          (g.id, g.client_id, g.scope_id, g.user_id) == (target.id, CLIENT, READ, ALICE), f"got {g.to_dict()}")

    # 8 quick calls against a 3-per-2s limit: some window must see a 4th call -> 429.
    step = "j. rate-limited server: SDK retries 429"
    backoffs = []
    orig_pause = RequestExecutor.pause_for_backoff

    async def counting_pause(self, seconds):
        backoffs.append(seconds)
        return await orig_pause(self, seconds)

    RequestExecutor.pause_for_backoff = counting_pause
    try:
        rl = client(RL_ORG)
        start = time.monotonic()
        page, _ = await call(rl.list_user_grants(ALICE, limit=7))
        got = [(await call(rl.get_user_grant(ALICE, p.id)))[0].id for p in page]
        elapsed = time.monotonic() - start
    finally:
        RequestExecutor.pause_for_backoff = orig_pause
    check(f"{step}: 8 calls succeeded", len(page) == 7 and got == [p.id for p in page],
          f"listed {len(page)}, got {got}")
    check(f"{step}: SDK backed off on 429", len(backoffs) >= 1, "no 429 backoff happened")
    check(f"{step}: elapsed >= 1s", elapsed >= 1.0, f"elapsed {elapsed:.2f}s")

    step = "f. revoke one grant"
    _, resp = await call(api.revoke_user_grant(ALICE, target.id))
    check(f"{step}: 204", resp.status_code == 204, f"got {resp.status_code}")
    await expect_error(api.get_user_grant(ALICE, target.id), 404, "E0000007")
    left, _ = await call(api.list_user_grants(ALICE, limit=200))
    check(f"{step}: 44 grants left, revoked one gone",
          len(left) == 44 and target.id not in {g.id for g in left}, f"got {len(left)}")

    step = "g. revoke grants for user and client"
    _, resp = await call(api.revoke_grants_for_user_and_client(ALICE, OTHER))
    check(f"{step}: 204", resp.status_code == 204, f"got {resp.status_code}")
    other, _ = await paged(api.list_grants_for_user_and_client, user_id=ALICE, client_id=OTHER, limit=20)
    check(f"{step}: client list empty", other == [], f"got {len(other)}")
    left, _ = await call(api.list_user_grants(ALICE, limit=200))
    check(f"{step}: 24 grants of the other client remain",
          len(left) == 24 and all(g.client_id == CLIENT for g in left), f"got {len(left)}")

    step = "h. revoke all user grants"
    _, resp = await call(api.revoke_user_grants(ALICE))
    check(f"{step}: 204", resp.status_code == 204, f"got {resp.status_code}")
    left, resp = await call(api.list_user_grants(ALICE))
    check(f"{step}: list empty", resp.status_code == 200 and not left, f"got {resp.status_code} {left!r}")
    bobs, _ = await paged(api.list_user_grants, user_id=BOB, limit=20)
    check(f"{step}: bob's 3 grants untouched",
          len(bobs) == 3 and all(g.user_id == BOB and val(g.status) == "ACTIVE" for g in bobs),
          f"got {len(bobs)}")

    step = "i. bad token"
    await expect_error(client(token="bad-token").list_user_grants(ALICE), 401, "E0000011")

    step = "k. one grant per scope, scope ids exactly as stored"
    carol = os.environ.get("OKTA_MULTI_SCOPE_USER_ID", "")
    scopes = {"api:read", "https://api.example.com/orders.read", "données:lire"}
    cg, _ = await paged(api.list_user_grants, user_id=carol, expand="scope", limit=2)
    check(f"{step}: 3 grants, distinct oag ids",
          len(cg) == 3 and len({g.id for g in cg}) == 3 and all(g.id.startswith("oag") for g in cg),
          f"got {[g.to_dict() for g in cg]}")
    check(f"{step}: scopeId and _embedded.scope.id exact",
          {g.scope_id for g in cg} == scopes and all(g.embedded.scope.id == g.scope_id for g in cg),
          f"got {[g.scope_id for g in cg]}")
    one, _ = await call(api.list_user_grants(carol, scope_id="api:read"))
    check(f"{step}: scopeId filter matches the stored string",
          [g.scope_id for g in one] == ["api:read"], f"got {[g.scope_id for g in one]}")
    _, resp = await call(api.revoke_user_grant(carol, one[0].id))
    check(f"{step}: revoke one scope: 204", resp.status_code == 204, f"got {resp.status_code}")
    rest, _ = await call(api.list_user_grants(carol))
    check(f"{step}: the other scopes keep their grants and ids",
          {(g.id, g.scope_id) for g in rest} == {(g.id, g.scope_id) for g in cg if g.id != one[0].id},
          f"got {[g.to_dict() for g in rest]}")

    print("# all checks passed (python okta 3.4.6)")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        fail(step, "exception raised (see traceback above)")
    finally:
        shutil.rmtree(_sandbox, ignore_errors=True)
