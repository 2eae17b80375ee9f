-- Takedown requests (internal/takedown): shared records (owner = the issuing
-- agency, region, TLP, participants in record_orgs/record_users under kind
-- 'takedown'; the platform's organisation joins when the request is sent).
CREATE TABLE takedowns (
    id               {{ID}},
    number           TEXT UNIQUE,                -- the request letter's number, given once stored
    platform_id      BIGINT NOT NULL REFERENCES takedown_platforms(id),
    category         TEXT NOT NULL,
    legal_basis      TEXT NOT NULL DEFAULT '[]', -- JSON: keys of takedown.LegalBases
    urgency          TEXT NOT NULL,              -- urgent (4 h), normal (24 h)
    status           TEXT NOT NULL,              -- draft, approved, sent, acknowledged, closed
    summary          TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',   -- the agencies' internal notes: never shown to the platform
    tlp              TEXT NOT NULL,
    region           TEXT NOT NULL DEFAULT '',
    owner_org_id     BIGINT NOT NULL REFERENCES orgs(id),
    author_id        BIGINT NOT NULL REFERENCES users(id),
    approved_by      BIGINT REFERENCES users(id),
    approved_at      {{TIME}},
    sent_by          BIGINT REFERENCES users(id),
    sent_at          {{TIME}},
    channel          TEXT NOT NULL DEFAULT '',   -- email, web_form, api
    acknowledged_at  {{TIME}},
    due_at           {{TIME}},                   -- sent_at + the urgency's time
    closed_at        {{TIME}},
    created_at       {{TIME}} NOT NULL,
    updated_at       {{TIME}} NOT NULL
);
CREATE INDEX takedowns_queue ON takedowns (status, due_at);
CREATE INDEX takedowns_owner ON takedowns (owner_org_id, id);
CREATE INDEX takedowns_platform ON takedowns (platform_id, id);
CREATE INDEX takedowns_region ON takedowns (region, id);

-- A request's URLs and the platform's answer for each.
CREATE TABLE takedown_urls (
    id             {{ID}},
    takedown_id    BIGINT NOT NULL REFERENCES takedowns(id),
    url            TEXT NOT NULL,
    outcome        TEXT NOT NULL DEFAULT 'pending', -- pending, removed, restricted, refused, objected, no_answer, withdrawn
    reason         TEXT NOT NULL DEFAULT '',        -- a refusal's reason, an objection's argument
    answered_by    BIGINT REFERENCES users(id),
    answered_at    {{TIME}},
    decision       TEXT NOT NULL DEFAULT '',        -- the agency's decision on an objection: maintained, withdrawn
    decision_note  TEXT NOT NULL DEFAULT '',
    decided_by     BIGINT REFERENCES users(id),
    decided_at     {{TIME}},
    UNIQUE (takedown_id, url)
);

-- A request's history, written in the change's transaction.
CREATE TABLE takedown_events (
    id           {{ID}},
    takedown_id  BIGINT NOT NULL REFERENCES takedowns(id),
    url_id       BIGINT REFERENCES takedown_urls(id),
    at           {{TIME}} NOT NULL,
    actor        TEXT NOT NULL,
    actor_org    TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,             -- created, approved, sent, acknowledged, answered, decided, closed
    body         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX takedown_events_takedown ON takedown_events (takedown_id, id);
