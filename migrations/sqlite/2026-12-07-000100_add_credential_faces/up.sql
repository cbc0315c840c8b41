-- Which gateways (faces) a credential was made for: a JSON list of entries such as "okta",
-- "venafi", "ocs", "pingfed:<PCV name>" or "pingfed" (a user of whichever PCV is configured).
-- Rows made before this migration get what their kind has been used for (the same rule as
-- grant-core's model::default_faces); the column default only serves this ALTER.
ALTER TABLE credentials ADD COLUMN faces TEXT NOT NULL DEFAULT '[]';
UPDATE credentials SET faces = CASE
    WHEN kind = 'api_token' THEN '["okta"]'
    WHEN kind = 'refresh_token' THEN '["venafi"]'
    WHEN kind = 'bearer_token' AND grant_id IS NOT NULL THEN '["venafi"]'
    WHEN kind = 'bearer_token' AND (' ' || scopes || ' ') LIKE '% ocsapi %' THEN '["ocs"]'
    WHEN kind = 'bearer_token' THEN '["okta"]'
    WHEN kind = 'client_secret' THEN '["ocs"]'
    WHEN kind = 'password' AND user_id IS NOT NULL THEN '["venafi"]'
    WHEN kind = 'password' THEN '["pingfed"]'
    ELSE '[]'
END;
