-- The wall's deadlines (incident.PendingFor) look for the open incidents
-- detected first, per severity: their clocks fall due first. This partial
-- index holds the open rows in that order, so each look walks a few
-- entries instead of sorting every open incident. The WHERE clause must
-- stay word for word PendingFor's.
CREATE INDEX incidents_open_detected ON incidents (severity, detected_at) WHERE status NOT IN ('resolved', 'closed');
