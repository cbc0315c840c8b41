-- Every list in a text column is a JSON array (users' roles and credentials' roles were
-- comma-joined, credentials' scopes space-joined).
UPDATE users SET roles = CASE WHEN roles = '' THEN '[]' ELSE
    '["' || replace(replace(replace(roles, '\', '\\'), '"', '\"'), ',', '","') || '"]' END;
UPDATE credentials SET roles = CASE WHEN roles = '' THEN '[]' ELSE
    '["' || replace(replace(replace(roles, '\', '\\'), '"', '\"'), ',', '","') || '"]' END;
UPDATE credentials SET scopes = CASE WHEN scopes = '' THEN '[]' ELSE
    '["' || replace(replace(replace(scopes, '\', '\\'), '"', '\"'), ' ', '","') || '"]' END;
-- A grant's scopes: one array per scope, its name then its (Venafi) restrictions, e.g.
-- [["openid"],["certificate","manage","revoke"]]. The former form separated scopes with
-- spaces, the name from its restrictions with ':' and restrictions with ',', and escaped
-- those characters inside names as %20, %3A, %2C (and '%' as %25): split on the real
-- separators first (',' before the others, whose replacements hold commas), then unescape.
UPDATE grants SET scopes = CASE WHEN scopes = '' THEN '[]' ELSE
    '[["' || replace(replace(replace(replace(replace(replace(replace(replace(replace(
        scopes, '\', '\\'), '"', '\"'), ',', '","'), ':', '","'), ' ', '"],["'),
        '%2C', ','), '%3A', ':'), '%20', ' '), '%25', '%') || '"]]' END;
