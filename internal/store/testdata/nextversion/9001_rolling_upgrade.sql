-- Test-only (build tag garda_upgrade_test): the rolling-upgrade test's next
-- version adds a column and an index, the additive way: a nullable column
-- with no default to fill, so instances of the previous version, whose
-- queries name their columns, go on reading and writing the table.
ALTER TABLE incidents ADD COLUMN upgrade_note TEXT;
CREATE INDEX incidents_upgrade_note ON incidents (upgrade_note);
