DROP INDEX grant_scopes_consent;
ALTER TABLE grant_scopes DROP COLUMN consent_id;
UPDATE grants SET scopes = replace(scopes, '%25', '%');
