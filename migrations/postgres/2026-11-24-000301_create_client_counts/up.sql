-- How many clients of each kind a tenant holds, kept by grant-core in the same transaction as
-- every client insert and delete: list totals and the per-tenant client limit read one row
-- instead of counting up to 50,000 index entries per request.
CREATE TABLE client_counts (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);
INSERT INTO client_counts (tenant_id, kind, n)
    SELECT tenant_id, kind, COUNT(*) FROM clients GROUP BY tenant_id, kind;
