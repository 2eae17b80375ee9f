-- Indicators marked for blocking, as blocks (internal/intel/match): an
-- address or range became a decision for the CrowdSec bouncers, a domain an
-- entry of the DNS blocklist. A row is live until the indicator is
-- revoked, expires or is no longer marked (lifted_at set). owned says
-- whether the block was made for the indicator (lifted with it) or was
-- there already (a live decision covered or was extended: left alone).
CREATE TABLE indicator_blocks (
    id            {{ID}},
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    kind          TEXT NOT NULL,              -- decision, rpz
    ref           TEXT NOT NULL,              -- the decision's id, or the blocked domain
    owned         INTEGER NOT NULL DEFAULT 1,
    created_at    {{TIME}} NOT NULL,
    lifted_at     {{TIME}},
    lift_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX indicator_blocks_indicator ON indicator_blocks (indicator_id, id);
CREATE INDEX indicator_blocks_live ON indicator_blocks (lifted_at, id);
