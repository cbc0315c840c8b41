UPDATE users SET roles = COALESCE((SELECT string_agg(value, ',') FROM json_array_elements_text(users.roles::json)), '');
UPDATE credentials SET roles = COALESCE((SELECT string_agg(value, ',') FROM json_array_elements_text(credentials.roles::json)), '');
UPDATE credentials SET scopes = COALESCE((SELECT string_agg(value, ' ') FROM json_array_elements_text(credentials.scopes::json)), '');
