ALTER TABLE users DROP COLUMN profile;
DROP TABLE tenant_roles;
