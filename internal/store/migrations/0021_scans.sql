-- The penetration-test pillar's permissions and runs (internal/scan).
-- {{ID}} and {{TIME}} are filled in per engine.

-- Written permission to test one asset: no scan runs without a valid one.
-- Scope is a JSON list of host names, URL prefixes and host:port pairs,
-- each inside the asset's own URLs and host names.
CREATE TABLE scan_authorizations (
    id               {{ID}},
    asset_id         BIGINT NOT NULL REFERENCES assets(id),
    given_by_id      BIGINT REFERENCES users(id),
    given_by         TEXT NOT NULL,
    given_org        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    mode             TEXT NOT NULL,            -- passive, active
    window_start     INTEGER NOT NULL,         -- hours of the day in WIB
    window_end       INTEGER NOT NULL,
    rate_per_second  DOUBLE PRECISION NOT NULL,
    concurrency      INTEGER NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    expires_at       {{TIME}} NOT NULL,
    created_at       {{TIME}} NOT NULL,
    revoked_at       {{TIME}},
    revoked_by       TEXT NOT NULL DEFAULT '',
    revoke_reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_authorizations_asset ON scan_authorizations (asset_id, id);

-- One run of the checks against one asset. A refused run is kept too, with
-- the reason, so the history says why a site was not tested.
CREATE TABLE scans (
    id                {{ID}},
    asset_id          BIGINT NOT NULL REFERENCES assets(id),
    authorization_id  BIGINT REFERENCES scan_authorizations(id),
    status            TEXT NOT NULL,            -- queued, running, done, failed, refused
    trigger_kind      TEXT NOT NULL,            -- schedule, manual
    requested_by      TEXT NOT NULL DEFAULT '',
    mode              TEXT NOT NULL DEFAULT '',
    checks            TEXT NOT NULL DEFAULT '', -- JSON list of the check ids that ran; '' unknown
    targets_total     INTEGER NOT NULL DEFAULT 0,
    targets_done      INTEGER NOT NULL DEFAULT 0,
    requests          INTEGER NOT NULL DEFAULT 0,
    results           INTEGER NOT NULL DEFAULT 0,
    error             TEXT NOT NULL DEFAULT '',
    created_at        {{TIME}} NOT NULL,
    started_at        {{TIME}},
    finished_at       {{TIME}}
);
CREATE INDEX scans_asset ON scans (asset_id, id);
CREATE INDEX scans_status ON scans (status, id);
