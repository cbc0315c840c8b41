-- A disabled tenant's credentials stop authenticating at every gateway (grantctl tenant
-- disable); re-enabling restores them. Values: active, disabled.
ALTER TABLE tenants ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
