-- A tenant's roles, each with its own id and the role type that decides what it may do
-- (OCS: a tenant role's Id may differ from its RoleTypeId). Users' and clients' role lists
-- hold these ids; an id not in this table is read as a role type (the built-in roles, whose
-- id equals their type, and every role stored before this table existed).
CREATE TABLE tenant_roles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    role_type TEXT NOT NULL,
    scope INTEGER NOT NULL,
    community_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- A user's profile as its directory keeps it (given name, surname, e-mail, contact details,
-- external id, identity provider): a JSON object, NULL when only the login and display name
-- are known.
ALTER TABLE users ADD COLUMN profile TEXT;
-- The grant types a client may use (canonical names, JSON list; empty = not recorded).
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT '[]';
