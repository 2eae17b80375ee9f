-- A provincial reader's map counts open alerts and incidents inside its
-- scope (policy.CountByTLP: region LIKE '32%' and then exactly '32' or
-- '32.…'). An ordinary index on region serves LIKE only under the C
-- collation; in a database created with any other (C.UTF-8, en_US.UTF-8:
-- the usual ones) each count read the open rows of its TLP nationwide and
-- kept a thirty-eighth of them, from the table. text_pattern_ops compares
-- bytes whatever the collation, so here the prefix is a range, and these
-- partial indexes of the open rows hold every column the counts read (id
-- to meet the reader's participation rows), so the counts never touch the
-- tables. Their WHERE clauses must stay word for word those of
-- incidents_open and alerts_open (migration 0013).
CREATE INDEX incidents_open_region ON incidents (region text_pattern_ops, tlp, owner_org_id, severity) INCLUDE (id) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX alerts_open_region ON alerts (region text_pattern_ops, tlp, owner_org_id, severity) INCLUDE (id) WHERE status IN ('new', 'acknowledged');
