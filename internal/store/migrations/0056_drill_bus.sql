-- Drills replayed through the pipeline (internal/drill, internal/pipeline):
-- a run's traffic is published on the bus's drills stream and detected by
-- the drill detector, which aggregates the signals into the run's alerts
-- as live detection aggregates alerts. {{TIME}} per engine.
--
-- The run: where its traffic begins (a simulated drill's first moment, or
-- a log file's first attack, set at its first signal), when all of it was
-- on the bus, and when the detector saw its last batch.
ALTER TABLE drill_runs ADD COLUMN traffic_origin {{TIME}};
ALTER TABLE drill_runs ADD COLUMN published_at {{TIME}};
ALTER TABLE drill_runs ADD COLUMN detected_at {{TIME}};
-- 1: started by a version that replays through the bus (only such a run's
-- traffic is published again when it did not all reach the bus; a run the
-- previous version started during a rolling upgrade was replayed whole).
ALTER TABLE drill_runs ADD COLUMN via_bus INTEGER NOT NULL DEFAULT 0;
-- Runs started before: replayed whole by the job, nothing to publish.
UPDATE drill_runs SET published_at = started_at, detected_at = started_at WHERE started_at IS NOT NULL;
-- A drill alert as a live one: its user, its aggregation key, its first
-- and last signal in the traffic's own time (first_seen and last_seen are
-- the room's: the run's start plus the traffic's time, scaled), and its
-- first events as evidence (JSON, at most alert.MaxEvidence).
ALTER TABLE drill_alerts ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE drill_alerts ADD COLUMN dedup_key TEXT NOT NULL DEFAULT '';
ALTER TABLE drill_alerts ADD COLUMN traffic_first {{TIME}};
ALTER TABLE drill_alerts ADD COLUMN traffic_last {{TIME}};
ALTER TABLE drill_alerts ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
CREATE INDEX drill_alerts_key ON drill_alerts (run_id, dedup_key);
