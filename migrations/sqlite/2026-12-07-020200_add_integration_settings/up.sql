-- Venafi API integration settings: the identities allowed to authorize (JSON list of
-- prefixed universals, empty = anyone), the integration's vendor and description, and
-- whether its grants may be renewed with a refresh token.
ALTER TABLE clients ADD COLUMN allowed_identities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN vendor TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN renewable BOOLEAN NOT NULL DEFAULT 1;
