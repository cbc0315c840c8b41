ALTER TABLE clients DROP COLUMN consent_required;
ALTER TABLE clients DROP COLUMN token_endpoint_auth_method;
DROP TABLE revoked_access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE authorization_codes;
DROP TABLE token_families;
DROP TABLE login_sessions;
DROP TABLE signing_keys;
DROP TABLE authorization_servers;
