-- The responses that back a finding, kept as evidence (issue 11): the
-- request/response pair a check matched, stored by package evidence under
-- <data dir>/evidence/finding/<finding id>/<sha256>, with the scan that
-- captured it; the same bytes twice on one finding are one file. Promoting
-- the finding copies them to the incident's evidence. (Numbered 0016, it
-- runs before 0021/0022 on a fresh database: no foreign key to scans or
-- findings, which do not exist yet then; the finding package writes both.)
CREATE TABLE finding_evidence (
    id            {{ID}},
    finding_id    BIGINT NOT NULL,
    scan_id       BIGINT,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    name          TEXT NOT NULL,
    captured_at   {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX finding_evidence_file ON finding_evidence (finding_id, sha256);

-- Chain of custody: the capture by the scan, then every download.
CREATE TABLE finding_evidence_custody (
    id           {{ID}},
    evidence_id  BIGINT NOT NULL REFERENCES finding_evidence(id),
    at           {{TIME}} NOT NULL,
    actor_id     BIGINT REFERENCES users(id),
    actor        TEXT NOT NULL,
    actor_org    TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,            -- captured, downloaded
    addr         TEXT NOT NULL DEFAULT ''  -- the client's address
);
CREATE INDEX finding_evidence_custody_evidence ON finding_evidence_custody (evidence_id, id);
