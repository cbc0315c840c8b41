-- Rate-limit windows shared by the replicas of a gateway ([vendor.rate_limit] store =
-- "database"): one row per tenant, bucket (an endpoint family) and fixed window start (unix
-- seconds), counted with one INSERT … ON CONFLICT DO UPDATE … RETURNING per request. The
-- request that opens a window deletes the tenant's older ones.
-- UNLOGGED: a counter update writes no WAL (no flush per request); the table survives a
-- gateway or a clean PostgreSQL restart, and is emptied only by PostgreSQL's crash recovery
-- (every budget starts over). Not copied to streaming replicas: counters live on the primary.
CREATE UNLOGGED TABLE rate_limit_windows (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, bucket, window_start)
);
