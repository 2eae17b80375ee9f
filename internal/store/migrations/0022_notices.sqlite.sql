-- The inbox tells of findings too: an entry is about an incident or a
-- finding (internal/notify). SQLite cannot drop a NOT NULL, so the table
-- is rebuilt with its rows and indexes.
CREATE TABLE notifications_any (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    incident_id  BIGINT REFERENCES incidents(id),
    finding_id   BIGINT REFERENCES findings(id),
    event        TEXT NOT NULL,
    actor        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    read_at      TIMESTAMP
);
INSERT INTO notifications_any (id, user_id, incident_id, event, actor, created_at, read_at)
    SELECT id, user_id, incident_id, event, actor, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_any RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, incident_id) WHERE read_at IS NULL;
