-- Incidents: what a CSIRT works, across agencies and regions. Shared
-- records (owner, region, TLP, participants in record_orgs/record_users
-- under kind 'incident'). {{ID}} and {{TIME}} are filled in per engine.

-- The per-year sequence behind human ids (INC-2024-000001). Its row is
-- upserted inside the create transaction, so its lock serialises creators.
CREATE TABLE incident_seq (
    year  INTEGER PRIMARY KEY,
    last  BIGINT NOT NULL
);

CREATE TABLE incidents (
    id                 {{ID}},
    human_id           TEXT NOT NULL,
    year               INTEGER NOT NULL,
    seq                BIGINT NOT NULL,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    category           TEXT NOT NULL,            -- RSIT top-level class
    type               TEXT NOT NULL DEFAULT '', -- free incident type
    severity           TEXT NOT NULL,            -- low, medium, high, critical
    tlp                TEXT NOT NULL,
    pap                TEXT NOT NULL,            -- CLEAR, GREEN, AMBER, RED
    region             TEXT NOT NULL DEFAULT '',
    owner_org_id       BIGINT NOT NULL REFERENCES orgs(id),
    assignee_id        BIGINT REFERENCES users(id),
    status             TEXT NOT NULL,
    resolution         TEXT NOT NULL DEFAULT '', -- true_positive, false_positive, duplicate
    escalation         TEXT NOT NULL DEFAULT '', -- '', province, national: how far it was escalated
    detected_at        {{TIME}} NOT NULL,
    reported_at        {{TIME}} NOT NULL,
    first_response_at  {{TIME}},
    contained_at       {{TIME}},
    resolved_at        {{TIME}},
    closed_at          {{TIME}},
    created_by         BIGINT REFERENCES users(id),
    created_at         {{TIME}} NOT NULL,
    updated_at         {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX incidents_human_id ON incidents (human_id);
CREATE UNIQUE INDEX incidents_year_seq ON incidents (year, seq);
CREATE INDEX incidents_region ON incidents (region, id);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_owner ON incidents (owner_org_id, id);
CREATE INDEX incidents_assignee ON incidents (assignee_id, id);

-- Affected assets.
CREATE TABLE incident_assets (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    asset_id     BIGINT NOT NULL REFERENCES assets(id),
    PRIMARY KEY (incident_id, asset_id)
);

-- Alerts promoted into an incident; an alert goes into one incident only.
CREATE TABLE incident_alerts (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    alert_id     BIGINT NOT NULL REFERENCES alerts(id),
    PRIMARY KEY (incident_id, alert_id)
);
CREATE UNIQUE INDEX incident_alerts_alert ON incident_alerts (alert_id);

-- The timeline: every change and comment, written in the change's
-- transaction. Ordered by id.
CREATE TABLE incident_timeline (
    id           {{ID}},
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    at           {{TIME}} NOT NULL,
    actor_id     BIGINT REFERENCES users(id),
    actor        TEXT NOT NULL,
    actor_org    TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,            -- created, updated, comment, escalated, participants
    body         TEXT NOT NULL DEFAULT '', -- a comment, or the reason of an escalation
    changes      TEXT NOT NULL DEFAULT '{}' -- JSON: field -> {"from":..,"to":..}, or what was added
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);
