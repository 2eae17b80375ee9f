-- Leases: work that one instance must do at a time (a partition of the
-- detection stream, a scheduled scan) is held by a lease with an expiry.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  {{TIME}} NOT NULL
);
