DROP TABLE audit_log;
DROP TABLE credentials;
DROP TABLE grant_scopes;
DROP TABLE grants;
DROP TABLE scopes;
DROP TABLE clients;
DROP TABLE users;
DROP TABLE tenants;
