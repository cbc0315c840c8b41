UPDATE users SET roles = COALESCE((SELECT group_concat(value, ',') FROM json_each(users.roles)), '');
UPDATE credentials SET roles = COALESCE((SELECT group_concat(value, ',') FROM json_each(credentials.roles)), '');
UPDATE credentials SET scopes = COALESCE((SELECT group_concat(value, ' ') FROM json_each(credentials.scopes)), '');
