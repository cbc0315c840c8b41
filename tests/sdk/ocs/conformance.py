"""ocs-compat driven by AVEVA's Python sample library (adh-sample-library-preview).

The library has wrappers for Users and Roles only; AuthorizationCodeClients,
PersistedGrants and ClientCredentialClients/Secrets are called through its baseClient,
as AVEVA's setup sample does, and every error goes through its checkResponse, which must
surface our ErrorResponse fields. Exits non-zero on the first failure.
"""
import json
import os
import sys

from adh_sample_library_preview import ADHClient, SdsError
from adh_sample_library_preview.Roles import Roles
from adh_sample_library_preview.Security.RoleScope import RoleScope

URL = os.environ["OCS_URL"]
TENANT = os.environ["OCS_TENANT"]
OTHER_TENANT = os.environ["OCS_OTHER_TENANT"]
ADMIN_CLIENT = os.environ["OCS_ADMIN_CLIENT"]
MEMBER_CLIENT = os.environ["OCS_MEMBER_CLIENT"]
OTHER_CLIENT = os.environ["OCS_OTHER_CLIENT"]
SECRET = os.environ["OCS_SECRET"]
ALICE = os.environ["OCS_ALICE"]
BOB = os.environ["OCS_BOB"]
SPA1 = os.environ["OCS_SPA1"]
SPA2 = os.environ["OCS_SPA2"]

checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def expect_error(fn, status, error, what):
    """Runs fn; it must raise the library's SdsError with our ErrorResponse parsed."""
    try:
        fn()
    except SdsError as e:
        check(e.StatusCode == status, f"{what}: status {e.StatusCode} != {status} ({e})")
        if error is not None:
            check(e.Error == error, f"{what}: Error {e.Error!r} != {error!r}")
            check(bool(e.Reason) and bool(e.Resolution), f"{what}: Reason/Resolution parsed ({e})")
            body = e.Response.json() if e.Response is not None and e.Response.text else {}
            check(e.OperationId and e.OperationId == body.get("OperationId"),
                  f"{what}: Operation-Id header equals body OperationId")
        return e
    check(False, f"{what}: expected SdsError {status}")


# --- token service: discovery + client credentials, in the constructor ----------------
admin = ADHClient("v1", TENANT, URL, ADMIN_CLIENT, SECRET)
member = ADHClient("v1", TENANT, URL, MEMBER_CLIENT, SECRET)
bc = admin.baseClient
api = f"{bc.uri_API}/Tenants/{TENANT}"
try:
    ADHClient("v1", TENANT, URL, ADMIN_CLIENT, "wrong-secret")
    check(False, "a wrong secret must fail in the constructor")
except SdsError as e:
    check("invalid_client" in str(e), f"wrong secret surfaces invalid_client ({e})")


def call(client, method, path, **kw):
    return client.baseClient.request(method, f"{client.baseClient.uri_API}/Tenants/{TENANT}{path}", **kw)


# --- AuthorizationCodeClients ---------------------------------------------------------
r = call(admin, "get", "/AuthorizationCodeClients", params={"count": 1000})
bc.checkResponse(r, "list AuthorizationCodeClients")
check(r.headers["Content-Type"] == "application/json", "content-type exactly application/json")
check(r.headers["Total-Count"] == "2", f"Total-Count 2 (got {r.headers.get('Total-Count')})")
check([c["Id"] for c in r.json()] == [SPA1, SPA2], "seeded clients listed oldest first")

new = {"Id": None, "Name": "SDK SPA", "Enabled": True, "AccessTokenLifetime": 1800,
       "RedirectUris": ["https://sdk.example.test/cb"], "PostLogoutRedirectUris": [],
       "AllowedCorsOrigins": ["https://sdk.example.test"], "Tags": ["sdk"], "ClientUri": None, "LogoUri": None}
r = call(admin, "post", "/AuthorizationCodeClients", data=json.dumps(new))
bc.checkResponse(r, "create AuthorizationCodeClient")
check(r.status_code == 201, "POST answers 201")
created = r.json()
cid = created["Id"]
check(cid == cid.lower() and len(cid) == 36, f"server-generated lowercase GUID ({cid})")
check(created["AccessTokenLifetime"] == 1800 and created["AllowOfflineAccess"] is False, "created fields")

r = call(member, "get", "/AuthorizationCodeClients", params={"id": [cid, SPA1, " "], "count": 10})
member.baseClient.checkResponse(r, "list by ids")
check(sorted(c["Id"] for c in r.json()) == sorted([cid, SPA1]) and r.headers["Total-Count"] == "2", "repeated id filter")
r = call(member, "get", "/AuthorizationCodeClients", params={"tag": "sdk", "skip": 1, "count": 1})
member.baseClient.checkResponse(r, "list by tag, paged")
check(len(r.json()) == 1 and r.headers["Total-Count"] == "2", "tag filter + skip/count keep the total")
r = call(member, "head", "/AuthorizationCodeClients")
member.baseClient.checkResponse(r, "HEAD count")
check(r.text == "" and r.headers["Total-Count"] == "3", "HEAD: Total-Count, no body")

r = call(admin, "put", f"/AuthorizationCodeClients/{cid.upper()}", data=json.dumps({"Name": "Renamed", "Tags": None}))
bc.checkResponse(r, "update (merge)")
check(r.json()["Name"] == "Renamed" and r.json()["Tags"] == ["sdk"] and r.json()["AccessTokenLifetime"] == 1800,
      "PUT merges: null and absent properties unchanged")
r = call(member, "get", f"/AuthorizationCodeClients/{cid}")
member.baseClient.checkResponse(r, "get one")
check(r.json()["Name"] == "Renamed", "GET one after PUT")

dup = dict(new, Id=cid)
expect_error(lambda: bc.checkResponse(call(admin, "post", "/AuthorizationCodeClients", data=json.dumps(dup)), "dup"),
             409, "Conflict.", "duplicate Id")
bad = dict(new, AccessTokenLifetime=30)
expect_error(lambda: bc.checkResponse(call(admin, "post", "/AuthorizationCodeClients", data=json.dumps(bad)), "bad"),
             400, "The request is not valid.", "lifetime below 60")
expect_error(lambda: member.baseClient.checkResponse(
    call(member, "post", "/AuthorizationCodeClients", data=json.dumps(new)), "member write"),
    403, "Forbidden.", "members cannot write")

r = call(admin, "delete", f"/AuthorizationCodeClients/{cid}")
bc.checkResponse(r, "delete")
check(r.status_code == 204, "DELETE answers 204")
expect_error(lambda: bc.checkResponse(call(admin, "get", f"/AuthorizationCodeClients/{cid}"), "gone"),
             404, "Client not found.", "deleted client is not found")
r = call(admin, "head", f"/AuthorizationCodeClients/{cid}")
check(r.status_code == 404 and r.text == "", "HEAD 404 has no body")

# --- PersistedGrants ------------------------------------------------------------------
r = call(member, "get", f"/Users/{ALICE}/PersistedGrants")
member.baseClient.checkResponse(r, "persisted grants")
check(r.json() == sorted([SPA1, SPA2]), f"client ids of alice's authorization codes ({r.json()})")
r = call(member, "head", f"/Users/{ALICE.upper()}/PersistedGrants")
member.baseClient.checkResponse(r, "HEAD persisted grants")
check(r.text == "" and r.headers["Total-Count"] == "2", "HEAD persisted grants count")
r = call(member, "delete", f"/Users/{ALICE}/PersistedGrants")
member.baseClient.checkResponse(r, "remove persisted grants")
check(r.status_code == 204, "DELETE persisted grants 204")
r = call(member, "get", f"/Users/{ALICE}/PersistedGrants")
check(r.json() == [], "none left for alice")
r = call(member, "get", f"/Users/{BOB}/PersistedGrants")
check(r.json() == [SPA2], "bob's grants untouched")
expect_error(lambda: bc.checkResponse(call(admin, "get", "/Users/00000000-0000-4000-8000-000000000000/PersistedGrants"), "nouser"),
             404, "User not found.", "unknown user")
expect_error(lambda: bc.checkResponse(call(admin, "get", "/Users/not-a-guid/PersistedGrants"), "badguid"),
             400, "The request is not valid.", "malformed user id")

# --- tenant isolation: our token on another tenant's URL ------------------------------
r = bc.request("get", f"{bc.uri_API}/Tenants/{OTHER_TENANT}/AuthorizationCodeClients")
expect_error(lambda: bc.checkResponse(r, "other tenant"), 403, "Forbidden.", "token of another tenant")

# --- ClientCredentialClients + Secrets, as AVEVA's setup sample calls them ----------------
roles = admin.Roles.getRoles()
check(len(roles) == 5 and all(ro.RoleScope == RoleScope.Tenant for ro in roles), "Roles.getRoles: 5 tenant roles")
member_role = next(ro for ro in roles if ro.RoleTypeId == Roles.TenantMemberRoleTypeId)
admin_role = admin.Roles.getRoleById(Roles.TenantAdministratorRoleTypeId)
check(admin_role.Name == "Tenant Administrator", "Roles.getRoleById")
body = {"Id": None, "Name": "sdk service", "Enabled": True, "AccessTokenLifetime": 3600, "Tags": [],
        "RoleIds": [member_role.Id], "SecretDescription": "sdk", "SecretExpirationDate": None}
r = call(admin, "post", "/ClientCredentialClients", data=json.dumps(body))
bc.checkResponse(r, "create client-credential client")
created = r.json()
svc_id, svc_secret = created["Client"]["Id"], created["Secret"]
check(created["Client"]["RoleIds"] == [Roles.TenantMemberRoleTypeId], "RoleIds echo")
svc = ADHClient("v1", TENANT, URL, svc_id, svc_secret)
r = call(svc, "get", f"/ClientCredentialClients/{svc_id}")
svc.baseClient.checkResponse(r, "self read")
r = call(admin, "post", f"/ClientCredentialClients/{svc_id}/Secrets",
         data=json.dumps({"Description": "second", "Expiration": "2099-01-01T00:00:00Z", "Expires": True}))
bc.checkResponse(r, "add secret")
check(r.json()["Id"] == 2, "second secret id")
r = call(admin, "get", f"/ClientCredentialClients/{svc_id}/Secrets")
bc.checkResponse(r, "list secrets")
check([s["Id"] for s in r.json()] == [1, 2] and r.headers["Total-Count"] == "2", "secrets listed")
r = call(admin, "delete", f"/ClientCredentialClients/{svc_id}")
bc.checkResponse(r, "delete client-credential client")
r = call(svc, "get", f"/ClientCredentialClients/{svc_id}")
check(r.status_code == 401 and r.text == "", "deleted client's token refused: 401 without body")

# --- Users wrapper --------------------------------------------------------------------
users = member.Users.getUsers()
check(sorted(u.Id for u in users) == sorted([ALICE, BOB]), "Users.getUsers")
alice = member.Users.getUserById(ALICE.upper())
check(alice.Id == ALICE and alice.RoleIds == [Roles.TenantMemberRoleTypeId], "Users.getUserById")
expect_error(lambda: member.Users.getUserById("00000000-0000-4000-8000-000000000000"), 404, "User not found.",
             "Users.getUserById unknown")

# --- Users and Roles wrappers on an imported tenant ------------------------------------
IMP_TENANT = os.environ["OCS_IMP_TENANT"]
IMP_ADMIN_ROLE = os.environ["OCS_IMP_ADMIN_ROLE"]
IMP_MEMBER_ROLE = os.environ["OCS_IMP_MEMBER_ROLE"]
IMP_DANA = os.environ["OCS_IMP_DANA"]
imp = ADHClient("v1", IMP_TENANT, URL, os.environ["OCS_IMP_CLIENT"], SECRET)
roles = imp.Roles.getRoles()
check([(ro.Id, ro.RoleTypeId) for ro in roles]
      == [(IMP_ADMIN_ROLE, Roles.TenantAdministratorRoleTypeId), (IMP_MEMBER_ROLE, Roles.TenantMemberRoleTypeId)],
      "imported Roles.getRoles: own ids, distinct from their RoleTypeIds")
check(all(ro.RoleScope == RoleScope.Tenant and ro.TenantId == IMP_TENANT for ro in roles), "imported roles' scope, tenant")
role = imp.Roles.getRoleById(IMP_MEMBER_ROLE.upper())
check(role.Id == IMP_MEMBER_ROLE and role.Name == "Tenant Member", "imported Roles.getRoleById")
expect_error(lambda: imp.Roles.getRoleById(Roles.TenantMemberRoleTypeId), 404, None,
             "a RoleTypeId is not a role id in a tenant with roles of its own")
users = imp.Users.getUsers()
check([u.Id for u in users] == [IMP_DANA], "imported Users.getUsers")
dana = imp.Users.getUserById(IMP_DANA)
check((dana.GivenName, dana.Surname, dana.Name, dana.Email, dana.ContactEmail, dana.ContactGivenName,
       dana.ContactSurname, dana.ExternalUserId, dana.IdentityProviderId, dana.RoleIds)
      == ("Dana", "Scully", "Dana Scully", "dana@corp.example", "dana.scully@mail.example", "D.", "Scully",
          "0c1d2e3f-aaaa-4bbb-8ccc-000000000001", "e2398938-bf8f-40fa-b380-d538ece2bfc2", [IMP_MEMBER_ROLE]),
      "imported Users.getUserById: every property")
# The imported client's role ids give it administrator rights (by their RoleTypeId).
r = imp.baseClient.request("post", f"{imp.baseClient.uri_API}/Tenants/{IMP_TENANT}/AuthorizationCodeClients",
                           data=json.dumps({"Name": "made by an imported admin", "RedirectUris": []}))
imp.baseClient.checkResponse(r, "imported admin creates a client")
check(r.status_code == 201, "imported admin role id keeps its rights")

print(f"ocs conformance (adh-sample-library-preview): {checks} checks passed")
