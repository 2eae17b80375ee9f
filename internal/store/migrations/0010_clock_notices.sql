-- Which missed clocks have been told, so each is told once.
CREATE TABLE clock_notices (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    clock        TEXT NOT NULL,
    notified_at  {{TIME}} NOT NULL,
    PRIMARY KEY (incident_id, clock)
);
