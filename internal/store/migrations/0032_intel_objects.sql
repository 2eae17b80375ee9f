-- Other STIX objects Garda keeps (internal/intel): vulnerabilities from
-- findings, attack patterns from rules, and what an import brings that is
-- not an indicator (reports, relationships, identities, ...), as the JSON
-- they came in. Shared records like indicators (kind 'intel_object').
CREATE TABLE intel_objects (
    id            {{ID}},
    stix_id       TEXT NOT NULL,
    type          TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,              -- the STIX object, JSON
    tlp           TEXT NOT NULL,
    region        TEXT NOT NULL DEFAULT '',
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id),
    created_at    {{TIME}} NOT NULL,
    modified_at   {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX intel_objects_stix ON intel_objects (owner_org_id, stix_id);
CREATE INDEX intel_objects_type ON intel_objects (type, id);
