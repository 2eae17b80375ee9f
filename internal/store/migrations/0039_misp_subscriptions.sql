-- MISP feeds Garda pulls (internal/intel/misp): a partner's feed URL (its
-- manifest.json and <uuid>.json beside it), the headers it wants (a
-- partner's token: "Authorization: ..." lines), the user whose
-- organisation owns what comes in, how often, and per event the manifest
-- timestamp already imported, so an unchanged event is not fetched again.
CREATE TABLE misp_subscriptions (
    id            {{ID}},
    name          TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL,
    headers       TEXT NOT NULL DEFAULT '',
    user_id       BIGINT NOT NULL REFERENCES users(id),
    every_seconds INTEGER NOT NULL DEFAULT 3600,
    bookmarks     TEXT NOT NULL DEFAULT '{}',   -- JSON: event uuid -> manifest timestamp imported
    next_at       {{TIME}} NOT NULL,
    last_run_at   {{TIME}},
    last_error    TEXT NOT NULL DEFAULT '',
    last_result   TEXT NOT NULL DEFAULT '',     -- one line: events, values held, refused
    created_at    {{TIME}} NOT NULL
);
CREATE INDEX misp_subscriptions_due ON misp_subscriptions (next_at);
