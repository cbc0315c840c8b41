-- Portable schema: Text, Integer, BigInt, Bool, Binary, Timestamp (UTC, no zone).
-- Every value is set by the application; no column relies on a database default.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    okta_id TEXT NOT NULL,
    login TEXT NOT NULL,
    universal TEXT NOT NULL,
    universal_folded TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_tenant_okta_id ON users (tenant_id, okta_id);
CREATE UNIQUE INDEX users_tenant_login ON users (tenant_id, login);
CREATE UNIQUE INDEX users_tenant_universal ON users (tenant_id, universal_folded);

CREATE TABLE clients (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    access_token_lifetime INTEGER NOT NULL,
    refresh_token_lifetime INTEGER NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    client_uri TEXT,
    logo_uri TEXT,
    tags TEXT NOT NULL,
    allowed_cors_origins TEXT NOT NULL,
    allow_offline_access BOOLEAN NOT NULL,
    allowed_scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX clients_tenant_created ON clients (tenant_id, created_at, id);

CREATE TABLE scopes (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    restrictions TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE grants (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    grant_type TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    issuer TEXT NOT NULL,
    scopes TEXT NOT NULL,
    attributes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    access_issued_at TIMESTAMP,
    valid_for BIGINT,
    created_by_id TEXT,
    created_by_type TEXT,
    revoked_at TIMESTAMP,
    revoked_by TEXT,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX grants_user_created ON grants (tenant_id, user_id, created_at, id);
CREATE INDEX grants_client_created ON grants (tenant_id, client_id, created_at, id);
CREATE INDEX grants_user_client_created ON grants (tenant_id, user_id, client_id, created_at, id);

CREATE TABLE grant_scopes (
    grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    PRIMARY KEY (grant_id, scope)
);
CREATE INDEX grant_scopes_scope ON grant_scopes (scope, grant_id);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT,
    grant_id TEXT REFERENCES grants(id) ON DELETE CASCADE,
    digest BLOB,
    password_hash TEXT,
    scopes TEXT NOT NULL,
    roles TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX credentials_digest ON credentials (digest);
CREATE UNIQUE INDEX credentials_tenant_kind_name ON credentials (tenant_id, kind, name);
CREATE INDEX credentials_grant ON credentials (grant_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    affected BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at, id);
