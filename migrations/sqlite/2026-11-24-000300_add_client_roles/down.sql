DROP INDEX credentials_client_kind;
DROP INDEX clients_tenant_kind_created;
ALTER TABLE clients DROP COLUMN roles;
