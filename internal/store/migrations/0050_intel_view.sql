-- The indicator's page and TAXII (internal/intel): sightings counted per
-- day (WIB) for the chart of sightings over time, and when a sighting row
-- last changed, so TAXII serves sightings in the order they were added
-- (NULL on rows from before: their last_seen stands in).
CREATE TABLE indicator_sighting_days (
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    day           TEXT NOT NULL,              -- YYYY-MM-DD in WIB (UTC+7)
    count         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (indicator_id, day)
);
ALTER TABLE indicator_sightings ADD COLUMN modified_at {{TIME}};
CREATE INDEX indicator_sightings_modified ON indicator_sightings (modified_at, id);
