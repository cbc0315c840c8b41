DROP TABLE client_tags;
