-- The authorization engine: grants born from a vendor's own authorization-code flow.
-- Custom authorization servers (Okta's `default` and the org server need no row).
CREATE TABLE authorization_servers (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    audience TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- RS256 signing keys of each authorization server: one 'active', at most one 'next'
-- (published before it signs), 'expired' ones kept in the JWKS until dropped.
CREATE TABLE signing_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    kid TEXT NOT NULL,
    status TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    modulus TEXT NOT NULL,
    exponent TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, server_id, kid)
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (tenant_id, server_id, status)
    WHERE status IN ('active', 'next');

-- Sign-in sessions (cookie) and one-time session tokens, by the digest of their secret.
CREATE TABLE login_sessions (
    digest BYTEA PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    auth_time TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX login_sessions_user ON login_sessions (user_id);

-- What one redemption of an authorization code issued: its access tokens (JWTs whose jti
-- names the family) and refresh tokens. Revoking the grant revokes the family.
CREATE TABLE token_families (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    grant_id TEXT REFERENCES grants(id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    auth_time TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX token_families_grant ON token_families (grant_id);
CREATE INDEX token_families_client ON token_families (tenant_id, client_id);

-- Authorization codes, single use: bound to client, redirect URI, PKCE challenge and user.
CREATE TABLE authorization_codes (
    digest BYTEA PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    grant_id TEXT REFERENCES grants(id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    nonce TEXT,
    scopes TEXT NOT NULL,
    auth_time TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    family_id TEXT
);

-- Refresh tokens by digest; rotation marks the old one rotated (usable for a short leeway).
CREATE TABLE refresh_tokens (
    digest BYTEA PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES token_families(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Access tokens revoked one by one (RFC 7009 with an access token), until they expire.
CREATE TABLE revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);

-- Clients: how they authenticate at the token endpoint, and whether users consent.
ALTER TABLE clients ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT 'client_secret_basic';
ALTER TABLE clients ADD COLUMN consent_required BOOLEAN NOT NULL DEFAULT FALSE;
