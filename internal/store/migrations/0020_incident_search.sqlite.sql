-- The incident queue's search index (internal/incident/search.go): one row
-- per incident, its rowid the incident's id, holding the incident's id,
-- title, description, observables and comments as one text folded in Go
-- (lower case, no diacritics), so SQLite and PostgreSQL search the same
-- letters. The trigram tokenizer finds any substring of three letters or
-- more, as the LIKE scan it replaces did; case_sensitive 1 because the text
-- is folded already. Rows are written in the transaction of every change to
-- that text; incidents that have none yet (every one, the first time) are
-- indexed at start (incident.IndexMissing).
CREATE VIRTUAL TABLE incident_search USING fts5(body, tokenize = 'trigram case_sensitive 1');
