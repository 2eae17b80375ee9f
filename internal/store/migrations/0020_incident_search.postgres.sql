-- The incident queue's search index (internal/incident/search.go): one row
-- per incident holding the incident's id, title, description, observables
-- and comments as one text folded in Go (lower case, no diacritics), so
-- SQLite and PostgreSQL search the same letters, and that text's trigrams
-- as a tsvector (built in, no extension) under a GIN index: a search word's
-- trigrams find the candidates, strpos on the text confirms the substring,
-- as SQLite's FTS5 trigram table does. Rows are written in the transaction
-- of every change to that text; incidents that have none yet (every one,
-- the first time) are indexed at start (incident.IndexMissing).
CREATE TABLE incident_search (
    incident_id  BIGINT PRIMARY KEY REFERENCES incidents(id),
    body         TEXT NOT NULL,
    grams        TSVECTOR NOT NULL
);
CREATE INDEX incident_search_grams ON incident_search USING gin (grams);
