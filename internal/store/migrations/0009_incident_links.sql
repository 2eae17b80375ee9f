-- Incidents that belong together: one merged into another as its
-- duplicate, or two related ones.
CREATE TABLE incident_links (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    other_id     BIGINT NOT NULL REFERENCES incidents(id),
    relation     TEXT NOT NULL,   -- duplicate_of, duplicated_by, related
    created_at   {{TIME}} NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (incident_id, other_id)
);
