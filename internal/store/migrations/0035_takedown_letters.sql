-- Takedown letters, warning stages and Garda's own outcome checks
-- (internal/takedown).
-- The warning stage an overdue request has reached: 0 none, 1-3 teguran,
-- 4 pemutusan akses.
ALTER TABLE takedowns ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE takedowns ADD COLUMN stage_at {{TIME}};
-- The secret a platform's API endpoint checks our signature with, and
-- the text its removal page shows ("this content isn't available").
ALTER TABLE takedown_platforms ADD COLUMN api_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE takedown_platforms ADD COLUMN removal_text TEXT NOT NULL DEFAULT '';
-- The first of Garda's checks that saw a URL gone, and whether a URL the
-- platform answered "removed" was still seen online.
ALTER TABLE takedown_urls ADD COLUMN gone_at {{TIME}};
ALTER TABLE takedown_urls ADD COLUMN still_online INTEGER NOT NULL DEFAULT 0;

-- The letters of a request: the request itself, then each warning.
CREATE TABLE takedown_letters (
    id           {{ID}},
    takedown_id  BIGINT NOT NULL REFERENCES takedowns(id),
    kind         TEXT NOT NULL,              -- permohonan, teguran_1, teguran_2, teguran_3, pemutusan_akses
    number       TEXT NOT NULL UNIQUE,
    issued_at    {{TIME}} NOT NULL,
    channel      TEXT NOT NULL DEFAULT '',   -- how it went: email, api, web_form ('' = not sent by Garda)
    sent_to      TEXT NOT NULL DEFAULT '',
    UNIQUE (takedown_id, kind)
);

-- Garda's checks of a URL.
CREATE TABLE takedown_checks (
    id          {{ID}},
    url_id      BIGINT NOT NULL REFERENCES takedown_urls(id),
    checked_at  {{TIME}} NOT NULL,
    result      TEXT NOT NULL,              -- gone, not_found, removal_page, online, error
    status      INTEGER NOT NULL DEFAULT 0, -- the HTTP status seen
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX takedown_checks_url ON takedown_checks (url_id, id);

-- The captures a request rests on, with their hashes, as the patrol item
-- or the incident it was filed from stored them (chain of custody stays
-- with the source).
CREATE TABLE takedown_evidence (
    id           {{ID}},
    takedown_id  BIGINT NOT NULL REFERENCES takedowns(id),
    source       TEXT NOT NULL,             -- patrol, incident
    ref          TEXT NOT NULL,             -- PTR-000001, the incident's id
    name         TEXT NOT NULL DEFAULT '',
    sha256       TEXT NOT NULL
);
CREATE INDEX takedown_evidence_takedown ON takedown_evidence (takedown_id, id);
