-- The identifiers a vendor shows for a user (Okta's `00u…` id, Venafi's prefixed universal)
-- are rows keyed by vendor, not columns of users: another vendor adds rows.
-- `lookup_key` is the alias as compared: verbatim, or lower-cased where the vendor compares
-- case-insensitively (Venafi).
CREATE TABLE user_aliases (
    tenant_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    lookup_key TEXT NOT NULL,
    alias TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, vendor, lookup_key)
);
CREATE INDEX user_aliases_user ON user_aliases (user_id, vendor);
INSERT INTO user_aliases (tenant_id, vendor, lookup_key, alias, user_id)
    SELECT tenant_id, 'okta', okta_id, okta_id, id FROM users WHERE okta_id <> '';
INSERT INTO user_aliases (tenant_id, vendor, lookup_key, alias, user_id)
    SELECT tenant_id, 'venafi', universal_folded, universal, id FROM users WHERE universal <> '';
DROP INDEX users_tenant_okta_id;
DROP INDEX users_tenant_universal;
ALTER TABLE users DROP COLUMN okta_id;
ALTER TABLE users DROP COLUMN universal;
ALTER TABLE users DROP COLUMN universal_folded;
