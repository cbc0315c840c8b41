ALTER TABLE clients DROP COLUMN grant_types;
ALTER TABLE users DROP COLUMN profile;
DROP TABLE tenant_roles;
