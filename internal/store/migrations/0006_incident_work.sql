-- Work on an incident: tasks handed to organisations, observables
-- (indicators seen in the incident), evidence files with their chain of
-- custody. Every row belongs to one incident and is read through the
-- incident's visibility. {{ID}} and {{TIME}} are filled in per engine.

CREATE TABLE incident_tasks (
    id            {{ID}},
    incident_id   BIGINT NOT NULL REFERENCES incidents(id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id), -- the organisation that does it
    assignee_id   BIGINT REFERENCES users(id),
    due_at        {{TIME}},
    status        TEXT NOT NULL,                       -- open, done
    done_at       {{TIME}},
    done_by       BIGINT REFERENCES users(id),
    created_by    BIGINT REFERENCES users(id),
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);
CREATE INDEX incident_tasks_owner ON incident_tasks (owner_org_id, status);

-- Observables: ip, domain, url, hash, email, account, nik_count (a count
-- of affected NIKs, never NIK values). value is normalised, so the unique
-- index de-duplicates per incident.
CREATE TABLE incident_observables (
    id           {{ID}},
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    type         TEXT NOT NULL,
    value        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_by   BIGINT REFERENCES users(id),
    created_at   {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX incident_observables_value ON incident_observables (incident_id, type, value);

-- Evidence files: the bytes live on disk under
-- <data dir>/evidence/<incident id>/<sha256>; name is the sanitised
-- original name, shown only, never used as a path.
CREATE TABLE incident_evidence (
    id            {{ID}},
    incident_id   BIGINT NOT NULL REFERENCES incidents(id),
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    name          TEXT NOT NULL,
    uploaded_by   BIGINT REFERENCES users(id),
    uploaded_at   {{TIME}} NOT NULL
);
CREATE INDEX incident_evidence_incident ON incident_evidence (incident_id, id);

-- Chain of custody: every upload and download of an evidence file.
CREATE TABLE incident_evidence_custody (
    id           {{ID}},
    evidence_id  BIGINT NOT NULL REFERENCES incident_evidence(id),
    at           {{TIME}} NOT NULL,
    actor_id     BIGINT REFERENCES users(id),
    actor        TEXT NOT NULL,
    actor_org    TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,            -- uploaded, downloaded
    addr         TEXT NOT NULL DEFAULT ''  -- the client's address
);
CREATE INDEX incident_evidence_custody_evidence ON incident_evidence_custody (evidence_id, id);
