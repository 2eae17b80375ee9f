-- Cyber patrol (internal/patrol): the sources watched and the items found.
-- Both are shared records (owner = the patrolling organisation, region,
-- TLP, participants in record_orgs/record_users under kind 'patrol_source'
-- and 'patrol_item').

CREATE TABLE patrol_sources (
    id            {{ID}},
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,            -- feed, sitemap, crawl, import, form, api
    url           TEXT NOT NULL DEFAULT '',
    config        TEXT NOT NULL DEFAULT '{}', -- JSON: crawl depth, hosts, rate; import format
    platform      TEXT NOT NULL DEFAULT '',   -- what its items are (web, telegram, x, facebook, ...)
    every_minutes INTEGER NOT NULL DEFAULT 0, -- 0: not on a timetable (imports, the form, the API)
    enabled       INTEGER NOT NULL DEFAULT 1,
    tlp           TEXT NOT NULL,
    region        TEXT NOT NULL DEFAULT '',
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id),
    last_run_at   {{TIME}},
    last_ok_at    {{TIME}},
    last_error    TEXT NOT NULL DEFAULT '',
    last_items    INTEGER NOT NULL DEFAULT 0, -- items the last run found
    runs          INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    items_found   BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX patrol_sources_owner ON patrol_sources (owner_org_id, id);
CREATE INDEX patrol_sources_region ON patrol_sources (region, id);

-- One item per URL or post and patrolling organisation: item_key is the
-- canonical URL or "platform:post id".
CREATE TABLE patrol_items (
    id              {{ID}},
    item_key        TEXT NOT NULL,
    url             TEXT NOT NULL DEFAULT '',
    source_id       BIGINT REFERENCES patrol_sources(id),
    platform        TEXT NOT NULL DEFAULT '',
    author          TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',   -- captured text, normalised
    ocr_text        TEXT NOT NULL DEFAULT '',
    ocr_status      TEXT NOT NULL DEFAULT '',   -- none (no image), done, not_configured, failed: ...
    text_sha256     TEXT NOT NULL,              -- of the captured text and OCR text
    evidence_sha256 TEXT NOT NULL DEFAULT '',   -- the stored copy (internal/evidence, folder "patrol")
    evidence_size   BIGINT NOT NULL DEFAULT 0,
    evidence_type   TEXT NOT NULL DEFAULT '',
    published_at    {{TIME}},
    first_seen      {{TIME}} NOT NULL,
    last_seen       {{TIME}} NOT NULL,
    seen_count      INTEGER NOT NULL DEFAULT 1,
    likes           BIGINT NOT NULL DEFAULT 0,
    shares          BIGINT NOT NULL DEFAULT 0,
    comments        BIGINT NOT NULL DEFAULT 0,
    views           BIGINT NOT NULL DEFAULT 0,
    engagement      BIGINT NOT NULL DEFAULT 0,  -- likes + shares + comments: "most shared first"
    matches         TEXT NOT NULL DEFAULT '[]', -- JSON: claim matches with their explanation
    match_status    TEXT NOT NULL DEFAULT '',   -- done, not_configured
    claim_id        TEXT NOT NULL DEFAULT '',   -- linked by an analyst (the claims table is internal/claim's)
    pii_nik         INTEGER NOT NULL DEFAULT 0, -- counts only, never values
    pii_kk          INTEGER NOT NULL DEFAULT 0,
    pii_npwp        INTEGER NOT NULL DEFAULT 0,
    pii_phone       INTEGER NOT NULL DEFAULT 0,
    pii_regions     TEXT NOT NULL DEFAULT '{}', -- JSON: NIK counts per region code
    pii_status      TEXT NOT NULL DEFAULT '',   -- done, not_configured
    label           TEXT NOT NULL DEFAULT '',
    labelled_by     TEXT NOT NULL DEFAULT '',
    labelled_at     {{TIME}},
    incident_id     BIGINT REFERENCES incidents(id),
    tlp             TEXT NOT NULL,
    region          TEXT NOT NULL DEFAULT '',
    owner_org_id    BIGINT NOT NULL REFERENCES orgs(id),
    created_at      {{TIME}} NOT NULL,
    updated_at      {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX patrol_items_key ON patrol_items (owner_org_id, item_key);
CREATE INDEX patrol_items_region ON patrol_items (region, id);
CREATE INDEX patrol_items_seen ON patrol_items (first_seen, id);
CREATE INDEX patrol_items_shared ON patrol_items (engagement, id);
CREATE INDEX patrol_items_platform ON patrol_items (platform, id);
CREATE INDEX patrol_items_label ON patrol_items (label, id);
CREATE INDEX patrol_items_source ON patrol_items (source_id, id);
CREATE INDEX patrol_items_claim ON patrol_items (claim_id);

-- An item's history (labels with who and when, claim links, its stored
-- copy's chain of custody), written in the change's transaction.
CREATE TABLE patrol_item_events (
    id        {{ID}},
    item_id   BIGINT NOT NULL REFERENCES patrol_items(id),
    at        {{TIME}} NOT NULL,
    actor     TEXT NOT NULL,
    actor_org TEXT NOT NULL DEFAULT '',
    kind      TEXT NOT NULL,            -- captured, seen_again, labelled, claim_linked, incident, downloaded
    body      TEXT NOT NULL DEFAULT '',
    addr      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patrol_item_events_item ON patrol_item_events (item_id, id);
