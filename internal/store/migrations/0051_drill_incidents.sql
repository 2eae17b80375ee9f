-- Drill incidents (internal/drill, internal/incident): a room promotes a
-- drill's alert to an incident and works it through the incident desk as
-- a real one, escalation included. The incident is marked with its run and
-- left out of every real list, count, map, report and notification; only
-- those who read the run's room read it. A drill alert remembers the
-- incident it was promoted to.
ALTER TABLE incidents ADD COLUMN drill_run_id BIGINT REFERENCES drill_runs(id);
CREATE INDEX incidents_drill_run ON incidents (drill_run_id) WHERE drill_run_id IS NOT NULL;
ALTER TABLE drill_alerts ADD COLUMN incident_id BIGINT REFERENCES incidents(id);
-- When a replayed drill's alert is raised (the traffic's own timing,
-- scaled); until then the room does not see it.
ALTER TABLE drill_alerts ADD COLUMN raised_at {{TIME}};
-- How fast a run replays its traffic: 1 is the traffic's own pace, 10 ten
-- times faster; 0 raises every alert when the run starts.
ALTER TABLE drill_runs ADD COLUMN speed INTEGER NOT NULL DEFAULT 0;
-- A regency's late shift report still missing goes further up: flagged
-- to its province first (late_flagged_at), then to the national room;
-- the moment is kept so it happens once.
ALTER TABLE shift_reports ADD COLUMN late_escalated_at {{TIME}};
