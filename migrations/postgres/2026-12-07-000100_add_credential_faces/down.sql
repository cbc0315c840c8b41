ALTER TABLE credentials DROP COLUMN faces;
