-- The patrol's focus words of an entered phase (JSON list), as the shipped
-- phases carry them; and the focus words a patrol item's text contained
-- when it was first saved (JSON list, '[]' none), which the patrol queue
-- filters on.
ALTER TABLE election_phases ADD COLUMN focus TEXT NOT NULL DEFAULT '[]';
ALTER TABLE patrol_items ADD COLUMN focus TEXT NOT NULL DEFAULT '[]';
CREATE INDEX patrol_items_focus ON patrol_items (id) WHERE focus <> '[]';
