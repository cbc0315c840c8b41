UPDATE users SET roles = COALESCE((SELECT group_concat(value, ',') FROM json_each(users.roles)), '');
UPDATE credentials SET roles = COALESCE((SELECT group_concat(value, ',') FROM json_each(credentials.roles)), '');
UPDATE credentials SET scopes = COALESCE((SELECT group_concat(value, ' ') FROM json_each(credentials.scopes)), '');
UPDATE grants SET scopes = COALESCE((
    SELECT group_concat((
        SELECT group_concat(
            CASE WHEN p.key = 0 THEN '' WHEN p.key = 1 THEN ':' ELSE ',' END ||
            replace(replace(replace(replace(p.value, '%', '%25'), ' ', '%20'), ':', '%3A'), ',', '%2C'),
            '')
        FROM json_each(s.value) p), ' ')
    FROM json_each(grants.scopes) s), '');
