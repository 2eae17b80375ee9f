-- Findings: what scans saw, worked to closure (internal/finding). Shared
-- records (owner = the asset's owner, region = the asset's region, TLP,
-- participants in record_orgs/record_users under kind 'finding').

-- One finding per (asset, check, location).
CREATE TABLE findings (
    id                 {{ID}},
    asset_id           BIGINT NOT NULL REFERENCES assets(id),
    check_key          TEXT NOT NULL,            -- template id, ':' and the matcher name when named
    template_id        TEXT NOT NULL,
    location           TEXT NOT NULL,            -- matched URL, or host:port
    title              TEXT NOT NULL,
    severity           TEXT NOT NULL,            -- nuclei's: info, low, medium, high, critical, unknown
    mode               TEXT NOT NULL,            -- the mode of the scan that saw it: a passive rescan does not verify an active check
    status             TEXT NOT NULL,            -- open, mitigated, false_positive, risk_accepted
    tlp                TEXT NOT NULL,
    region             TEXT NOT NULL DEFAULT '',
    owner_org_id       BIGINT NOT NULL REFERENCES orgs(id),
    evidence           TEXT NOT NULL DEFAULT '{}', -- JSON: matched-at, extracted results, request and response (truncated)
    first_seen         {{TIME}} NOT NULL,
    last_seen          {{TIME}} NOT NULL,
    first_scan_id      BIGINT REFERENCES scans(id),
    last_scan_id       BIGINT REFERENCES scans(id),
    due_at             {{TIME}},                 -- remediation deadline, from first_seen by severity; NULL: none (info)
    mitigated_at       {{TIME}},
    mitigated_scan_id  BIGINT REFERENCES scans(id),
    reason             TEXT NOT NULL DEFAULT '', -- of a false positive or a risk acceptance
    approved_by        TEXT NOT NULL DEFAULT '', -- the coordinator who approved it
    accepted_until     {{TIME}},                 -- a risk acceptance's expiry
    reopened           INTEGER NOT NULL DEFAULT 0,
    incident_id        BIGINT REFERENCES incidents(id),
    created_at         {{TIME}} NOT NULL,
    updated_at         {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX findings_key ON findings (asset_id, check_key, location);
CREATE INDEX findings_region ON findings (region, id);
CREATE INDEX findings_status ON findings (status, id);
CREATE INDEX findings_owner ON findings (owner_org_id, id);
CREATE INDEX findings_due ON findings (status, due_at);

-- A finding's history, written in the change's transaction. Ordered by id.
CREATE TABLE finding_events (
    id          {{ID}},
    finding_id  BIGINT NOT NULL REFERENCES findings(id),
    at          {{TIME}} NOT NULL,
    actor       TEXT NOT NULL,
    actor_org   TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,            -- opened, mitigated, reopened, severity, false_positive, risk_accepted, risk_expired, promoted
    scan_id     BIGINT REFERENCES scans(id),
    body        TEXT NOT NULL DEFAULT '', -- a reason
    changes     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);

-- Clock notices become any record's (kind 'incident', 'finding'): every
-- deadline is one kind of clock, told once through the same notifier.
CREATE TABLE clock_notices_any (
    kind         TEXT NOT NULL,
    record_id    BIGINT NOT NULL,
    clock        TEXT NOT NULL,
    notified_at  {{TIME}} NOT NULL,
    PRIMARY KEY (kind, record_id, clock)
);
INSERT INTO clock_notices_any (kind, record_id, clock, notified_at)
    SELECT 'incident', incident_id, clock, notified_at FROM clock_notices;
DROP TABLE clock_notices;
ALTER TABLE clock_notices_any RENAME TO clock_notices;
