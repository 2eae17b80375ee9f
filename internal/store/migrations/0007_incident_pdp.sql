-- UU PDP: an incident marked as a personal-data breach owes a notification
-- within 3x24 hours, with the number of data subjects and the categories.
CREATE TABLE incident_pdp (
    incident_id      BIGINT PRIMARY KEY REFERENCES incidents(id),
    data_subjects    BIGINT NOT NULL,
    data_categories  TEXT NOT NULL,
    marked_at        {{TIME}} NOT NULL,
    marked_by        TEXT NOT NULL,
    notified_at      {{TIME}},
    notified_by      TEXT NOT NULL DEFAULT ''
);
