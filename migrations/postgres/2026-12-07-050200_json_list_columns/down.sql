UPDATE users SET roles = COALESCE((SELECT string_agg(value, ',') FROM json_array_elements_text(users.roles::json)), '');
UPDATE credentials SET roles = COALESCE((SELECT string_agg(value, ',') FROM json_array_elements_text(credentials.roles::json)), '');
UPDATE credentials SET scopes = COALESCE((SELECT string_agg(value, ' ') FROM json_array_elements_text(credentials.scopes::json)), '');
UPDATE grants SET scopes = COALESCE((
    SELECT string_agg((
        SELECT string_agg(
            CASE WHEN p.i = 1 THEN '' WHEN p.i = 2 THEN ':' ELSE ',' END ||
            replace(replace(replace(replace(p.v, '%', '%25'), ' ', '%20'), ':', '%3A'), ',', '%2C'),
            '' ORDER BY p.i)
        FROM json_array_elements_text(s.v) WITH ORDINALITY AS p(v, i)), ' ' ORDER BY s.i)
    FROM json_array_elements(grants.scopes::json) WITH ORDINALITY AS s(v, i)), '');
