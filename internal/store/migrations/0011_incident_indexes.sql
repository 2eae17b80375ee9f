-- The incident queue filters by severity, newest first.
CREATE INDEX incidents_severity ON incidents (severity, id);
