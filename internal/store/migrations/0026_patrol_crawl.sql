-- One fetch per URL across instances (internal/patrol/crawl): an instance
-- fetches a URL only after inserting or taking over its row; a row whose
-- claim is older than the crawl's lease may be taken over (an instance
-- died in the middle). etag and last_modified make the next visit a
-- conditional GET.
CREATE TABLE patrol_crawl_urls (
    url_hash      TEXT PRIMARY KEY,         -- SHA-256 of the canonical URL
    source_id     BIGINT NOT NULL REFERENCES patrol_sources(id),
    url           TEXT NOT NULL,
    claimed_by    TEXT NOT NULL,
    claimed_at    {{TIME}} NOT NULL,
    fetched_at    {{TIME}},
    status        INTEGER NOT NULL DEFAULT 0, -- HTTP status, 0 before or without an answer
    error         TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patrol_crawl_urls_source ON patrol_crawl_urls (source_id);

-- The public report form "Aduan Konten": no account; the reporter keeps a
-- reference to look the report up. addr_hash (salted SHA-256 of the
-- address) serves the per-address rate limit across instances; the
-- address itself is never stored.
CREATE TABLE patrol_reports (
    id         {{ID}},
    reference  TEXT NOT NULL UNIQUE,
    url        TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT '',
    region     TEXT NOT NULL DEFAULT '',
    addr_hash  TEXT NOT NULL,
    item_id    BIGINT REFERENCES patrol_items(id),
    status     TEXT NOT NULL DEFAULT 'received', -- received, reviewed, closed
    created_at {{TIME}} NOT NULL
);
CREATE INDEX patrol_reports_addr ON patrol_reports (addr_hash, created_at);

-- The patrol's own settings: the salt of addr_hash (random, made once).
CREATE TABLE patrol_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
