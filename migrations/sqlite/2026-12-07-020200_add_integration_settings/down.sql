ALTER TABLE clients DROP COLUMN renewable;
ALTER TABLE clients DROP COLUMN description;
ALTER TABLE clients DROP COLUMN vendor;
ALTER TABLE clients DROP COLUMN allowed_identities;
