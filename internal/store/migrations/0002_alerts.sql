-- Alerts: what detection raised, aggregated per scenario, source and asset.

CREATE TABLE alerts (
    id             {{ID}},
    scenario       TEXT NOT NULL,
    title          TEXT NOT NULL,
    severity       TEXT NOT NULL,
    technique      TEXT NOT NULL DEFAULT '',
    source_ip      TEXT NOT NULL DEFAULT '',
    user_name      TEXT NOT NULL DEFAULT '',
    asset_id       BIGINT REFERENCES assets(id),
    region         TEXT NOT NULL DEFAULT '',
    owner_org_id   BIGINT NOT NULL REFERENCES orgs(id),
    tlp            TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_reason  TEXT NOT NULL DEFAULT '',
    rule_ids       TEXT NOT NULL DEFAULT '[]',
    event_count    BIGINT NOT NULL,
    first_seen     {{TIME}} NOT NULL,
    last_seen      {{TIME}} NOT NULL,
    dedup_key      TEXT NOT NULL,
    created_at     {{TIME}} NOT NULL,
    updated_at     {{TIME}} NOT NULL
);
CREATE INDEX alerts_dedup ON alerts (dedup_key, last_seen);
CREATE INDEX alerts_region ON alerts (region, id);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_owner ON alerts (owner_org_id, id);

-- The first events of each alert, as ECS field maps.
CREATE TABLE alert_evidence (
    alert_id   BIGINT NOT NULL REFERENCES alerts(id),
    seq        INTEGER NOT NULL,
    at         {{TIME}} NOT NULL,
    line       BIGINT NOT NULL DEFAULT 0,
    fields     TEXT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);
