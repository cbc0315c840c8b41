-- ocs-compat: roles of client-credential clients (JSON list of role ids, like the other
-- list columns; the default only fills rows that existed before this migration), and the
-- indexes the OCS list/count and token endpoints use.
ALTER TABLE clients ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
CREATE INDEX clients_tenant_kind_created ON clients (tenant_id, kind, created_at, id);
CREATE INDEX credentials_client_kind ON credentials (client_id, kind);
