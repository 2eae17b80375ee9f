-- The election systems an asset belongs to (Sirekap, Sipol, Silon, situs
-- KPU, ...), as the calendar's phases name the systems that matter: a
-- provincial Sirekap server is not named "Sirekap" but is one.
ALTER TABLE assets ADD COLUMN systems TEXT NOT NULL DEFAULT '[]';
-- An alert on an asset that matters in the phase running when it was
-- raised (in its region's time zone) rises in priority: priority is the
-- severity the queue ranks it at ('' = its severity), priority_reason says
-- why ("fase Rekapitulasi ...: Sirekap kritis").
ALTER TABLE alerts ADD COLUMN priority TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN priority_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_phase_priority ON alerts (id) WHERE priority_reason <> '';
