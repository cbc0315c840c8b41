-- One row per tag of a client: tag filters run in SQL (on an index), not over decoded lists.
-- clients.tags keeps the list as given (its order is what the APIs show).
CREATE TABLE client_tags (
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, tag),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX client_tags_tag ON client_tags (tenant_id, tag, client_id);
INSERT OR IGNORE INTO client_tags (tenant_id, client_id, tag)
    SELECT c.tenant_id, c.id, j.value FROM clients c, json_each(c.tags) j;
