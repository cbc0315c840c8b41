-- Every list in a text column is a JSON array (users' roles and credentials' roles were
-- comma-joined, credentials' scopes space-joined).
UPDATE users SET roles = CASE WHEN roles = '' THEN '[]' ELSE
    '["' || replace(replace(replace(roles, '\', '\\'), '"', '\"'), ',', '","') || '"]' END;
UPDATE credentials SET roles = CASE WHEN roles = '' THEN '[]' ELSE
    '["' || replace(replace(replace(roles, '\', '\\'), '"', '\"'), ',', '","') || '"]' END;
UPDATE credentials SET scopes = CASE WHEN scopes = '' THEN '[]' ELSE
    '["' || replace(replace(replace(scopes, '\', '\\'), '"', '\"'), ' ', '","') || '"]' END;
