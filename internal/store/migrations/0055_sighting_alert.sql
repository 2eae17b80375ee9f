-- The alert page lists the sightings that name it (intel.AlertSightings):
-- sightings raised by detection carry their alert (match.SightAlerts).
CREATE INDEX indicator_sightings_alert ON indicator_sightings (alert_id);
