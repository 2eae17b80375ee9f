-- Response targets per severity (first response and containment), as the
-- task force sets them; a severity without a row keeps incident.DefaultTargets.
CREATE TABLE response_targets (
    severity             TEXT PRIMARY KEY,
    first_response_min   BIGINT NOT NULL,
    containment_min      BIGINT NOT NULL,
    updated_by           BIGINT REFERENCES users(id),
    updated_at           {{TIME}} NOT NULL
);
