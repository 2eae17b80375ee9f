-- The inbox tells of findings too: an entry is about an incident or a
-- finding (internal/notify).
ALTER TABLE notifications ALTER COLUMN incident_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN finding_id BIGINT REFERENCES findings(id);
