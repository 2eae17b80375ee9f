-- Every page shows the reader's unread count: keep the unread
-- notifications in an index of their own, so counting them never walks a
-- person's whole history.
CREATE INDEX notifications_unread ON notifications (user_id, incident_id) WHERE read_at IS NULL;
