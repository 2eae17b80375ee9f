-- Indicators and their sightings (internal/intel). Shared records: owner,
-- region, TLP, participants in record_orgs/record_users under kind
-- 'indicator'. One value is one indicator per owner organisation (a
-- uniqueness across owners would tell a reader that someone, maybe at RED,
-- already holds the value).
CREATE TABLE indicators (
    id            {{ID}},
    stix_id       TEXT NOT NULL UNIQUE,       -- indicator--<uuid>, kept on import
    kind          TEXT NOT NULL,              -- ipv4-addr, ipv6-addr, domain-name, url, email-addr, file:SHA-256, user-agent, ...
    value         TEXT NOT NULL,              -- normalised
    pattern       TEXT NOT NULL,              -- the STIX 2.1 pattern
    name          TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    confidence    INTEGER NOT NULL DEFAULT 50, -- 0-100, STIX's scale
    valid_from    {{TIME}} NOT NULL,
    valid_until   {{TIME}},
    revoked       INTEGER NOT NULL DEFAULT 0,
    revoked_at    {{TIME}},
    detect        INTEGER NOT NULL DEFAULT 0, -- match against ingested lines
    block         INTEGER NOT NULL DEFAULT 0, -- become decisions
    techniques    TEXT NOT NULL DEFAULT '',   -- ATT&CK / CAPEC ids, comma-separated
    source        TEXT NOT NULL DEFAULT 'manual', -- manual, alert, incident, finding, import
    source_ref    TEXT NOT NULL DEFAULT '',   -- e.g. the alert id
    created_by    TEXT NOT NULL DEFAULT '',   -- STIX identity id of the creator (kept on import)
    tlp           TEXT NOT NULL,
    region        TEXT NOT NULL DEFAULT '',
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id),
    created_at    {{TIME}} NOT NULL,
    modified_at   {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX indicators_value ON indicators (owner_org_id, kind, value);
CREATE INDEX indicators_lookup ON indicators (kind, value);
CREATE INDEX indicators_region ON indicators (region, id);
CREATE INDEX indicators_owner ON indicators (owner_org_id, id);
CREATE INDEX indicators_tlp ON indicators (tlp, owner_org_id);

-- Where and when an indicator was seen. One row per (indicator, region,
-- asset, alert): a new hit of the same place adds to count and moves
-- last_seen.
CREATE TABLE indicator_sightings (
    id            {{ID}},
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    stix_id       TEXT NOT NULL UNIQUE,       -- sighting--<uuid>
    count         BIGINT NOT NULL DEFAULT 1,
    first_seen    {{TIME}} NOT NULL,
    last_seen     {{TIME}} NOT NULL,
    region        TEXT NOT NULL DEFAULT '',
    asset_id      BIGINT NOT NULL DEFAULT 0,  -- 0: none
    alert_id      BIGINT NOT NULL DEFAULT 0,  -- 0: none
    org_id        BIGINT REFERENCES orgs(id), -- who saw it
    note          TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX indicator_sightings_place ON indicator_sightings (indicator_id, region, asset_id, alert_id);
