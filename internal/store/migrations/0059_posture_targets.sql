-- Response targets of a posture (waspada, siaga, awas), per severity, as
-- national administrators set them: an incident detected while its region
-- was in that posture is held to them. A severity without a row keeps the
-- ordinary targets (response_targets).
CREATE TABLE posture_response_targets (
    posture              TEXT NOT NULL,
    severity             TEXT NOT NULL,
    first_response_min   BIGINT NOT NULL,
    containment_min      BIGINT NOT NULL,
    updated_by           BIGINT REFERENCES users(id),
    updated_at           {{TIME}} NOT NULL,
    PRIMARY KEY (posture, severity)
);
