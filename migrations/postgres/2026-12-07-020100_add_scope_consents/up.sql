-- Scope names are opaque (`api:read`, `https://api.example.com/orders.read`): the stored scope
-- list escapes `%`, space, `:` and `,` inside names and restrictions, so a `:` no longer
-- means "Venafi restriction follows" unless the Venafi face put it there. Existing rows only
-- need their `%` escaped.
UPDATE grants SET scopes = replace(scopes, '%', '%25');

-- Each (grant, scope) is one Okta consent grant with its own id. A grant with one scope keeps
-- its own id for that scope (imported Okta grants are single-scope: the id captured is the
-- id served); the scopes of a multi-scope grant get new `oag…` ids.
ALTER TABLE grant_scopes ADD COLUMN consent_id TEXT NOT NULL DEFAULT '';
UPDATE grant_scopes SET consent_id = CASE
    WHEN (SELECT COUNT(*) FROM grant_scopes g2 WHERE g2.grant_id = grant_scopes.grant_id) = 1
        THEN grant_id
    ELSE 'oag' || substr(md5(random()::text || grant_id || scope), 1, 17)
END;
ALTER TABLE grant_scopes ALTER COLUMN consent_id DROP DEFAULT;
CREATE UNIQUE INDEX grant_scopes_consent ON grant_scopes (consent_id);
