#!/usr/bin/env python3
"""Writes a grantctl export document with a large data set for the benchmarks.

Tenant `default`; USERS users (user 0 is alice: login `alice`, Okta id 00uA1iceBench0000001,
universal local:{<guid>}); CLIENTS clients; GRANTS grants spread round-robin over the users
(alice holds GRANTS/USERS of them), ids in Okta form, one Okta scope each.

With --ocs (for scripts/bench-ocs.sh): tenant --tenant, clients with GUID ids, grants of
type authorization_code with scopes openid and ocsapi, each user's grants spread over distinct
clients (client (i * 7919) mod C).

usage: bench_data.py OUT.json [--grants N] [--users U] [--clients C] [--tenant T] [--ocs]
"""
import argparse
import json
import uuid

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--grants", type=int, default=1_000_000)
p.add_argument("--users", type=int, default=1000)
p.add_argument("--clients", type=int, default=10)
p.add_argument("--tenant", default="default")
p.add_argument("--ocs", action="store_true")
a = p.parse_args()
TENANT = a.tenant

T0 = "2024-01-01T00:00:00.000Z"


def ts(i):
    # one grant per millisecond from 2024-01-01: distinct, ordered creation times
    s, ms = divmod(i, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    return f"2024-{1 + d // 28:02d}-{1 + d % 28:02d}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


users = []
for u in range(a.users):
    gid = str(uuid.UUID(int=u + 1))
    users.append({
        "id": gid, "tenant_id": TENANT,
        "okta_id": "00uA1iceBench0000001" if u == 0 else f"00uBench{u:012d}",
        "login": "alice" if u == 0 else f"user{u}",
        "universal": f"local:{{{gid}}}", "display_name": "Alice Bench" if u == 0 else f"User {u}",
        "roles": [], "created_at": T0,
    })
clients = [{
    "tenant_id": TENANT, "id": f"ac000000-0000-4000-8000-{c:012x}" if a.ocs else f"0oaBenchClient{c:06d}",
    "kind": "authorization_code",
    "name": f"Bench client {c}", "enabled": True, "access_token_lifetime": 3600,
    "refresh_token_lifetime": 0, "redirect_uris": ["https://app.example.test/cb"],
    "post_logout_redirect_uris": [], "client_uri": None, "logo_uri": None, "tags": [],
    "allowed_cors_origins": [], "allow_offline_access": False, "allowed_scopes": [],
    "created_at": T0, "updated_at": T0,
} for c in range(a.clients)]

SCOPES = '[{"name":"openid"},{"name":"ocsapi"}]' if a.ocs else '[{"name":"okta.users.read"}]'

with open(a.out, "w") as f:
    f.write('{"format":1,"tenants":[{"id":"%s","name":"Bench org","created_at":"%s"}],' % (TENANT, T0))
    f.write('"users":' + json.dumps(users) + ',"clients":' + json.dumps(clients) + ',"scopes":[],"grants":[')
    for i in range(a.grants):
        u = users[i % a.users]
        t = ts(i)
        client = clients[(i * 7919) % a.clients if a.ocs else i % a.clients]["id"]
        g = ('{"id":"%s","tenant_id":"%s","user_id":"%s","client_id":"%s",'
             '"grant_type":"%s","status":"active","source":"end_user","issuer":"https://bench.example",'
             '"scopes":%s,"attributes":[],"created_at":"%s","updated_at":"%s",'
             '"expires_at":null,"access_issued_at":null,"valid_for":null,"created_by":null,'
             '"revoked_at":null,"revoked_by":null}') % (
            f"96a00000-0000-4000-8000-{i:012x}" if a.ocs else "oag%017d" % i, TENANT, u["id"], client,
            "authorization_code" if a.ocs else "consent", SCOPES, t, t)
        f.write(("," if i else "") + g)
    f.write('],"credentials":[],"audit":[]}\n')
