ALTER TABLE users ADD COLUMN okta_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN universal TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN universal_folded TEXT NOT NULL DEFAULT '';
UPDATE users SET okta_id = COALESCE((SELECT alias FROM user_aliases a WHERE a.user_id = users.id AND a.vendor = 'okta'), '');
UPDATE users SET universal = COALESCE((SELECT alias FROM user_aliases a WHERE a.user_id = users.id AND a.vendor = 'venafi'), '');
UPDATE users SET universal_folded = lower(universal);
CREATE UNIQUE INDEX users_tenant_okta_id ON users (tenant_id, okta_id);
CREATE UNIQUE INDEX users_tenant_universal ON users (tenant_id, universal_folded);
DROP TABLE user_aliases;
